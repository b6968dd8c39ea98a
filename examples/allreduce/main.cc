// ringtail-allreduce-demo: every rank contributes rank+1 to a vector, the ranks
// allreduce it, and each checks the sum n(n+1)/2. Configuration comes from the
// RINGTAIL_* environment (ringtail-run sets it).
//
//   ringtail-allreduce-demo [--count N] [--iterations K] [--exit-code-on-rank R:C]
//
// --exit-code-on-rank R:C makes rank R exit with code C before the allreduce
// (used to test how the launcher handles a failing rank).

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "ringtail/collectives/error.h"
#include "ringtail/collectives/registry.h"
#include "ringtail/collectives/topology.h"
#include "ringtail/core/config.h"

namespace {

struct Args {
  std::size_t count = 1 << 20;
  int iterations = 3;
  int fail_rank = -1;
  int fail_code = 0;
};

Args parse(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--count") {
      args.count = std::stoull(value());
    } else if (arg == "--iterations") {
      args.iterations = std::stoi(value());
    } else if (arg == "--exit-code-on-rank") {
      const std::string v = value();
      const auto colon = v.find(':');
      if (colon == std::string::npos) throw std::invalid_argument("--exit-code-on-rank expects R:C");
      args.fail_rank = std::stoi(v.substr(0, colon));
      args.fail_code = std::stoi(v.substr(colon + 1));
    } else if (arg == "--help" || arg == "-h") {
      std::puts("usage: ringtail-allreduce-demo [--count N] [--iterations K] [--exit-code-on-rank R:C]");
      std::exit(0);
    } else {
      throw std::invalid_argument("unknown argument " + arg);
    }
  }
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ringtail;
  try {
    const Args args = parse(argc, argv);
    const core::Config config = core::Config::from_environment();
    log::set_level(config.log_level);
    auto world = coll::create_world(config.world);
    log::set_rank(world->rank());
    const coll::Topology topology = coll::discover_topology(*world, config.world.hostname);

    if (world->rank() == args.fail_rank) {
      std::fprintf(stderr, "rank %d exiting with code %d as asked\n", world->rank(), args.fail_code);
      std::_Exit(args.fail_code);
    }

    std::vector<float> data(args.count);
    const double expected = world->size() * (world->size() + 1) / 2.0;
    double best_seconds = 1e30;
    for (int it = 0; it < args.iterations; ++it) {
      std::fill(data.begin(), data.end(), static_cast<float>(world->rank() + 1));
      const auto start = std::chrono::steady_clock::now();
      world->allreduce(data.data(), data.size(), coll::DataType::f32, coll::ReduceOp::sum);
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
      best_seconds = std::min(best_seconds, took.count());
      for (std::size_t i = 0; i < data.size(); ++i) {
        if (data[i] != static_cast<float>(expected)) {
          std::fprintf(stderr, "rank %d: element %zu is %g, expected %g\n", world->rank(), i,
                       double(data[i]), expected);
          return 1;
        }
      }
    }
    std::printf("rank %d of %d (host %s, local rank %d of %d, backend %s): allreduce of %zu floats = %g, best %.3f ms\n",
                world->rank(), world->size(), topology.hostname.c_str(), topology.local_rank,
                topology.local_size, std::string(world->backend()).c_str(), args.count, expected,
                best_seconds * 1e3);
    std::fflush(stdout);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ringtail-allreduce-demo: %s\n", e.what());
    return 1;
  }
}
