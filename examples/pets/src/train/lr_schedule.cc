#include "ringtail/pets/train/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace ringtail::pets::train {

double LrSchedule::at(std::int64_t step) const {
  step = std::clamp<std::int64_t>(step, 0, std::max<std::int64_t>(total_steps - 1, 0));
  if (step < warmup_steps) {
    // Step warmup_steps - 1 stops one increment short of the peak, which the
    // first step after warm-up reaches.
    const double t = static_cast<double>(step) / static_cast<double>(warmup_steps);
    return warmup_start + (peak - warmup_start) * t;
  }
  const std::int64_t decay_steps = total_steps - warmup_steps;
  if (decay_steps <= 1) return peak;
  const double t = static_cast<double>(step - warmup_steps) / static_cast<double>(decay_steps - 1);
  const double floor = peak * final_fraction;
  return floor + (peak - floor) * 0.5 * (1.0 + std::cos(M_PI * t));
}

}  // namespace ringtail::pets::train
