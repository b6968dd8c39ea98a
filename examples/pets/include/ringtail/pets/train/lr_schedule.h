#pragma once
// The learning rate of every optimizer step: linear warm-up, then cosine decay.
// Goyal et al. ("Accurate, Large Minibatch SGD") scale the rate linearly with
// the global batch and warm up from the single-worker rate, because the scaled
// rate is too large for the first, fast-changing steps; the cosine then takes
// it to `final_fraction` of the peak by the last step. A function of the step
// alone, so a resumed run gets the same rates as an uninterrupted one.

#include <cstdint>

namespace ringtail::pets::train {

struct LrSchedule {
  double peak = 0.1;             // after warm-up (already scaled for the global batch)
  double warmup_start = 0.01;    // the rate of step 0 when there is a warm-up
  std::int64_t warmup_steps = 0;
  std::int64_t total_steps = 1;  // of the whole run
  double final_fraction = 0.0;   // of `peak`, reached at the last step

  // The rate for optimizer step `step` (0-based).
  double at(std::int64_t step) const;
};

}  // namespace ringtail::pets::train
