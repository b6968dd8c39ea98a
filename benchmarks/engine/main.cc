// ringtail-engine-bench [--quick] [--best] [--repetitions=N] [--backend=mpi|gloo]
//                       [latency|fusion|negotiation|idle|skew ...]
// Run under mpirun with 2 ranks (docs/performance.md has the command). MPI
// starts the job and times it in every case; --backend picks what the engine
// runs on.
#include <iostream>
#include <string>

#include "bench.h"
#include "ringtail/bench/mpi_job.h"
#include "ringtail/collectives/registry.h"
#include "ringtail/collectives/registry.h"

int main(int argc, char** argv) {
  using namespace ringtail;
  bench::Options options;
  std::vector<std::string> which;
  std::string backend = "mpi";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") {
      options.scale = 0.1;
      options.repetitions = 3;
    } else if (arg == "--best") {
      options.best = true;
    } else if (arg.rfind("--backend=", 0) == 0) {
      backend = arg.substr(10);
    } else if (arg.rfind("--repetitions=", 0) == 0) {
      options.repetitions = std::stoi(arg.substr(14));
    } else if (arg == "latency" || arg == "fusion" || arg == "negotiation" || arg == "idle" ||
               arg == "skew") {
      which.push_back(arg);
    } else {
      std::cerr << "usage: ringtail-engine-bench [--quick] [--best] [--repetitions=N] [--backend=mpi|gloo] "
                   "[latency|fusion|negotiation|idle|skew ...]\n";
      return 2;
    }
  }
  if (which.empty()) which = {"latency", "negotiation", "fusion", "idle", "skew"};

  bench::MpiSession mpi;
  bench::ScratchDir scratch;
  auto world = coll::create_world(bench::job_world_options(backend, scratch));
  bench::report("ringtail-engine-bench: %d ranks, backend %s, %d repetitions (%s reported)\n\n", world->size(),
                backend.c_str(), options.repetitions, options.best ? "fastest" : "median");
  for (const std::string& w : which) {
    if (w == "latency") bench::latency(*world, options);
    if (w == "fusion") bench::fusion(*world, options);
    if (w == "negotiation") bench::negotiation(*world, options);
    if (w == "idle") bench::idle(*world, options);
    if (w == "skew") bench::skew(*world, options);
  }
  return 0;
}
