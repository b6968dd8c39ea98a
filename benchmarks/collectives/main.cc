// ringtail-bench: ringtail's measurements, one subcommand each. `collectives`
// is the nccl-tests-style sweep; more subcommands (train) register below.
#include <cstring>
#include <iostream>
#include <string>

#include "collectives_command.h"
#include "ringtail/bench/train_command.h"

namespace {

struct Subcommand {
  const char* name;
  const char* help;
  int (*run)(int argc, char** argv);
};

const Subcommand kSubcommands[] = {
    {"collectives", "allreduce/allgather/... sweeps against MPI and Gloo; --predict for AWS clusters",
     ringtail::bench::run_collectives},
    {"train", "training throughput of a ResNet or small CNN on synthetic data (benchmarks/training)",
     ringtail::bench::run_train},
};

void usage(std::ostream& out) {
  out << "usage: ringtail-bench <subcommand> [options]   (<subcommand> --help for its options)\n";
  for (const Subcommand& s : kSubcommands) out << "  " << s.name << "  " << s.help << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0) {
    usage(argc < 2 ? std::cerr : std::cout);
    return argc < 2 ? 2 : 0;
  }
  for (const Subcommand& s : kSubcommands) {
    if (argv[1] == std::string(s.name)) return s.run(argc - 2, argv + 2);
  }
  std::cerr << "ringtail-bench: unknown subcommand '" << argv[1] << "'\n";
  usage(std::cerr);
  return 2;
}
