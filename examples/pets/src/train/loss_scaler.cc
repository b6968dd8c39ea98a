#include "ringtail/pets/train/loss_scaler.h"

#include <algorithm>

#include "ringtail/collectives/error.h"

namespace ringtail::pets::train {

LossScaler::LossScaler(LossScalerOptions options) : options_(options), scale_(options.initial_scale) {
  if (!(options_.initial_scale > 0) || !(options_.growth_factor >= 1) ||
      !(options_.backoff_factor > 0 && options_.backoff_factor < 1) || options_.growth_interval < 1) {
    throw Error(ErrorKind::invalid_argument,
                "LossScaler: needs initial_scale > 0, growth_factor >= 1, 0 < backoff_factor < 1 "
                "and growth_interval >= 1");
  }
}

bool LossScaler::unscale_(const std::vector<::torch::Tensor>& parameters) const {
  ::torch::NoGradGuard no_grad;
  const double inverse = 1.0 / scale_;
  bool finite = true;
  for (const auto& parameter : parameters) {
    const ::torch::Tensor& grad = parameter.grad();
    if (!grad.defined()) continue;
    grad.mul_(inverse);
    // One host sync per tensor; the fused _amp_foreach kernel would avoid it on
    // CUDA, but this runs once per optimizer step and keeps one code path.
    if (finite && !::torch::isfinite(grad).all().item<bool>()) finite = false;
  }
  return finite;
}

void LossScaler::update(bool step_was_finite) {
  if (!step_was_finite) {
    scale_ = std::max(options_.min_scale, scale_ * options_.backoff_factor);
    good_steps_ = 0;
    return;
  }
  if (++good_steps_ >= options_.growth_interval) {
    scale_ *= options_.growth_factor;
    good_steps_ = 0;
  }
}

void LossScaler::restore(double scale, std::int64_t good_steps) {
  if (!(scale > 0)) {
    throw Error(ErrorKind::invalid_argument, "LossScaler: restored scale must be positive");
  }
  scale_ = scale;
  good_steps_ = std::max<std::int64_t>(good_steps, 0);
}

}  // namespace ringtail::pets::train
