#pragma once
// Test data and float64 references for collectives tests: every rank can
// compute what every other rank contributed, so each checks its own result
// against a reference computed in double (or exactly, for integers).

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "ringtail/collectives/data_type.h"
#include "ringtail/collectives/half.h"

namespace ringtail::test {

// The value rank `rank` contributes at index i: small integers so sums and
// products stay exact in every type, with sign changes so min/max are exercised.
inline double contribution(int rank, std::size_t i, coll::DataType type, coll::ReduceOp op) {
  const long long base = static_cast<long long>((i * 7 + static_cast<std::size_t>(rank) * 13) % 11);
  if (op == coll::ReduceOp::product) {
    // Values in {1, 2} (and -1 for signed types) keep products of 4 ranks exact.
    const long long v = 1 + (base % 2);
    const bool negate = (type != coll::DataType::u8) && ((i + rank) % 5 == 0);
    return static_cast<double>(negate ? -v : v);
  }
  if (type == coll::DataType::u8) return static_cast<double>(base);
  if (coll::is_floating_point(type)) return static_cast<double>(base - 5) + 0.25 * (rank % 3);
  return static_cast<double>(base - 5);
}

inline void store(void* buffer, std::size_t i, coll::DataType type, double v) {
  switch (type) {
    case coll::DataType::f16: static_cast<std::uint16_t*>(buffer)[i] = coll::float_to_f16(float(v)); break;
    case coll::DataType::bf16: static_cast<std::uint16_t*>(buffer)[i] = coll::float_to_bf16(float(v)); break;
    case coll::DataType::f32: static_cast<float*>(buffer)[i] = float(v); break;
    case coll::DataType::f64: static_cast<double*>(buffer)[i] = v; break;
    case coll::DataType::i8: static_cast<std::int8_t*>(buffer)[i] = std::int8_t(v); break;
    case coll::DataType::u8: static_cast<std::uint8_t*>(buffer)[i] = std::uint8_t(v); break;
    case coll::DataType::i32: static_cast<std::int32_t*>(buffer)[i] = std::int32_t(v); break;
    case coll::DataType::i64: static_cast<std::int64_t*>(buffer)[i] = std::int64_t(v); break;
  }
}

inline double load(const void* buffer, std::size_t i, coll::DataType type) {
  switch (type) {
    case coll::DataType::f16: return coll::f16_to_float(static_cast<const std::uint16_t*>(buffer)[i]);
    case coll::DataType::bf16: return coll::bf16_to_float(static_cast<const std::uint16_t*>(buffer)[i]);
    case coll::DataType::f32: return static_cast<const float*>(buffer)[i];
    case coll::DataType::f64: return static_cast<const double*>(buffer)[i];
    case coll::DataType::i8: return static_cast<const std::int8_t*>(buffer)[i];
    case coll::DataType::u8: return static_cast<const std::uint8_t*>(buffer)[i];
    case coll::DataType::i32: return static_cast<const std::int32_t*>(buffer)[i];
    case coll::DataType::i64: return static_cast<double>(static_cast<const std::int64_t*>(buffer)[i]);
  }
  return 0;
}

inline double reduce_reference(double a, double b, coll::ReduceOp op) {
  switch (op) {
    case coll::ReduceOp::sum:
    case coll::ReduceOp::average: return a + b;
    case coll::ReduceOp::min: return std::min(a, b);
    case coll::ReduceOp::max: return std::max(a, b);
    case coll::ReduceOp::product: return a * b;
  }
  return 0;
}

// The expected result at index i of reducing every rank's contribution, in
// double; integer averages truncate like the kernels do.
inline double expected_reduction(int size, std::size_t i, coll::DataType type, coll::ReduceOp op) {
  double acc = contribution(0, i, type, op);
  for (int r = 1; r < size; ++r) acc = reduce_reference(acc, contribution(r, i, type, op), op);
  if (op == coll::ReduceOp::average) {
    acc = coll::is_floating_point(type) ? acc / size : std::trunc(acc / size);
  }
  return acc;
}

// Absolute tolerance fitted to the dtype: exact for integers, a few ulps of the
// magnitude involved for floats (16-bit types round at every pairwise step).
inline double tolerance(coll::DataType type, double magnitude, int size) {
  switch (type) {
    case coll::DataType::f16: return (magnitude + 1) * 1e-3 * size;
    case coll::DataType::bf16: return (magnitude + 1) * 8e-3 * size;
    case coll::DataType::f32: return (magnitude + 1) * 1e-6 * size;
    case coll::DataType::f64: return (magnitude + 1) * 1e-12 * size;
    default: return 0;
  }
}

inline std::vector<char> filled(int rank, std::size_t count, coll::DataType type, coll::ReduceOp op) {
  std::vector<char> buffer(count * coll::size_of(type) + 1);
  for (std::size_t i = 0; i < count; ++i) store(buffer.data(), i, type, contribution(rank, i, type, op));
  return buffer;
}

}  // namespace ringtail::test
