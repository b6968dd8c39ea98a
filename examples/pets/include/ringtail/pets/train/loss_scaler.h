#pragma once
// Dynamic loss scaling for fp16 training (what APEX's amp and torch.cuda.amp's
// GradScaler do; LibTorch 1.13 has no C++ GradScaler). fp16 gradients of a
// small loss underflow to zero, so the loss is multiplied by `scale` before
// backward and the gradients divided by it before the optimizer step. A step
// whose gradients overflowed (inf or NaN) is skipped and the scale halved;
// after `growth_interval` good steps in a row the scale doubles.
//
// In data-parallel training unscale_() runs after the allreduce, on gradients
// that are the same on every rank, so every rank skips the same steps.

#include <cstdint>
#include <vector>

#include <torch/types.h>

namespace ringtail::pets::train {

struct LossScalerOptions {
  double initial_scale = 65536.0;
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  std::int64_t growth_interval = 2000;
  double min_scale = 1.0;  // never below this, so a run that keeps overflowing still moves
};

class LossScaler {
 public:
  explicit LossScaler(LossScalerOptions options = {});

  double scale() const { return scale_; }
  ::torch::Tensor scale_loss(const ::torch::Tensor& loss) const { return loss * scale_; }

  // Divides every defined gradient by the scale, in place; returns whether
  // all of them are finite (false: skip this step).
  bool unscale_(const std::vector<::torch::Tensor>& parameters) const;

  // After each step (taken or skipped): adjusts the scale.
  void update(bool step_was_finite);

  // Checkpoint state.
  std::int64_t good_steps() const { return good_steps_; }
  void restore(double scale, std::int64_t good_steps);

 private:
  LossScalerOptions options_;
  double scale_;
  std::int64_t good_steps_ = 0;
};

}  // namespace ringtail::pets::train
