#include "ringtail/pets/train/precision.h"

#include <ATen/autocast_mode.h>

#include "ringtail/collectives/error.h"

namespace ringtail::pets::train {

Precision parse_precision(const std::string& name) {
  if (name == "fp32" || name == "off") return Precision::fp32;
  if (name == "bf16") return Precision::bf16;
  if (name == "fp16") return Precision::fp16;
  throw Error(ErrorKind::invalid_argument,
              "precision must be fp32 (off), bf16 or fp16, not '" + name + "'");
}

std::string to_string(Precision precision) {
  switch (precision) {
    case Precision::fp32: return "fp32";
    case Precision::bf16: return "bf16";
    case Precision::fp16: return "fp16";
  }
  return "?";
}

void check_precision(Precision precision, const ::torch::Device& device) {
  if (precision == Precision::fp16 && !device.is_cuda()) {
    throw Error(ErrorKind::invalid_argument,
                "fp16 mixed precision needs a CUDA device (--device cuda); on the CPU use bf16");
  }
}

AutocastGuard::AutocastGuard(Precision precision, const ::torch::Device& device) {
  if (precision == Precision::fp32) return;
  active_ = true;
  cuda_ = device.is_cuda();
  const at::ScalarType dtype = precision == Precision::fp16 ? at::kHalf : at::kBFloat16;
  if (cuda_) {
    previous_enabled_ = at::autocast::is_enabled();
    previous_dtype_ = at::autocast::get_autocast_gpu_dtype();
    at::autocast::set_enabled(true);
    at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    previous_enabled_ = at::autocast::is_cpu_enabled();
    previous_dtype_ = at::autocast::get_autocast_cpu_dtype();
    at::autocast::set_cpu_enabled(true);
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
  at::autocast::increment_nesting();
}

AutocastGuard::~AutocastGuard() {
  if (!active_) return;
  // The cast cache holds low-precision copies of the weights for this forward
  // pass only; the outermost guard drops it.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  if (cuda_) {
    at::autocast::set_enabled(previous_enabled_);
    at::autocast::set_autocast_gpu_dtype(previous_dtype_);
  } else {
    at::autocast::set_cpu_enabled(previous_enabled_);
    at::autocast::set_autocast_cpu_dtype(previous_dtype_);
  }
}

}  // namespace ringtail::pets::train
