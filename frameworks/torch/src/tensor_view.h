#pragma once
// at::Tensor <-> core::TensorView. The engine sees a tensor's memory, dtype,
// shape and device; the tensor must be contiguous, and its dtype one the
// collectives layer has.

#include <ATen/Tensor.h>

#include "ringtail/core/tensor.h"

namespace ringtail::torch::detail {

coll::DataType to_data_type(at::ScalarType type, const std::string& name);
at::ScalarType to_scalar_type(coll::DataType type);
core::Device to_device(const at::Device& device);
at::Device to_torch_device(const core::Device& device);

// Throws Error(invalid_argument) naming the tensor when it is sparse, not contiguous or
// its dtype has no collectives equivalent.
core::TensorView view_of(const at::Tensor& tensor, const std::string& name);

}  // namespace ringtail::torch::detail
