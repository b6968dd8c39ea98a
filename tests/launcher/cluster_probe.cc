// ringtail_launcher_cluster_probe: the rank program of the namespace-cluster
// tests of ringtail-run (tests/cluster/cluster.sh --launcher). Every rank checks
// what a job spread over several hosts must give it, and exits 1 if anything
// is wrong, so ringtail-run's exit code is the verdict:
//   - the world has --expect-size ranks and the backend is --expect-backend;
//   - an allreduce (sum of float32) matches a float64 reference on every rank;
//   - the ranks span --expect-hosts hosts, counted two ways: by the names the
//     job gives them (RINGTAIL_HOSTNAME, else the host name), which the
//     framework's topology uses, and by the kernel's host name, which the
//     cluster's agent sets per namespace: so a rank that the launcher
//     started on the wrong "host" is caught even if its name says otherwise.
//
//   --expect-hosts N --expect-size N [--expect-backend NAME] [--count N]
//   [--exit-code-on-rank R:C]   rank R exits with C once the world is up, while
//                               the others wait in the allreduce for it

#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "ringtail/collectives/registry.h"
#include "ringtail/collectives/topology.h"
#include "ringtail/core/config.h"

namespace {

using namespace ringtail;

struct Expectations {
  int hosts = -1;
  int size = -1;
  std::string backend;
  std::size_t count = 100003;  // odd, so no algorithm divides it evenly
  int fail_rank = -1;
  int fail_code = 0;
};

Expectations parse(int argc, char** argv) {
  Expectations e;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
    const std::string value = argv[++i];
    if (arg == "--expect-hosts") {
      e.hosts = std::stoi(value);
    } else if (arg == "--expect-size") {
      e.size = std::stoi(value);
    } else if (arg == "--expect-backend") {
      e.backend = value;
    } else if (arg == "--count") {
      e.count = std::stoull(value);
    } else if (arg == "--exit-code-on-rank" && value.find(':') != std::string::npos) {
      e.fail_rank = std::stoi(value.substr(0, value.find(':')));
      e.fail_code = std::stoi(value.substr(value.find(':') + 1));
    } else {
      throw std::invalid_argument("unknown argument " + arg);
    }
  }
  if (e.hosts < 1 || e.size < 1) throw std::invalid_argument("--expect-hosts and --expect-size are required");
  return e;
}

// Element i of rank r's contribution: varied, and exact in float32.
float contribution(int rank, std::size_t i) { return static_cast<float>((rank + 1) * (i % 13 + 1)) * 0.25f; }

// The number of elements that differ from the float64 reference.
std::size_t allreduce_errors(coll::Communicator& world, std::size_t count) {
  std::vector<float> data(count);
  for (std::size_t i = 0; i < count; ++i) data[i] = contribution(world.rank(), i);
  world.allreduce(data.data(), count, coll::DataType::f32, coll::ReduceOp::sum);
  std::size_t errors = 0;
  for (std::size_t i = 0; i < count; ++i) {
    double expected = 0;
    for (int r = 0; r < world.size(); ++r) expected += static_cast<double>(contribution(r, i));
    if (std::abs(static_cast<double>(data[i]) - expected) > 1e-6 * expected) {
      if (errors == 0) {
        std::fprintf(stderr, "rank %d: element %zu is %g, expected %g\n", world.rank(), i, double(data[i]), expected);
      }
      ++errors;
    }
  }
  return errors;
}

std::string kernel_hostname() {
  std::array<char, 256> name{};
  gethostname(name.data(), name.size() - 1);
  return name.data();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Expectations expect = parse(argc, argv);
    const core::Config config = core::Config::from_environment();
    auto world = coll::create_world(config.world);
    const std::string backend(world->backend());
    const coll::Topology named = coll::discover_topology(*world, config.world.hostname);
    const coll::Topology kernel = coll::discover_topology(*world, kernel_hostname());
    if (world->rank() == expect.fail_rank) {
      std::fprintf(stderr, "cluster probe rank %d on %s exiting with code %d as asked\n", world->rank(),
                   kernel.hostname.c_str(), expect.fail_code);
      std::fflush(stderr);
      std::_Exit(expect.fail_code);  // no goodbye to the others: as a crash
    }

    int failures = 0;
    auto check = [&](bool ok, const std::string& what) {
      if (!ok) {
        std::fprintf(stderr, "cluster probe rank %d: %s\n", world->rank(), what.c_str());
        ++failures;
      }
    };
    check(world->size() == expect.size,
          "world size " + std::to_string(world->size()) + ", expected " + std::to_string(expect.size));
    check(expect.backend.empty() || backend == expect.backend, "backend " + backend + ", expected " + expect.backend);
    check(named.num_hosts() == expect.hosts, "the job's host names span " + std::to_string(named.num_hosts()) +
                                                 " hosts, expected " + std::to_string(expect.hosts));
    check(kernel.num_hosts() == expect.hosts, "the kernel's host names span " + std::to_string(kernel.num_hosts()) +
                                                  " hosts, expected " + std::to_string(expect.hosts));
    check(named.host_of_rank == kernel.host_of_rank, "the job's host names do not group the ranks as the hosts do");
    const std::size_t errors = allreduce_errors(*world, expect.count);
    check(errors == 0, std::to_string(errors) + " wrong elements in the allreduce");

    // Every rank learns whether all passed, so rank 0's summary speaks for the job.
    int failed_ranks = failures > 0 ? 1 : 0;
    world->allreduce(&failed_ranks, 1, coll::DataType::i32, coll::ReduceOp::sum);
    std::printf("cluster probe rank %d of %d on %s (kernel host name %s, host %d of %d, local rank %d of %d, "
                "backend %s): allreduce of %zu floats %s\n",
                world->rank(), world->size(), named.hostname.c_str(), kernel.hostname.c_str(), named.host,
                named.num_hosts(), named.local_rank, named.local_size, backend.c_str(), expect.count,
                errors == 0 ? "ok" : "WRONG");
    if (world->rank() == 0) {
      std::printf("cluster probe: %d of %d ranks passed on %d hosts\n", world->size() - failed_ranks, world->size(),
                  kernel.num_hosts());
    }
    std::fflush(stdout);
    return failed_ranks == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cluster probe: %s\n", e.what());
    return 1;
  }
}
