#pragma once
// The weights file format (".rtw") of ringtail-pets: named arrays in one flat
// binary file, written by tools/export_torchvision.py from a torchvision model
// and read here without LibTorch. All integers are little-endian:
//
//   magic     8 bytes  "RTWEIGHT"
//   version   u32      1
//   count     u32      number of arrays
//   count times:
//     name_len u32, name (UTF-8, no terminator)   e.g. "layer1.0.conv1.weight"
//     dtype    u8     (WeightDType below)
//     ndim     u8, reserved u16 = 0
//     dims     ndim x i64
//     nbytes   u64    = product(dims) x element size
//     data     nbytes bytes, row-major (C order)
//   crc32     u32      zlib CRC-32 of every byte before it
//
// Names follow torchvision's state_dict (parameters and buffers, including
// BatchNorm's num_batches_tracked), so a file maps one-to-one onto a model.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace ringtail::pets {

enum class WeightDType : std::uint8_t { f32 = 0, f64 = 1, f16 = 2, bf16 = 3, i64 = 4, i32 = 5, u8 = 6, i8 = 7 };

std::size_t element_size(WeightDType dtype);
std::string_view to_string(WeightDType dtype);

struct NamedArray {
  std::string name;
  WeightDType dtype = WeightDType::f32;
  std::vector<std::int64_t> shape;
  std::vector<std::uint8_t> data;
  std::size_t numel() const;
};

// Writes to a temporary file next to `file`, then renames it over `file`, so a
// reader never sees half a file. Throws ringtail::Error on failure.
void write_weights_file(const std::filesystem::path& file, const std::vector<NamedArray>& arrays);

// Throws ringtail::Error naming the file for a missing, truncated, corrupt
// (checksum) or malformed file.
std::vector<NamedArray> read_weights_file(const std::filesystem::path& file);

std::string shape_string(const std::vector<std::int64_t>& shape);  // "[37, 512]"

}  // namespace ringtail::pets
