#pragma once
// The context every multi-rank adapter test builds: its own split of the
// harness's world (so the test body may keep using `world`), one LibTorch
// thread per rank, and a short cycle time so rounds do not wait.

#include <chrono>
#include <cstddef>
#include <memory>

#include "ringtail/torch/ringtail.h"

namespace ringtail_torch_test {

inline std::unique_ptr<ringtail::torch::Context> make_context(
    ringtail::coll::Communicator& world, std::size_t fusion_threshold = std::size_t{64} << 20) {
  at::set_num_threads(1);
  ringtail::core::Config config;
  config.cycle_time = std::chrono::microseconds(200);
  config.fusion_threshold_bytes = fusion_threshold;
  return std::make_unique<ringtail::torch::Context>(config, world.split(0, world.rank()));
}

}  // namespace ringtail_torch_test
