#include "ringtail/collectives/reduce_kernels.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "ringtail/collectives/error.h"
#include "ringtail/collectives/half.h"

namespace ringtail::coll {
namespace {

struct Sum {
  template <typename T>
  static T apply(T a, T b) { return a + b; }
};
struct Prod {
  template <typename T>
  static T apply(T a, T b) { return a * b; }
};
// Written as selects rather than std::min/max so NaN handling is explicit
// (a NaN in `a` survives) and the loops vectorize to minps/maxps + blend.
struct Min {
  template <typename T>
  static T apply(T a, T b) { return b < a ? b : a; }
};
struct Max {
  template <typename T>
  static T apply(T a, T b) { return b > a ? b : a; }
};

// Integer sums and products wrap like the hardware does, without the undefined
// behaviour of signed overflow: compute in the unsigned type of the same width.
template <typename T>
struct Wrapping {
  using type = T;
};
template <>
struct Wrapping<std::int8_t> {
  using type = std::uint8_t;
};
template <>
struct Wrapping<std::int32_t> {
  using type = std::uint32_t;
};
template <>
struct Wrapping<std::int64_t> {
  using type = std::uint64_t;
};

template <typename Op, typename T>
void reduce_typed(T* out, const T* a, const T* b, std::size_t n) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<Op, Min> && !std::is_same_v<Op, Max>) {
    using U = typename Wrapping<T>::type;
    for (std::size_t i = 0; i < n; ++i) {
      out[i] = static_cast<T>(static_cast<U>(Op::apply(static_cast<U>(a[i]), static_cast<U>(b[i]))));
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) out[i] = Op::apply(a[i], b[i]);
  }
}

// 16-bit floats: widen to float, reduce, narrow; blocked so the widened values
// stay in registers / L1 and each block's three loops vectorize.
template <typename Op, float (*Widen)(std::uint16_t), std::uint16_t (*Narrow)(float)>
void reduce_half(std::uint16_t* out, const std::uint16_t* a, const std::uint16_t* b,
                 std::size_t n) {
  constexpr std::size_t kBlock = 256;
  float fa[kBlock];
  float fb[kBlock];
  for (std::size_t base = 0; base < n; base += kBlock) {
    const std::size_t m = std::min(kBlock, n - base);
    for (std::size_t i = 0; i < m; ++i) fa[i] = Widen(a[base + i]);
    for (std::size_t i = 0; i < m; ++i) fb[i] = Widen(b[base + i]);
    for (std::size_t i = 0; i < m; ++i) out[base + i] = Narrow(Op::apply(fa[i], fb[i]));
  }
}

// out may equal a or b: every loop reads element i of both inputs before it
// writes element i, and the compiler's runtime overlap check keeps the
// vectorized loops correct when the buffers alias.
template <typename Op>
void reduce_op(void* out, const void* a, const void* b, std::size_t n, DataType type) {
  switch (type) {
    case DataType::f16:
      return reduce_half<Op, f16_to_float, float_to_f16>(
          static_cast<std::uint16_t*>(out), static_cast<const std::uint16_t*>(a),
          static_cast<const std::uint16_t*>(b), n);
    case DataType::bf16:
      return reduce_half<Op, bf16_to_float, float_to_bf16>(
          static_cast<std::uint16_t*>(out), static_cast<const std::uint16_t*>(a),
          static_cast<const std::uint16_t*>(b), n);
    case DataType::f32:
      return reduce_typed<Op>(static_cast<float*>(out), static_cast<const float*>(a),
                              static_cast<const float*>(b), n);
    case DataType::f64:
      return reduce_typed<Op>(static_cast<double*>(out), static_cast<const double*>(a),
                              static_cast<const double*>(b), n);
    case DataType::i8:
      return reduce_typed<Op>(static_cast<std::int8_t*>(out), static_cast<const std::int8_t*>(a),
                              static_cast<const std::int8_t*>(b), n);
    case DataType::u8:
      return reduce_typed<Op>(static_cast<std::uint8_t*>(out),
                              static_cast<const std::uint8_t*>(a),
                              static_cast<const std::uint8_t*>(b), n);
    case DataType::i32:
      return reduce_typed<Op>(static_cast<std::int32_t*>(out),
                              static_cast<const std::int32_t*>(a),
                              static_cast<const std::int32_t*>(b), n);
    case DataType::i64:
      return reduce_typed<Op>(static_cast<std::int64_t*>(out),
                              static_cast<const std::int64_t*>(a),
                              static_cast<const std::int64_t*>(b), n);
  }
}

template <typename T, typename F>
void map_typed(void* buf, std::size_t n, F f) {
  T* p = static_cast<T*>(buf);
  for (std::size_t i = 0; i < n; ++i) p[i] = f(p[i]);
}

// `v` truncated toward zero and clamped to T's range (NaN: 0). A plain cast of
// a double outside the range is undefined behaviour, and a huge prescale or
// postscale factor would reach it.
template <typename T>
T saturating(double v) {
  if (std::isnan(v)) return T{0};
  constexpr double lo = static_cast<double>(std::numeric_limits<T>::min());
  // 2^63 is the first double past int64's maximum (which a double cannot hold).
  constexpr double hi_excl = static_cast<double>(std::numeric_limits<T>::max()) + 1.0;
  if (v <= lo) return std::numeric_limits<T>::min();
  if (v >= hi_excl) return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}

}  // namespace

bool supports(DataType, ReduceOp) { return true; }

void reduce(void* out, const void* a, const void* b, std::size_t count, DataType type,
            ReduceOp op) {
  if (count == 0) return;
  switch (op) {
    case ReduceOp::sum:
    case ReduceOp::average: return reduce_op<Sum>(out, a, b, count, type);
    case ReduceOp::product: return reduce_op<Prod>(out, a, b, count, type);
    case ReduceOp::min: return reduce_op<Min>(out, a, b, count, type);
    case ReduceOp::max: return reduce_op<Max>(out, a, b, count, type);
  }
}

void reduce_into(void* inout, const void* in, std::size_t count, DataType type, ReduceOp op) {
  reduce(inout, inout, in, count, type, op);
}

void scale(void* buf, std::size_t count, DataType type, double factor) {
  const float f = static_cast<float>(factor);
  switch (type) {
    case DataType::f16:
      return map_typed<std::uint16_t>(buf, count, [f](std::uint16_t v) {
        return float_to_f16(f16_to_float(v) * f);
      });
    case DataType::bf16:
      return map_typed<std::uint16_t>(buf, count, [f](std::uint16_t v) {
        return float_to_bf16(bf16_to_float(v) * f);
      });
    case DataType::f32: return map_typed<float>(buf, count, [f](float v) { return v * f; });
    case DataType::f64:
      return map_typed<double>(buf, count, [factor](double v) { return v * factor; });
    case DataType::i8:
      return map_typed<std::int8_t>(buf, count, [factor](std::int8_t v) {
        return saturating<std::int8_t>(v * factor);
      });
    case DataType::u8:
      return map_typed<std::uint8_t>(buf, count, [factor](std::uint8_t v) {
        return saturating<std::uint8_t>(v * factor);
      });
    case DataType::i32:
      return map_typed<std::int32_t>(buf, count, [factor](std::int32_t v) {
        return saturating<std::int32_t>(v * factor);
      });
    case DataType::i64:
      return map_typed<std::int64_t>(buf, count, [factor](std::int64_t v) {
        return saturating<std::int64_t>(static_cast<double>(v) * factor);
      });
  }
}

void divide(void* buf, std::size_t count, DataType type, int divisor) {
  if (divisor == 0) throw Error(ErrorKind::invalid_argument, "divide: divisor is 0");
  switch (type) {
    case DataType::i8:
      return map_typed<std::int8_t>(buf, count, [divisor](std::int8_t v) {
        return static_cast<std::int8_t>(v / divisor);
      });
    case DataType::u8:
      return map_typed<std::uint8_t>(buf, count, [divisor](std::uint8_t v) {
        return static_cast<std::uint8_t>(v / divisor);
      });
    case DataType::i32:
      return map_typed<std::int32_t>(buf, count, [divisor](std::int32_t v) {
        return static_cast<std::int32_t>(v / divisor);
      });
    case DataType::i64:
      return map_typed<std::int64_t>(buf, count, [divisor](std::int64_t v) {
        return static_cast<std::int64_t>(v / divisor);
      });
    case DataType::f32:
      return map_typed<float>(buf, count, [d = static_cast<float>(divisor)](float v) { return v / d; });
    case DataType::f64:
      return map_typed<double>(buf, count, [divisor](double v) { return v / divisor; });
    case DataType::f16:
    case DataType::bf16: return scale(buf, count, type, 1.0 / divisor);
  }
}

}  // namespace ringtail::coll
