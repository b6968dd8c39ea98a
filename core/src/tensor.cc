#include "ringtail/core/tensor.h"

#include "ringtail/core/operation.h"

namespace ringtail::core {

std::string to_string(const Device& device) {
  if (device.kind == coll::MemoryKind::host) return "host";
  return std::string(coll::to_string(device.kind)) + ":" + std::to_string(device.index);
}

std::string to_string(const Shape& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

std::int64_t num_elements(const Shape& shape) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

std::int64_t row_elements(const Shape& shape) {
  std::int64_t n = 1;
  for (std::size_t i = 1; i < shape.size(); ++i) n *= shape[i];
  return n;
}

std::size_t TensorView::num_elements() const {
  return static_cast<std::size_t>(core::num_elements(shape));
}

std::size_t TensorView::bytes() const { return num_elements() * coll::size_of(dtype); }

const char* to_string(OpType type) {
  switch (type) {
    case OpType::allreduce: return "allreduce";
    case OpType::allgather: return "allgather";
    case OpType::broadcast: return "broadcast";
    case OpType::alltoall: return "alltoall";
    case OpType::reducescatter: return "reducescatter";
    case OpType::barrier: return "barrier";
    case OpType::join: return "join";
    case OpType::add_process_set: return "add_process_set";
    case OpType::remove_process_set: return "remove_process_set";
    case OpType::shutdown: return "shutdown";
  }
  return "?";
}

}  // namespace ringtail::core
