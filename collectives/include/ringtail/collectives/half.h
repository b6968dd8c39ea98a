#pragma once
// Conversions between float and the 16-bit floating types, written without
// branches or lookup tables so loops over them vectorize.

#include <cstdint>
#include <cstring>

namespace ringtail::coll {

inline float bits_to_float(std::uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

inline std::uint32_t float_to_bits(float f) {
  std::uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

inline float bf16_to_float(std::uint16_t h) { return bits_to_float(std::uint32_t{h} << 16); }

// Round to nearest even; NaN stays NaN (its quiet bit survives the shift).
inline std::uint16_t float_to_bf16(float f) {
  std::uint32_t bits = float_to_bits(f);
  std::uint32_t is_nan = (bits & 0x7fffffffu) > 0x7f800000u;
  std::uint32_t rounded = bits + 0x7fffu + ((bits >> 16) & 1u);
  std::uint32_t result = is_nan ? (bits | 0x00400000u) : rounded;
  return static_cast<std::uint16_t>(result >> 16);
}

// IEEE binary16 -> binary32, exact (subnormals, infinities and NaNs included).
// Normal numbers: move the bits into place and rescale the exponent with one
// multiply (which also turns the half's max exponent into float inf/NaN).
// Subnormals: build 0.5 + m * 2^-24 and subtract 0.5.
inline float f16_to_float(std::uint16_t h) {
  const std::uint32_t w = std::uint32_t{h} << 16;
  const std::uint32_t sign = w & 0x80000000u;
  const std::uint32_t two_w = w + w;
  const float normalized = bits_to_float((two_w >> 4) + (0xe0u << 23)) * bits_to_float(0x07800000u);
  const float denormalized = bits_to_float((two_w >> 17) | (126u << 23)) - 0.5f;
  const std::uint32_t magnitude =
      two_w < (1u << 27) ? float_to_bits(denormalized) : float_to_bits(normalized);
  return bits_to_float(sign | magnitude);
}

// binary32 -> binary16 with round to nearest even, overflow to infinity and
// gradual underflow: two multiplies let the float unit do the half's rounding.
inline std::uint16_t float_to_f16(float f) {
  const std::uint32_t w = float_to_bits(f);
  const std::uint32_t sign = w & 0x80000000u;
  const std::uint32_t abs_bits = w & 0x7fffffffu;
  float base = (bits_to_float(abs_bits) * bits_to_float(0x77800000u)) * bits_to_float(0x08800000u);
  std::uint32_t exponent = abs_bits & 0x7f800000u;
  exponent = exponent < 0x38800000u ? 0x38800000u : exponent;
  base = bits_to_float(exponent + 0x07800000u) + base;
  const std::uint32_t bits = float_to_bits(base);
  const std::uint32_t nonsign = ((bits >> 13) & 0x7c00u) + (bits & 0x0fffu);
  const std::uint32_t magnitude = abs_bits > 0x7f800000u ? 0x7e00u : nonsign;
  return static_cast<std::uint16_t>((sign >> 16) | magnitude);
}

}  // namespace ringtail::coll
