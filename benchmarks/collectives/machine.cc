#include "machine.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "ringtail/collectives/algorithms/allreduce.h"
#include "ringtail/collectives/error.h"
#include "ringtail/collectives/reduce_kernels.h"

namespace ringtail::bench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Best of `repeats` timed memcpy calls of `bytes`.
double best_copy_seconds(std::vector<char>& from, std::vector<char>& to, int repeats) {
  double best = 1e30;
  for (int i = 0; i < repeats; ++i) {
    const auto start = Clock::now();
    std::memcpy(to.data(), from.data(), from.size());
    best = std::min(best, seconds_since(start));
  }
  return best;
}

// One exchange of `bytes` each way between this rank and `peer`, `repeats`
// times; the best time.
double exchange_seconds(coll::Communicator& world, int peer, std::vector<char>& out,
                        std::vector<char>& in, std::size_t bytes, int repeats) {
  double best = 1e30;
  for (int i = 0; i < repeats; ++i) {
    const auto start = Clock::now();
    world.sendrecv(out.data(), bytes, peer, in.data(), bytes, peer, coll::DataType::u8, 99);
    best = std::min(best, seconds_since(start));
  }
  return best;
}

}  // namespace

CopyBandwidth measure_copy_bandwidth(Environment& env, std::size_t bytes) {
  std::vector<char> from(bytes, 1);
  std::vector<char> to(bytes, 2);
  CopyBandwidth out;
  env.barrier();
  double alone = 0;
  if (env.rank() == 0) alone = best_copy_seconds(from, to, 3);
  env.barrier();
  out.one_rank = env.max_over_ranks(alone > 0 ? 2.0 * bytes / alone : 0);
  env.barrier();
  const double together = best_copy_seconds(from, to, 3);
  // Every host's ranks copy at once; memory is per host, so divide the sum by
  // the number of hosts (hosts of equal size).
  out.all_ranks = env.sum_over_ranks(2.0 * bytes / together) / std::max(1, env.num_hosts());
  return out;
}

double allreduce_memory_bound_seconds(std::size_t bytes, int ranks, double all_ranks) {
  if (all_ranks <= 0) return 0;
  return 2.0 * ranks * static_cast<double>(bytes) / all_ranks;
}

MachineCost measure_machine_cost(Environment& env, const std::string& backend,
                                 const std::string& cross_backend, std::size_t max_bytes) {
  coll::Communicator& world = env.world(backend);
  // The hierarchical cross phase runs on its own backend when one is given.
  coll::Communicator& cross_world = env.world(cross_backend.empty() ? backend : cross_backend);
  auto layout = env.layout(backend);
  const coll::Topology& t = layout->topology();
  MachineCost m;
  m.ranks = t.size;
  m.hosts = t.num_hosts();
  m.ranks_per_host = *std::max_element(t.ranks_per_host.begin(), t.ranks_per_host.end());

  // Up to the sweep's largest size, but at least 8 MiB: beta is fitted to the
  // sizes from 1 MiB up and needs two of them (2 and 8 MiB).
  const std::size_t top = std::clamp<std::size_t>(max_bytes, std::size_t{8} << 20, std::size_t{64} << 20);
  std::vector<char> out(top, 3);
  std::vector<char> in(top, 4);
  std::vector<double> sizes;
  for (std::size_t b = 8; b <= top; b *= 4) sizes.push_back(static_cast<double>(b));

  // Pairs: local rank 2k with 2k+1 on the same host; host 0's local rank j with
  // host 1's local rank j between hosts.
  const auto& hosts = layout->ranks_of_host();
  auto local_peer = [&](int rank) {
    const auto& mine = hosts[t.host_of_rank[rank]];
    const auto at = static_cast<std::size_t>(std::find(mine.begin(), mine.end(), rank) - mine.begin());
    const std::size_t partner = at ^ 1U;
    return partner < mine.size() ? mine[partner] : -1;
  };
  auto cross_peer = [&](int rank, bool only_first) {
    if (hosts.size() < 2) return -1;
    const int h = t.host_of_rank[rank];
    if (h > 1) return -1;
    const auto& mine = hosts[h];
    const auto& other = hosts[1 - h];
    const auto at = static_cast<std::size_t>(std::find(mine.begin(), mine.end(), rank) - mine.begin());
    if (only_first && at != 0) return -1;
    return at < other.size() ? other[at] : -1;
  };

  // Every rank runs every size (taking part or not) so the measurements line
  // up; a size's time is the slowest participating pair's.
  auto sweep = [&](coll::Communicator& comm, auto peer_of) {
    std::vector<double> times;
    const int peer = peer_of(env.rank());
    for (double b : sizes) {
      env.barrier();
      const int repeats = b < 65536 ? 50 : 5;
      const double s = peer >= 0 ? exchange_seconds(comm, peer, out, in, std::size_t(b), repeats) : 0;
      times.push_back(env.max_over_ranks(s));
    }
    return times;
  };
  // alpha from the small messages, beta from the large ones.
  auto fit = [&](const std::vector<double>& times) {
    std::vector<double> small_x, small_y, large_x, large_y;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      if (sizes[i] <= 4096) {
        small_x.push_back(sizes[i]);
        small_y.push_back(times[i]);
      }
      if (sizes[i] >= 1 << 20) {
        large_x.push_back(sizes[i]);
        large_y.push_back(times[i]);
      }
    }
    LinkCost c;
    c.alpha = fit_line(small_x, small_y).alpha;
    c.beta = fit_line(large_x, large_y).beta;
    return c;
  };

  // A flat ring step: every rank sends right and receives from the left at
  // once, so each link between hosts carries one flow per direction on its own
  // connection; the step waits for the slowest (cross) link.
  auto ring_step = [&]() {
    std::vector<double> times;
    const int right = (env.rank() + 1) % t.size;
    const int left = (env.rank() + t.size - 1) % t.size;
    for (double b : sizes) {
      env.barrier();
      const int repeats = b < 65536 ? 50 : 5;
      double best = 1e30;
      for (int i = 0; i < repeats; ++i) {
        env.barrier();
        const auto start = Clock::now();
        world.sendrecv(out.data(), std::size_t(b), right, in.data(), std::size_t(b), left,
                       coll::DataType::u8, 98);
        best = std::min(best, env.max_over_ranks(seconds_since(start)));
      }
      times.push_back(best);
    }
    return times;
  };

  if (m.ranks_per_host > 1) m.local = fit(sweep(world, local_peer));
  if (m.hosts > 1) {
    // Cross-host costs as each algorithm meets them: the flat ring's shift
    // (one connection per direction), and the hierarchical cross phase's
    // pairwise exchanges, all ranks of a host at once (both directions on one
    // connection per pair: Open MPI's TCP transport moves such an exchange
    // markedly slower than two one-way flows, so a single probe would mislead
    // one model or the other).
    m.cross = fit(ring_step());
    const LinkCost all = fit(sweep(cross_world, [&](int r) { return cross_peer(r, false); }));
    // With every rank of the smaller host exchanging at once, one host's NIC
    // moves that many flows.
    const int flows = static_cast<int>(std::min(hosts[0].size(), hosts[1].size()));
    m.node_bandwidth = all.beta > 0 ? flows / all.beta : 0;
  }

  if (m.ranks_per_host > 1 && layout->local().memory() == coll::MemoryKind::host) {
    // Shared memory inside a host: the cost of one step (a one-element shm
    // allreduce is two), and memcpy with every rank copying at once, as the
    // shm algorithms do, of buffers well past the cache (the user's buffers
    // stream through memory; only the segment stays cached). Without a
    // segment (a full /dev/shm: every rank agrees) the step stays unmeasured.
    coll::Communicator& local = layout->local();
    std::unique_ptr<coll::AllreduceAlgorithm> shm;
    try {
      shm = coll::make_allreduce(coll::AllreduceKind::shm, local);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::unsupported) throw;
      if (env.rank() == 0) std::fprintf(stderr, "ringtail-bench: --model: no shm step: %s\n", e.what());
    }
    constexpr int kCalls = 500;
    float one = 1.0f;
    double elapsed = 0;
    if (shm) {
      for (int i = 0; i < 20; ++i) shm->run(&one, 1, coll::DataType::f32, coll::ReduceOp::sum);
      env.barrier();
      const auto start = Clock::now();
      for (int i = 0; i < kCalls; ++i) shm->run(&one, 1, coll::DataType::f32, coll::ReduceOp::sum);
      elapsed = seconds_since(start);
    } else {
      env.barrier();
    }
    m.shm_alpha = env.max_over_ranks(elapsed) / (2.0 * kCalls);
    std::vector<char> from(std::size_t{64} << 20, 1);
    std::vector<char> to(from.size(), 2);
    env.barrier();
    m.copy_beta = env.max_over_ranks(best_copy_seconds(from, to, 3)) / static_cast<double>(from.size());
  }

  // gamma: every rank reduces 16 MiB of f32 at once, as in a ring step.
  const std::size_t floats = std::min<std::size_t>(top, std::size_t{16} << 20) / sizeof(float);
  std::vector<float> a(floats, 1.0f), b(floats, 2.0f);
  env.barrier();
  double best = 1e30;
  for (int i = 0; i < 3; ++i) {
    const auto start = Clock::now();
    coll::reduce_into(a.data(), b.data(), floats, coll::DataType::f32, coll::ReduceOp::sum);
    best = std::min(best, seconds_since(start));
  }
  m.gamma = env.max_over_ranks(best) / (floats * sizeof(float));
  return m;
}

}  // namespace ringtail::bench
