#include "step_meter.h"

#include <algorithm>

#include "fusion_plan.h"

namespace ringtail::core::detail {
namespace {

bool counts(const RoundItem& item) {
  return item.response.kind == ResponseKind::run && item.response.signature.op == OpType::allreduce;
}

}  // namespace

StepMeter::StepMeter(std::size_t warmup_steps, std::size_t steps_per_sample)
    : steps_per_sample_(std::max<std::size_t>(steps_per_sample, 1)), warmup_left_(warmup_steps) {}

std::optional<StepMeter::Sample> StepMeter::on_round(const std::vector<RoundItem>& items, int set_size,
                                                     Clock::time_point now) {
  bool new_step = seen_.size() >= kMaxStepTensors;
  double bytes = 0;
  for (const RoundItem& item : items) {
    if (!counts(item)) continue;
    new_step |= seen_.count(item.response.name) != 0;
    bytes += static_cast<double>(fusion_bytes(item.response, set_size));
  }
  if (new_step) seen_.clear();
  for (const RoundItem& item : items) {
    if (counts(item)) seen_.insert(item.response.name);
  }

  std::optional<Sample> ended;
  if (new_step) {
    if (!measuring_) {
      if (warmup_left_ > 0) --warmup_left_;
      if (warmup_left_ == 0) {
        measuring_ = true;
        sample_ = Sample{};
        start_ = now;
      }
    } else if (++sample_.steps >= steps_per_sample_) {
      sample_.elapsed = now - start_;
      ended = sample_;
      sample_ = Sample{};
      start_ = now;
    }
  }
  if (measuring_) sample_.bytes += bytes;
  return ended;
}

}  // namespace ringtail::core::detail
