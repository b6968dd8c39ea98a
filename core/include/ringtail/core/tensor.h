#pragma once
// What the engine knows about a tensor: where its memory is, its element type
// and its shape. There is no LibTorch here: the adapter wraps an at::Tensor into
// a TensorView, and the engine reads and writes the memory it points to.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ringtail/collectives/data_type.h"

namespace ringtail::core {

struct Device {
  coll::MemoryKind kind = coll::MemoryKind::host;
  int index = 0;  // the CUDA device; 0 for host memory

  friend bool operator==(const Device& a, const Device& b) {
    return a.kind == b.kind && a.index == b.index;
  }
  friend bool operator!=(const Device& a, const Device& b) { return !(a == b); }
};

std::string to_string(const Device& device);  // "host", "cuda:1"

using Shape = std::vector<std::int64_t>;

std::string to_string(const Shape& shape);  // "[2, 3]"
// The product of the dimensions (1 for a scalar, 0 when a dimension is 0).
std::int64_t num_elements(const Shape& shape);
// The product of every dimension but the first (the size of one row).
std::int64_t row_elements(const Shape& shape);

// A view of memory the caller owns; it must stay valid until the operation's
// handle completes.
struct TensorView {
  void* data = nullptr;
  coll::DataType dtype = coll::DataType::f32;
  Shape shape;
  Device device;

  std::size_t num_elements() const;
  std::size_t bytes() const;
};

}  // namespace ringtail::core
