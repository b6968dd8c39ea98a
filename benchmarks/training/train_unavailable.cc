// `ringtail-bench train` in a build without LibTorch: the subcommand stays
// listed and says what it needs.
#include <iostream>

#include "ringtail/bench/train_command.h"

namespace ringtail::bench {

int run_train(int, char**) {
  std::cerr << "ringtail-bench train: this build has no LibTorch (apt-get install libtorch-dev, then "
               "reconfigure with RINGTAIL_WITH_TORCH=ON)\n";
  return 2;
}

}  // namespace ringtail::bench
