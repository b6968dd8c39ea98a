// Single-process tests of the reduction kernels and the 16-bit conversions.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "reference.h"
#include "ringtail/collectives/error.h"
#include "ringtail/collectives/half.h"
#include "ringtail/collectives/reduce_kernels.h"

namespace ringtail::test {
namespace {

using coll::DataType;
using coll::ReduceOp;

TEST(HalfConversion, EveryF16RoundTripsThroughFloat) {
  for (std::uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const auto h = static_cast<std::uint16_t>(bits);
    const float f = coll::f16_to_float(h);
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(coll::f16_to_float(coll::float_to_f16(f)))) << bits;
      continue;
    }
    ASSERT_EQ(coll::float_to_f16(f), h) << "f16 bits " << bits << " -> " << f;
  }
}

TEST(HalfConversion, F16KnownValuesAndRounding) {
  EXPECT_EQ(coll::f16_to_float(0x3c00), 1.0f);
  EXPECT_EQ(coll::f16_to_float(0xc000), -2.0f);
  EXPECT_EQ(coll::f16_to_float(0x7bff), 65504.0f);
  EXPECT_EQ(coll::f16_to_float(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_TRUE(std::isinf(coll::f16_to_float(0x7c00)));
  EXPECT_EQ(coll::float_to_f16(1e6f), 0x7c00);                     // overflow to inf
  EXPECT_EQ(coll::float_to_f16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);  // tie to even
  EXPECT_EQ(coll::float_to_f16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
}

TEST(HalfConversion, EveryBf16RoundTripsAndRoundsToNearestEven) {
  for (std::uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const auto h = static_cast<std::uint16_t>(bits);
    const float f = coll::bf16_to_float(h);
    if (std::isnan(f)) continue;
    ASSERT_EQ(coll::float_to_bf16(f), h) << bits;
  }
  EXPECT_EQ(coll::float_to_bf16(coll::bits_to_float(0x3f808000u)), 0x3f80);  // tie, even stays
  EXPECT_EQ(coll::float_to_bf16(coll::bits_to_float(0x3f818000u)), 0x3f82);  // tie, odd rounds up
  EXPECT_TRUE(std::isnan(coll::bf16_to_float(coll::float_to_bf16(std::nanf("")))));
}

class KernelTest : public ::testing::TestWithParam<std::tuple<DataType, ReduceOp>> {};

TEST_P(KernelTest, ReduceMatchesDoubleReferenceAndAllowsAliasing) {
  const auto [type, op] = GetParam();
  for (std::size_t count : {std::size_t{0}, std::size_t{1}, std::size_t{255}, std::size_t{257}, std::size_t{10001}}) {
    std::vector<char> a = filled(0, count, type, op);
    std::vector<char> b = filled(1, count, type, op);
    std::vector<char> out(a.size());
    coll::reduce(out.data(), a.data(), b.data(), count, type, op);
    coll::reduce_into(a.data(), b.data(), count, type, op);  // aliased output
    for (std::size_t i = 0; i < count; ++i) {
      const double expected = reduce_reference(contribution(0, i, type, op), contribution(1, i, type, op), op);
      ASSERT_NEAR(load(out.data(), i, type), expected, tolerance(type, std::abs(expected), 2)) << i;
      ASSERT_EQ(load(a.data(), i, type), load(out.data(), i, type)) << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(DtypesAndOps, KernelTest,
                         ::testing::Combine(::testing::ValuesIn(coll::kAllDataTypes),
                                            ::testing::ValuesIn(coll::kAllReduceOps)),
                         [](const auto& info) {
                           return std::string(to_string(std::get<0>(info.param))) + "_" +
                                  std::string(to_string(std::get<1>(info.param)));
                         });

TEST(Kernels, IntegerSumsWrapWithoutUndefinedBehaviour) {
  std::int32_t a[] = {std::numeric_limits<std::int32_t>::max()};
  std::int32_t b[] = {1};
  coll::reduce_into(a, b, 1, DataType::i32, ReduceOp::sum);
  EXPECT_EQ(a[0], std::numeric_limits<std::int32_t>::min());
}

TEST(Kernels, DivideTruncatesIntegersAndDividesFloats) {
  std::int64_t ints[] = {7, -7, 9};
  coll::divide(ints, 3, DataType::i64, 2);
  EXPECT_EQ(ints[0], 3);
  EXPECT_EQ(ints[1], -3);
  EXPECT_EQ(ints[2], 4);
  float floats[] = {1.0f, 3.0f};
  coll::divide(floats, 2, DataType::f32, 3);
  EXPECT_FLOAT_EQ(floats[0], 1.0f / 3);
  EXPECT_FLOAT_EQ(floats[1], 1.0f);
  EXPECT_THROW(coll::divide(floats, 2, DataType::f32, 0), Error);
}

TEST(Kernels, ScaleAppliesToSixteenBitFloats) {
  std::uint16_t v[] = {coll::float_to_bf16(3.0f), coll::float_to_bf16(-1.5f)};
  coll::scale(v, 2, DataType::bf16, 0.5);
  EXPECT_EQ(coll::bf16_to_float(v[0]), 1.5f);
  EXPECT_EQ(coll::bf16_to_float(v[1]), -0.75f);
}

// A factor that takes integers past their range (a huge prescale) saturates
// instead of casting out of range, which is undefined behaviour.
TEST(Kernels, ScaleSaturatesIntegers) {
  std::int8_t i8[] = {3, -3, 1};
  coll::scale(i8, 3, DataType::i8, 1e6);
  EXPECT_EQ(i8[0], 127);
  EXPECT_EQ(i8[1], -128);
  std::uint8_t u8[] = {200, 1};
  coll::scale(u8, 2, DataType::u8, -2.0);
  EXPECT_EQ(u8[0], 0);
  coll::scale(u8, 2, DataType::u8, 0.5);
  EXPECT_EQ(u8[1], 0);  // 0 * 0.5
  std::int32_t i32[] = {7, -7, 5};
  coll::scale(i32, 3, DataType::i32, 1e300);
  EXPECT_EQ(i32[0], std::numeric_limits<std::int32_t>::max());
  EXPECT_EQ(i32[1], std::numeric_limits<std::int32_t>::min());
  std::int64_t i64[] = {2, -2, 9};
  coll::scale(i64, 3, DataType::i64, 1e300);
  EXPECT_EQ(i64[0], std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(i64[1], std::numeric_limits<std::int64_t>::min());
  std::int64_t nan_scaled[] = {4};
  coll::scale(nan_scaled, 1, DataType::i64, std::nan(""));
  EXPECT_EQ(nan_scaled[0], 0);
  std::int32_t ordinary[] = {9, -9};
  coll::scale(ordinary, 2, DataType::i32, 0.5);  // truncation toward zero is unchanged
  EXPECT_EQ(ordinary[0], 4);
  EXPECT_EQ(ordinary[1], -4);
}

TEST(Kernels, MinAndMaxOnRandomFloatsMatchStd) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-100, 100);
  std::vector<float> a(1001), b(1001), lo(1001), hi(1001);
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] = dist(rng);
    b[i] = dist(rng);
  }
  coll::reduce(lo.data(), a.data(), b.data(), a.size(), DataType::f32, ReduceOp::min);
  coll::reduce(hi.data(), a.data(), b.data(), a.size(), DataType::f32, ReduceOp::max);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(lo[i], std::min(a[i], b[i]));
    EXPECT_EQ(hi[i], std::max(a[i], b[i]));
  }
}

}  // namespace
}  // namespace ringtail::test
