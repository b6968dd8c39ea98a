#include "ringtail/collectives/data_type.h"

#include <array>
#include <utility>

namespace ringtail::coll {
namespace {

struct TypeInfo {
  DataType type;
  std::string_view name;
  std::size_t size;
  bool floating;
};

constexpr std::array<TypeInfo, 8> kTypes{{
    {DataType::f16, "f16", 2, true},
    {DataType::bf16, "bf16", 2, true},
    {DataType::f32, "f32", 4, true},
    {DataType::f64, "f64", 8, true},
    {DataType::i8, "i8", 1, false},
    {DataType::u8, "u8", 1, false},
    {DataType::i32, "i32", 4, false},
    {DataType::i64, "i64", 8, false},
}};

constexpr std::array<std::pair<ReduceOp, std::string_view>, 5> kOps{{
    {ReduceOp::sum, "sum"},
    {ReduceOp::average, "average"},
    {ReduceOp::min, "min"},
    {ReduceOp::max, "max"},
    {ReduceOp::product, "product"},
}};

const TypeInfo& info(DataType type) { return kTypes[static_cast<std::size_t>(type)]; }

}  // namespace

std::size_t size_of(DataType type) { return info(type).size; }
std::string_view to_string(DataType type) { return info(type).name; }
bool is_floating_point(DataType type) { return info(type).floating; }

std::optional<DataType> parse_data_type(std::string_view name) {
  for (const auto& t : kTypes) {
    if (t.name == name) return t.type;
  }
  // Accept the spellings users bring from PyTorch and NumPy.
  if (name == "float16" || name == "half") return DataType::f16;
  if (name == "bfloat16") return DataType::bf16;
  if (name == "float32" || name == "float") return DataType::f32;
  if (name == "float64" || name == "double") return DataType::f64;
  if (name == "int8") return DataType::i8;
  if (name == "uint8") return DataType::u8;
  if (name == "int32" || name == "int") return DataType::i32;
  if (name == "int64") return DataType::i64;
  return std::nullopt;
}

std::string_view to_string(ReduceOp op) { return kOps[static_cast<std::size_t>(op)].second; }

std::optional<ReduceOp> parse_reduce_op(std::string_view name) {
  for (const auto& [op, op_name] : kOps) {
    if (op_name == name) return op;
  }
  if (name == "avg" || name == "mean") return ReduceOp::average;
  if (name == "prod") return ReduceOp::product;
  return std::nullopt;
}

std::string_view to_string(MemoryKind kind) {
  return kind == MemoryKind::host ? "host" : "cuda";
}

}  // namespace ringtail::coll
