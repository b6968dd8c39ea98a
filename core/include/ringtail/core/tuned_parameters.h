#pragma once
// The engine parameters the autotuner chooses (RINGTAIL_AUTOTUNE), as they are
// now. Read with Runtime::tuned_parameters(); without autotuning they are the
// configured values. Every rank reports the same values after the same round.

#include <chrono>
#include <cstddef>

#include "ringtail/core/config.h"

namespace ringtail::core {

enum class AutotuneState {
  off,     // RINGTAIL_AUTOTUNE is off: the configured values
  tuning,  // trying candidates; the values are the candidate running now
  done,    // the values are the chosen ones and stay
};

const char* to_string(AutotuneState s);

struct TunedParameters {
  std::size_t fusion_threshold_bytes = 0;
  std::chrono::microseconds cycle_time{0};
  // The global process set's algorithm (never `automatic`: what runs).
  AllreduceAlgorithm allreduce = AllreduceAlgorithm::native;
  AutotuneState state = AutotuneState::off;
  std::size_t trials = 0;  // samples measured so far
};

}  // namespace ringtail::core
