#pragma once
// The alpha-beta(-gamma) cost model of allreduce. A message of b bytes between
// two ranks takes alpha + b * beta; reducing b bytes on one rank takes
// b * gamma. Inside a host the link is (alpha_local, beta_local); between hosts
// it is (alpha_cross, beta_cross) per flow and node_bandwidth for all flows of
// one host together (its NIC). With p ranks, H hosts, L ranks per host, N bytes:
//
//   ring          2(p-1) alpha + 2(p-1)/p N beta + (p-1)/p N gamma
//                 (across hosts every step waits for its slowest link, a cross
//                 flow carrying N/p, alone on its NIC when hosts hold
//                 consecutive ranks)
//   halving-      2 log2(p) alpha + 2(p-1)/p N beta + (p-1)/p N gamma
//   doubling      (Rabenseifner; steps at distance >= L cross hosts, and then all
//                 L ranks of a host share its NIC)
//   hierarchical  local reduce-scatter (L-1)(alpha_l + N/L beta_l) + (L-1)/L N gamma
//                 + cross allreduce   2(H-1) alpha_c + 2(H-1)/H N / node_bandwidth
//                                     + (H-1)/H N/L gamma
//                 + local allgather   (L-1)(alpha_l + N/L beta_l)
//                 in C chunks (hierarchical_chunks) pipelined: the cross phase of
//                 one chunk beside the local phases of the next and the previous,
//                 (C-1) max(local, cross) + local + cross of one chunk; with the
//                 local phases through shared memory (the default) each is
//                 steps x alpha_s + bytes copied x copy_beta + reduced x gamma:
//                 reduce-scatter copies and reduces (L-1)/L of the chunk, the
//                 allgather copies 1/L in and (L-1)/L out
//   shm           (one host) per chunk of p areas 2 alpha_s, and per rank
//                 (2(p-1)/p + 1/p) N copied x copy_beta + (p-1)/p N gamma
//                 (copy in the parts for the others, copy the own result to
//                 the segment, copy the others' results out)
//
// ringtail-bench --model fits the constants on this machine from point-to-point
// and reduce measurements made in the same run and predicts each measured row;
// --predict applies the formulas to published AWS instance numbers.

#include <string>
#include <vector>

namespace ringtail::bench {

struct LinkCost {
  double alpha = 0;  // seconds per message
  double beta = 0;   // seconds per byte
};

struct MachineCost {
  int ranks = 1;
  int hosts = 1;
  int ranks_per_host = 1;
  LinkCost local;              // between two ranks of a host
  LinkCost cross;              // between two hosts, one flow per direction (a ring step)
  double node_bandwidth = 0;   // bytes/s out of one host, all its ranks exchanging at once
  double gamma = 0;            // seconds per byte reduced
  double shm_alpha = 0;        // seconds per shared-memory step (one flag wait of all ranks of a host)
  double copy_beta = 0;        // seconds per byte copied, all ranks of a host copying at once
};

// How the hierarchical allreduce's phases inside a host run, for the model.
enum class LocalPhases { messages, shared_memory };

double predict_ring(const MachineCost& m, double bytes);
double predict_halving_doubling(const MachineCost& m, double bytes);
// `chunks`: how many pipeline chunks the algorithm cuts the buffer into (1: none).
// `area_bytes`: the shm area (shared_memory only).
double predict_hierarchical(const MachineCost& m, double bytes, double chunks,
                            LocalPhases local = LocalPhases::messages, double area_bytes = 0);
// One host, every rank in the shared-memory allreduce with areas of `area_bytes`.
double predict_shm(const MachineCost& m, double bytes, double area_bytes);
// How many pipeline chunks ringtail's hierarchical allreduce cuts `bytes` into
// with chunks of `chunk_bytes`.
double hierarchical_chunks(double bytes, double chunk_bytes);

// Least-squares line t = a + b x through (x, t) points; returns {a, b}.
LinkCost fit_line(const std::vector<double>& bytes, const std::vector<double>& seconds);

// Published numbers of one AWS GPU instance (see cost_model.cc for sources).
struct Instance {
  std::string name;
  int gpus = 8;
  double nvlink_gbytes = 0;   // per GPU, one direction, GB/s
  double network_gbits = 0;   // per instance, Gbit/s
  double network_alpha_us = 0;
  double nvlink_alpha_us = 0;
  double gpu_reduce_gbytes = 0;  // reduction rate per GPU, GB/s (memory bound)
};

const std::vector<Instance>& aws_instances();
MachineCost machine_of(const Instance& instance, int nodes, double link_efficiency);

}  // namespace ringtail::bench
