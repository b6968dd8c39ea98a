#include "cost_model.h"

#include <algorithm>
#include <cmath>

#include "ringtail/collectives/algorithms/options.h"

namespace ringtail::bench {
namespace {

bool crosses(const MachineCost& m) { return m.hosts > 1; }

}  // namespace

double predict_ring(const MachineCost& m, double n) {
  const double p = m.ranks;
  if (p <= 1) return 0;
  // Hosts hold consecutive ranks, so each host has one flow out and one in:
  // every step waits for a single cross flow carrying N/p.
  const LinkCost& link = crosses(m) ? m.cross : m.local;
  return 2 * (p - 1) * link.alpha + 2 * (p - 1) / p * n * link.beta + (p - 1) / p * n * m.gamma;
}

double predict_halving_doubling(const MachineCost& m, double n) {
  const double p = m.ranks;
  if (p <= 1) return 0;
  const int steps = static_cast<int>(std::ceil(std::log2(p)));
  const int local_steps = static_cast<int>(std::floor(std::log2(std::max(1, m.ranks_per_host))));
  double t = 0;
  double chunk = n;
  // Reduce-scatter by recursive halving: step k exchanges half of what is left
  // with the rank at distance 2^k; the allgather retraces the same steps.
  for (int k = 0; k < steps; ++k) {
    chunk /= 2;
    const bool cross = k >= local_steps && m.hosts > 1;
    const LinkCost& link = cross ? m.cross : m.local;
    double beta = link.beta;
    if (cross && m.node_bandwidth > 0) beta = std::max(beta, m.ranks_per_host / m.node_bandwidth);
    t += 2 * (link.alpha + chunk * beta);
  }
  return t + (p - 1) / p * n * m.gamma;
}

double predict_shm(const MachineCost& m, double n, double area) {
  const double p = m.ranks;
  if (p <= 1 || area <= 0) return 0;
  const double chunks = std::max(1.0, std::ceil(n / (p * area)));
  return chunks * 2 * m.shm_alpha + (2 * (p - 1) / p + 1 / p) * n * m.copy_beta +
         (p - 1) / p * n * m.gamma;
}

double predict_hierarchical(const MachineCost& m, double n, double chunks, LocalPhases phases,
                            double area) {
  const double l = m.ranks_per_host;
  const double h = m.hosts;
  // One chunk's phases inside the host (reduce-scatter + allgather) and across.
  const auto local_time = [&](double bytes) {
    if (l <= 1) return 0.0;
    if (phases == LocalPhases::shared_memory && area > 0) {
      // A reduce-scatter step moves half an area per shard, an allgather step
      // half a slot (l areas).
      const double shard = bytes / l;
      const double steps = std::max(1.0, std::ceil(shard / (area / 2))) +
                           std::max(1.0, std::ceil(shard / (l * area / 2)));
      return steps * m.shm_alpha + (2 * (l - 1) / l + 1 / l) * bytes * m.copy_beta +
             (l - 1) / l * bytes * m.gamma;
    }
    return 2 * (l - 1) * (m.local.alpha + bytes / l * m.local.beta) + (l - 1) / l * bytes * m.gamma;
  };
  const auto cross_time = [&](double bytes) {
    if (h <= 1) return 0.0;
    const double node_beta = m.node_bandwidth > 0 ? 1.0 / m.node_bandwidth : m.cross.beta;
    return 2 * (h - 1) * m.cross.alpha + 2 * (h - 1) / h * bytes * node_beta + (h - 1) / h * bytes / l * m.gamma;
  };
  // The algorithm runs the cross phase of chunk c beside the local phases of
  // its neighbours: a pipeline of C chunks takes C - 1 times its slower stage
  // plus one chunk through both (filling and draining).
  chunks = h > 1 ? std::max(1.0, chunks) : 1;
  const double local = local_time(n / chunks);
  const double cross = cross_time(n / chunks);
  return (chunks - 1) * std::max(local, cross) + local + cross;
}

double hierarchical_chunks(double bytes, double chunk) {
  return std::clamp(std::floor(bytes / chunk), 1.0, static_cast<double>(coll::kMaxPipelineChunks));
}

LinkCost fit_line(const std::vector<double>& x, const std::vector<double>& y) {
  const double k = static_cast<double>(x.size());
  if (x.empty()) return {};
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sx += x[i];
    sy += y[i];
    sxx += x[i] * x[i];
    sxy += x[i] * y[i];
  }
  const double denominator = k * sxx - sx * sx;
  if (denominator == 0) return {sy / k, 0};
  const double b = (k * sxy - sx * sy) / denominator;
  return {std::max(0.0, (sy - b * sx) / k), std::max(0.0, b)};
}

// Sources: AWS instance pages (p3: 8 V100 with NVLink, 25 Gbit/s network;
// p3dn.24xlarge: 8 V100 32 GB, 100 Gbit/s; p4d.24xlarge: 8 A100 with NVSwitch,
// 400 Gbit/s EFA). NVLink per GPU per direction: V100 6 links x 25 GB/s = 150
// GB/s (p3's hybrid cube mesh gives a ring about that), A100 12 links x 25 GB/s
// = 300 GB/s. Latencies are assumptions, not published: about 5 us per NCCL step
// on NVLink, 25 us per message on ENA TCP, 15 us on EFA. The reduction rate is
// HBM-bound: V100 900 GB/s and A100 1.5 TB/s read+write, a third of that per
// byte reduced (two reads, one write).
const std::vector<Instance>& aws_instances() {
  static const std::vector<Instance> instances = {
      {"p3.16xlarge", 8, 150, 25, 25, 5, 300},
      {"p3dn.24xlarge", 8, 150, 100, 25, 5, 300},
      {"p4d.24xlarge", 8, 300, 400, 15, 5, 500},
  };
  return instances;
}

MachineCost machine_of(const Instance& inst, int nodes, double efficiency) {
  MachineCost m;
  m.hosts = nodes;
  m.ranks_per_host = inst.gpus;
  m.ranks = nodes * inst.gpus;
  m.local = {inst.nvlink_alpha_us * 1e-6, 1.0 / (inst.nvlink_gbytes * 1e9)};
  const double network_bytes = inst.network_gbits * 1e9 / 8 * efficiency;
  m.cross = {inst.network_alpha_us * 1e-6, 1.0 / network_bytes};
  m.node_bandwidth = network_bytes;
  m.gamma = 1.0 / (inst.gpu_reduce_gbytes * 1e9);
  return m;
}

}  // namespace ringtail::bench
