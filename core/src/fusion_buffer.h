#pragma once
// The persistent buffer fused collectives run on: allocated once, 64-byte
// aligned, grown (never shrunk) to the largest group so far, so the steady
// state allocates nothing. Owned by the background thread.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "ringtail/collectives/data_type.h"

namespace ringtail::core::detail {

class FusionBuffer {
 public:
  static constexpr std::size_t kAlignment = 64;

  // At least `bytes` bytes, aligned; contents are not preserved across growth.
  std::uint8_t* reserve(std::size_t bytes);
  std::size_t capacity() const { return capacity_; }

 private:
  struct Free {
    void operator()(std::uint8_t* p) const noexcept;
  };
  std::unique_ptr<std::uint8_t, Free> data_;
  std::size_t capacity_ = 0;
};

// Fills `count` elements with the identity of `op` (0 for sum and average, 1
// for product, the largest value for min, the smallest for max): what a
// joined rank contributes so it does not change the result.
void fill_identity(void* buffer, std::size_t count, coll::DataType type, coll::ReduceOp op);

}  // namespace ringtail::core::detail
