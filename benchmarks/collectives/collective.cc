#include "collective.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "ringtail/collectives/half.h"

namespace ringtail::bench {
namespace {

using coll::DataType;
using coll::ReduceOp;

double value(int rank, std::size_t i, DataType type, ReduceOp op) {
  const auto base = static_cast<long long>((i * 7 + static_cast<std::size_t>(rank) * 13) % 11);
  if (op == ReduceOp::product) return ((i + static_cast<std::size_t>(rank)) % 5 == 0) ? 2.0 : 1.0;
  if (type == DataType::u8) return static_cast<double>(base);
  return static_cast<double>(base - 5);
}

void store(void* buffer, std::size_t i, DataType type, double v) {
  switch (type) {
    case DataType::f16: static_cast<std::uint16_t*>(buffer)[i] = coll::float_to_f16(float(v)); break;
    case DataType::bf16: static_cast<std::uint16_t*>(buffer)[i] = coll::float_to_bf16(float(v)); break;
    case DataType::f32: static_cast<float*>(buffer)[i] = float(v); break;
    case DataType::f64: static_cast<double*>(buffer)[i] = v; break;
    case DataType::i8: static_cast<std::int8_t*>(buffer)[i] = std::int8_t(v); break;
    case DataType::u8: static_cast<std::uint8_t*>(buffer)[i] = std::uint8_t(v); break;
    case DataType::i32: static_cast<std::int32_t*>(buffer)[i] = std::int32_t(v); break;
    case DataType::i64: static_cast<std::int64_t*>(buffer)[i] = std::int64_t(v); break;
  }
}

double load(const void* buffer, std::size_t i, DataType type) {
  switch (type) {
    case DataType::f16: return coll::f16_to_float(static_cast<const std::uint16_t*>(buffer)[i]);
    case DataType::bf16: return coll::bf16_to_float(static_cast<const std::uint16_t*>(buffer)[i]);
    case DataType::f32: return static_cast<const float*>(buffer)[i];
    case DataType::f64: return static_cast<const double*>(buffer)[i];
    case DataType::i8: return static_cast<const std::int8_t*>(buffer)[i];
    case DataType::u8: return static_cast<const std::uint8_t*>(buffer)[i];
    case DataType::i32: return static_cast<const std::int32_t*>(buffer)[i];
    case DataType::i64: return static_cast<double>(static_cast<const std::int64_t*>(buffer)[i]);
  }
  return 0;
}

double combine(double a, double b, ReduceOp op) {
  switch (op) {
    case ReduceOp::sum:
    case ReduceOp::average: return a + b;
    case ReduceOp::product: return a * b;
    case ReduceOp::min: return std::min(a, b);
    case ReduceOp::max: return std::max(a, b);
  }
  return 0;
}

double reduced(int ranks, std::size_t i, DataType type, ReduceOp op) {
  double acc = value(0, i, type, op);
  for (int r = 1; r < ranks; ++r) acc = combine(acc, value(r, i, type, op), op);
  if (op == ReduceOp::average) acc = coll::is_floating_point(type) ? acc / ranks : std::trunc(acc / ranks);
  return acc;
}

bool close_enough(double got, double expected, DataType type, int ranks) {
  double relative = 0;
  switch (type) {
    case DataType::f16: relative = 1e-3; break;
    case DataType::bf16: relative = 8e-3; break;
    case DataType::f32: relative = 1e-6; break;
    case DataType::f64: relative = 1e-12; break;
    default: return got == expected;
  }
  return std::abs(got - expected) <= (std::abs(expected) + 1) * relative * ranks;
}

}  // namespace

std::string_view to_string(Collective c) {
  switch (c) {
    case Collective::allreduce: return "allreduce";
    case Collective::allgather: return "allgather";
    case Collective::broadcast: return "broadcast";
    case Collective::reducescatter: return "reducescatter";
    case Collective::alltoall: return "alltoall";
  }
  return "?";
}

std::optional<Collective> parse_collective(std::string_view name) {
  for (Collective c : {Collective::allreduce, Collective::allgather, Collective::broadcast,
                       Collective::reducescatter, Collective::alltoall}) {
    if (name == to_string(c)) return c;
  }
  return std::nullopt;
}

Shape Shape::make(Collective op, std::size_t bytes, int ranks, DataType type, ReduceOp reduce) {
  Shape s;
  s.op = op;
  s.ranks = ranks;
  s.type = type;
  s.reduce = reduce;
  const std::size_t esize = coll::size_of(type);
  const auto n = static_cast<std::size_t>(ranks);
  switch (op) {
    case Collective::allreduce:
    case Collective::broadcast:
      s.count = bytes / esize;
      s.send_elems = s.recv_elems = s.count;
      s.bytes = s.count * esize;
      break;
    case Collective::allgather:
      s.count = bytes / esize / n;
      s.send_elems = s.count;
      s.recv_elems = s.count * n;
      s.bytes = s.recv_elems * esize;
      break;
    case Collective::reducescatter:
      s.count = bytes / esize / n;
      s.send_elems = s.count * n;
      s.recv_elems = s.count;
      s.bytes = s.send_elems * esize;
      break;
    case Collective::alltoall:
      s.count = bytes / esize / n;
      s.send_elems = s.recv_elems = s.count * n;
      s.bytes = s.send_elems * esize;
      break;
  }
  return s;
}

double Shape::bus_factor() const {
  const double n = ranks;
  switch (op) {
    case Collective::allreduce: return 2 * (n - 1) / n;
    case Collective::broadcast: return 1;
    default: return (n - 1) / n;
  }
}

void fill_input(const Shape& s, int rank, void* send) {
  for (std::size_t i = 0; i < s.send_elems; ++i) store(send, i, s.type, value(rank, i, s.type, s.reduce));
}

// The pattern repeats every 55 elements (value() depends on i mod 11 and
// i mod 5), so expected values come from small tables: a 256 MiB check costs
// about as much as reading the buffer.
std::size_t count_wrong(const Shape& s, int rank, const void* recv) {
  constexpr std::size_t kPeriod = 55;
  std::vector<double> values(static_cast<std::size_t>(s.ranks) * kPeriod);
  std::vector<double> sums(kPeriod);
  for (int r = 0; r < s.ranks; ++r) {
    for (std::size_t k = 0; k < kPeriod; ++k) values[r * kPeriod + k] = value(r, k, s.type, s.reduce);
  }
  for (std::size_t k = 0; k < kPeriod; ++k) sums[k] = reduced(s.ranks, k, s.type, s.reduce);
  auto input = [&](std::size_t r, std::size_t i) { return values[r * kPeriod + i % kPeriod]; };

  std::size_t wrong = 0;
  const auto me = static_cast<std::size_t>(rank);
  for (std::size_t i = 0; i < s.recv_elems; ++i) {
    double expected = 0;
    switch (s.op) {
      case Collective::allreduce: expected = sums[i % kPeriod]; break;
      case Collective::broadcast: expected = input(0, i); break;
      case Collective::allgather: expected = input(i / s.count, i % s.count); break;
      case Collective::reducescatter: expected = sums[(me * s.count + i) % kPeriod]; break;
      case Collective::alltoall: expected = input(i / s.count, me * s.count + i % s.count); break;
    }
    if (!close_enough(load(recv, i, s.type), expected, s.type, s.ranks)) ++wrong;
  }
  return wrong;
}

}  // namespace ringtail::bench
