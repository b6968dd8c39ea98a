#pragma once
// `ringtail-bench collectives`: the nccl-tests-style sweep (or --predict).

namespace ringtail::bench {

// argv excludes the program and subcommand names. Returns the exit code.
int run_collectives(int argc, char** argv);

}  // namespace ringtail::bench
