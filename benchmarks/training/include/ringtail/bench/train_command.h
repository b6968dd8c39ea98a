#pragma once
// `ringtail-bench train`: synthetic-data training throughput of a pets model
// under ringtail's DistributedOptimizer (docs/performance.md).

namespace ringtail::bench {

// argv excludes the program and subcommand names. Returns the exit code.
// Without LibTorch it prints why it is unavailable and returns 2.
int run_train(int argc, char** argv);

}  // namespace ringtail::bench
