#pragma once
// Helpers shared by the multi-rank engine tests: a runtime over a private copy
// of the harness's world, and tensors whose every element each rank can
// predict for every other rank (so results are checked against a float64
// reference computed locally).

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "ringtail/collectives/communicator.h"
#include "ringtail/collectives/error.h"
#include "ringtail/collectives/half.h"
#include "ringtail/core/runtime.h"

namespace ringtail::test {

using namespace std::chrono_literals;
using coll::DataType;
using coll::ReduceOp;
using core::Handle;
using core::Runtime;
using core::TensorView;

// Handles in these tests complete within this, or the test fails (no hangs).
inline constexpr std::chrono::milliseconds kWait = 20s;

inline core::Config test_config() {
  core::Config c;
  c.log_level = log::Level::error;
  return c;
}

// The runtime gets its own communicator, so the test body may keep using `world`.
inline std::unique_ptr<Runtime> make_runtime(coll::Communicator& world,
                                             const core::Config& config = test_config()) {
  return std::make_unique<Runtime>(config, world.split(0, world.rank()));
}

// Small integers, exact in every dtype (bf16 included) and in their sums.
inline double element_value(int rank, std::size_t tensor, std::size_t i) {
  return static_cast<double>((rank + 1) + static_cast<int>((tensor * 7 + i) % 5));
}

// Memory of `count` elements of `type`, filled from doubles.
class Buffer {
 public:
  Buffer(DataType type, std::size_t count) : type_(type), count_(count), bytes_(count * coll::size_of(type) + 1) {}

  void* data() { return bytes_.data(); }
  std::size_t count() const { return count_; }
  DataType type() const { return type_; }

  void set(std::size_t i, double v) {
    char* p = bytes_.data() + i * coll::size_of(type_);
    switch (type_) {
      case DataType::f16: store(p, coll::float_to_f16(static_cast<float>(v))); break;
      case DataType::bf16: store(p, coll::float_to_bf16(static_cast<float>(v))); break;
      case DataType::f32: store(p, static_cast<float>(v)); break;
      case DataType::f64: store(p, v); break;
      case DataType::i8: store(p, static_cast<std::int8_t>(v)); break;
      case DataType::u8: store(p, static_cast<std::uint8_t>(v)); break;
      case DataType::i32: store(p, static_cast<std::int32_t>(v)); break;
      case DataType::i64: store(p, static_cast<std::int64_t>(v)); break;
    }
  }
  double get(std::size_t i) const { return load(bytes_.data() + i * coll::size_of(type_), type_); }

  TensorView view(std::vector<std::int64_t> shape) {
    return TensorView{data(), type_, std::move(shape), {}};
  }
  TensorView view() { return view({static_cast<std::int64_t>(count_)}); }

  static double load(const void* at, DataType type) {
    const char* p = static_cast<const char*>(at);
    switch (type) {
      case DataType::f16: return coll::f16_to_float(fetch<std::uint16_t>(p));
      case DataType::bf16: return coll::bf16_to_float(fetch<std::uint16_t>(p));
      case DataType::f32: return fetch<float>(p);
      case DataType::f64: return fetch<double>(p);
      case DataType::i8: return fetch<std::int8_t>(p);
      case DataType::u8: return fetch<std::uint8_t>(p);
      case DataType::i32: return fetch<std::int32_t>(p);
      case DataType::i64: return static_cast<double>(fetch<std::int64_t>(p));
    }
    return 0;
  }

 private:
  template <typename T>
  static void store(char* p, T v) { std::memcpy(p, &v, sizeof v); }
  template <typename T>
  static T fetch(const char* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }

  DataType type_;
  std::size_t count_;
  std::vector<char> bytes_;
};

// Relative tolerance of one rounding of the result in `type`.
inline double tolerance(DataType type, double expected) {
  const double mag = std::max(1.0, std::abs(expected));
  switch (type) {
    case DataType::f16: return mag * 2e-3;
    case DataType::bf16: return mag * 1e-2;
    case DataType::f32: return mag * 1e-6;
    case DataType::f64: return mag * 1e-12;
    default: return 0.5;  // integers: exact (doubles hold them exactly)
  }
}

// Number of elements of `buffer` that differ from expected(i); reports the first few.
template <typename Expected>
std::size_t count_wrong(const Buffer& buffer, Expected expected, const std::string& what) {
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < buffer.count(); ++i) {
    const double want = expected(i);
    const double got = buffer.get(i);
    if (!(std::abs(got - want) <= tolerance(buffer.type(), want))) {
      if (wrong++ < 3) ADD_FAILURE() << what << ": element " << i << " is " << got << ", expected " << want;
    }
  }
  return wrong;
}

// Runs `f` and returns the ringtail::Error it throws (fails the test if none).
template <typename F>
Error expect_error(F f, ErrorKind kind) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    return e;
  }
  ADD_FAILURE() << "expected an Error of kind " << to_string(kind);
  return Error(kind, "");
}

}  // namespace ringtail::test
