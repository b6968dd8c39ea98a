#include "tensor_view.h"

#include <c10/core/ScalarType.h>

#include "ringtail/collectives/error.h"

namespace ringtail::torch::detail {

coll::DataType to_data_type(at::ScalarType type, const std::string& name) {
  switch (type) {
    case at::kHalf: return coll::DataType::f16;
    case at::kBFloat16: return coll::DataType::bf16;
    case at::kFloat: return coll::DataType::f32;
    case at::kDouble: return coll::DataType::f64;
    case at::kChar: return coll::DataType::i8;
    case at::kByte: return coll::DataType::u8;
    case at::kInt: return coll::DataType::i32;
    case at::kLong: return coll::DataType::i64;
    default:
      throw Error(ErrorKind::invalid_argument,
                  "tensor '" + name + "' has dtype " + std::string(c10::toString(type)) +
                      ", which ringtail's collectives do not support (use f16, bf16, f32, f64, "
                      "i8, u8, i32 or i64)");
  }
}

at::ScalarType to_scalar_type(coll::DataType type) {
  switch (type) {
    case coll::DataType::f16: return at::kHalf;
    case coll::DataType::bf16: return at::kBFloat16;
    case coll::DataType::f32: return at::kFloat;
    case coll::DataType::f64: return at::kDouble;
    case coll::DataType::i8: return at::kChar;
    case coll::DataType::u8: return at::kByte;
    case coll::DataType::i32: return at::kInt;
    case coll::DataType::i64: return at::kLong;
  }
  return at::kFloat;
}

core::Device to_device(const at::Device& device) {
  core::Device out;
  if (device.is_cuda()) {
    out.kind = coll::MemoryKind::cuda;
    out.index = device.has_index() ? device.index() : 0;
  }
  return out;
}

at::Device to_torch_device(const core::Device& device) {
  if (device.kind == coll::MemoryKind::cuda) {
    return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(device.index));
  }
  return at::Device(at::kCPU);
}

core::TensorView view_of(const at::Tensor& tensor, const std::string& name) {
  if (!tensor.defined()) {
    throw Error(ErrorKind::invalid_argument, "tensor '" + name + "' is undefined");
  }
  if (tensor.layout() != at::kStrided) {
    throw Error(ErrorKind::invalid_argument,
                "tensor '" + name + "' is " + (tensor.is_sparse() ? "sparse" : "not a strided tensor") +
                    ": ringtail's collectives take dense tensors (call .to_dense() first)");
  }
  if (!tensor.is_contiguous()) {
    throw Error(ErrorKind::invalid_argument,
                "tensor '" + name + "' is not contiguous: call .contiguous() first");
  }
  core::TensorView view;
  view.data = tensor.data_ptr();
  view.dtype = to_data_type(tensor.scalar_type(), name);
  view.shape.assign(tensor.sizes().begin(), tensor.sizes().end());
  view.device = to_device(tensor.device());
  return view;
}

}  // namespace ringtail::torch::detail
