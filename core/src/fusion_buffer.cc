#include "fusion_buffer.h"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

#include "ringtail/collectives/half.h"

namespace ringtail::core::detail {

void FusionBuffer::Free::operator()(std::uint8_t* p) const noexcept { std::free(p); }

std::uint8_t* FusionBuffer::reserve(std::size_t bytes) {
  if (bytes <= capacity_ && data_) return data_.get();
  // Round up so a slowly growing sequence of groups does not reallocate often.
  std::size_t want = std::max<std::size_t>(bytes, capacity_ + capacity_ / 2);
  want = (want + kAlignment - 1) / kAlignment * kAlignment;
  if (want == 0) want = kAlignment;
  void* p = std::aligned_alloc(kAlignment, want);
  if (!p) throw std::bad_alloc();
  data_.reset(static_cast<std::uint8_t*>(p));
  capacity_ = want;
  return data_.get();
}

namespace {

template <typename T>
void fill_typed(void* buffer, std::size_t count, T value) {
  T* p = static_cast<T*>(buffer);
  for (std::size_t i = 0; i < count; ++i) p[i] = value;
}

template <typename T>
T identity_of(coll::ReduceOp op) {
  switch (op) {
    case coll::ReduceOp::product: return T(1);
    case coll::ReduceOp::min:
      return std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity()
                                                  : std::numeric_limits<T>::max();
    case coll::ReduceOp::max:
      return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                  : std::numeric_limits<T>::lowest();
    default: return T(0);
  }
}

}  // namespace

void fill_identity(void* buffer, std::size_t count, coll::DataType type, coll::ReduceOp op) {
  if (count == 0) return;
  if ((op == coll::ReduceOp::sum || op == coll::ReduceOp::average)) {
    std::memset(buffer, 0, count * coll::size_of(type));  // zero bits are 0 in every type
    return;
  }
  switch (type) {
    case coll::DataType::f16:
      fill_typed(buffer, count, coll::float_to_f16(identity_of<float>(op)));
      break;
    case coll::DataType::bf16:
      fill_typed(buffer, count, coll::float_to_bf16(identity_of<float>(op)));
      break;
    case coll::DataType::f32: fill_typed(buffer, count, identity_of<float>(op)); break;
    case coll::DataType::f64: fill_typed(buffer, count, identity_of<double>(op)); break;
    case coll::DataType::i8: fill_typed(buffer, count, identity_of<std::int8_t>(op)); break;
    case coll::DataType::u8: fill_typed(buffer, count, identity_of<std::uint8_t>(op)); break;
    case coll::DataType::i32: fill_typed(buffer, count, identity_of<std::int32_t>(op)); break;
    case coll::DataType::i64: fill_typed(buffer, count, identity_of<std::int64_t>(op)); break;
  }
}

}  // namespace ringtail::core::detail
