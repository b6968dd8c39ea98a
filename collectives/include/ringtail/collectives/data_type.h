#pragma once
// Element types and reduction operators understood by every backend.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ringtail::coll {

enum class DataType : std::uint8_t { f16, bf16, f32, f64, i8, u8, i32, i64 };

inline constexpr DataType kAllDataTypes[] = {DataType::f16, DataType::bf16, DataType::f32,
                                             DataType::f64, DataType::i8,   DataType::u8,
                                             DataType::i32, DataType::i64};

std::size_t size_of(DataType type);
std::string_view to_string(DataType type);
std::optional<DataType> parse_data_type(std::string_view name);
bool is_floating_point(DataType type);

// `average` is a sum followed by a division by the number of contributing ranks
// (a truncating division for integer types).
enum class ReduceOp : std::uint8_t { sum, average, min, max, product };

inline constexpr ReduceOp kAllReduceOps[] = {ReduceOp::sum, ReduceOp::average, ReduceOp::min,
                                             ReduceOp::max, ReduceOp::product};

std::string_view to_string(ReduceOp op);
std::optional<ReduceOp> parse_reduce_op(std::string_view name);

// Where a communicator's buffers live.
enum class MemoryKind : std::uint8_t { host, cuda };
std::string_view to_string(MemoryKind kind);

}  // namespace ringtail::coll
