#include <cstring>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "ringtail/collectives/error.h"
#include "ringtail/pets/weights_file.h"
#include "temp_dir.h"

namespace fs = std::filesystem;

namespace ringtail::pets {
namespace {

NamedArray make_array(const std::string& name, WeightDType dtype, std::vector<std::int64_t> shape) {
  NamedArray array;
  array.name = name;
  array.dtype = dtype;
  array.shape = std::move(shape);
  array.data.resize(array.numel() * element_size(dtype));
  for (std::size_t i = 0; i < array.data.size(); ++i) array.data[i] = static_cast<std::uint8_t>(i * 31 + name.size());
  return array;
}

std::vector<NamedArray> sample_arrays() {
  return {make_array("conv1.weight", WeightDType::f32, {4, 3, 3, 3}),
          make_array("bn1.num_batches_tracked", WeightDType::i64, {}),
          make_array("fc.bias", WeightDType::f64, {5}),
          make_array("half", WeightDType::bf16, {2, 2}),
          make_array("empty", WeightDType::u8, {0, 3})};
}

std::string error_of(const fs::path& file) {
  try {
    read_weights_file(file);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error reading " << file;
  return {};
}

std::vector<char> bytes_of(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& file, const std::vector<char>& bytes) {
  std::ofstream(file, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST(WeightsFile, RoundTripsEveryArray) {
  ringtail_test::TempDir dir;
  const auto arrays = sample_arrays();
  write_weights_file(dir / "w.rtw", arrays);
  EXPECT_FALSE(fs::exists(dir / "w.rtw.tmp"));
  const auto back = read_weights_file(dir / "w.rtw");
  ASSERT_EQ(back.size(), arrays.size());
  for (std::size_t i = 0; i < arrays.size(); ++i) {
    EXPECT_EQ(back[i].name, arrays[i].name);
    EXPECT_EQ(back[i].dtype, arrays[i].dtype);
    EXPECT_EQ(back[i].shape, arrays[i].shape);
    EXPECT_EQ(back[i].data, arrays[i].data);
  }
  EXPECT_EQ(shape_string(arrays[0].shape), "[4, 3, 3, 3]");
  EXPECT_EQ(shape_string(arrays[1].shape), "[]");
}

TEST(WeightsFile, HeaderLayoutIsAsDocumented) {
  ringtail_test::TempDir dir;
  write_weights_file(dir / "w.rtw", {make_array("ab", WeightDType::f32, {2})});
  const auto bytes = bytes_of(dir / "w.rtw");
  // magic 8, version 4, count 4, name_len 4, "ab" 2, dtype 1, ndim 1, reserved 2, dim 8, nbytes 8, data 8, crc 4
  ASSERT_EQ(bytes.size(), 8u + 4 + 4 + 4 + 2 + 1 + 1 + 2 + 8 + 8 + 8 + 4);
  EXPECT_EQ(std::string(bytes.data(), 8), "RTWEIGHT");
  EXPECT_EQ(bytes[8], 1);    // version, little-endian
  EXPECT_EQ(bytes[12], 1);   // count
  EXPECT_EQ(bytes[16], 2);   // name length
  EXPECT_EQ(std::string(bytes.data() + 20, 2), "ab");
  EXPECT_EQ(bytes[22], 0);   // f32
  EXPECT_EQ(bytes[23], 1);   // ndim
  EXPECT_EQ(bytes[26], 2);   // dims[0]
  EXPECT_EQ(bytes[34], 8);   // nbytes
}

TEST(WeightsFile, DamagedFilesAreErrorsNamingTheFile) {
  ringtail_test::TempDir dir;
  const fs::path file = dir / "w.rtw";
  EXPECT_NE(error_of(file).find(file.string() + ": it does not exist"), std::string::npos);

  write_weights_file(file, sample_arrays());
  const auto good = bytes_of(file);
  auto corrupt = good;
  corrupt[good.size() / 2] ^= 0x40;
  write_bytes(file, corrupt);
  EXPECT_NE(error_of(file).find("checksum mismatch"), std::string::npos);

  write_bytes(file, std::vector<char>(good.begin(), good.begin() + static_cast<long>(good.size() - 9)));
  EXPECT_NE(error_of(file).find("checksum mismatch"), std::string::npos);

  write_bytes(file, std::vector<char>(good.begin(), good.begin() + 6));
  EXPECT_NE(error_of(file).find("not a ringtail weights file"), std::string::npos);

  std::vector<char> pth = {'P', 'K', 3, 4};
  pth.resize(100);
  write_bytes(file, pth);
  EXPECT_NE(error_of(file).find("export_torchvision.py"), std::string::npos);
}

TEST(WeightsFile, RejectsInconsistentArrays) {
  ringtail_test::TempDir dir;
  NamedArray bad = make_array("x", WeightDType::f32, {3});
  bad.data.pop_back();
  EXPECT_THROW(write_weights_file(dir / "w.rtw", {bad}), Error);
  EXPECT_FALSE(fs::exists(dir / "w.rtw"));
  const auto twice = std::vector<NamedArray>{make_array("x", WeightDType::f32, {1}), make_array("x", WeightDType::f32, {1})};
  write_weights_file(dir / "w.rtw", twice);
  EXPECT_NE(error_of(dir / "w.rtw").find("'x' appears twice"), std::string::npos);
}

}  // namespace
}  // namespace ringtail::pets
