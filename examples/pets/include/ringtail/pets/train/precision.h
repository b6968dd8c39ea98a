#pragma once
// Mixed precision. `bf16` runs the forward pass under autocast to bfloat16
// (CPU or CUDA; on CPUs without bf16 instructions it is much slower than fp32,
// hence off by default); `fp16` runs it under CUDA autocast to float16 with
// dynamic loss scaling (loss_scaler.h), what APEX gave the original workshop.
// Backward runs outside the guard, as torch.autocast prescribes.

#include <string>

#include <torch/types.h>

namespace ringtail::pets::train {

enum class Precision { fp32, bf16, fp16 };

Precision parse_precision(const std::string& name);  // "fp32" (or "off"), "bf16", "fp16"
std::string to_string(Precision precision);

// Throws ringtail::Error for a combination that cannot run (fp16 on the CPU).
void check_precision(Precision precision, const ::torch::Device& device);

// Autocast for the forward pass on `device` while in scope (a no-op for fp32).
// Restores the previous state and clears the cast cache on exit, like
// torch.autocast's context manager.
class AutocastGuard {
 public:
  AutocastGuard(Precision precision, const ::torch::Device& device);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool active_ = false;
  bool cuda_ = false;
  bool previous_enabled_ = false;
  at::ScalarType previous_dtype_ = at::kFloat;
};

}  // namespace ringtail::pets::train
