#pragma once
// Fashion-MNIST read straight from the gzipped IDX files that Debian's
// dataset-fashion-mnist package installs (no unpacking step). Uncompressed IDX
// files with the same names minus ".gz" are read as well.

#include <array>
#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

namespace ringtail::pets {

enum class FashionMnistSplit { train, test };

struct FashionMnist {
  int rows = 0;
  int cols = 0;
  std::vector<std::uint8_t> pixels;  // size() * rows * cols, row-major, 0 = background
  std::vector<std::uint8_t> labels;  // 0..9

  std::size_t size() const { return labels.size(); }
  const std::uint8_t* image(std::size_t i) const { return pixels.data() + i * rows * cols; }
};

// An IDX array: unsigned bytes with their dimensions (the only element type the
// MNIST family uses).
struct IdxArray {
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> data;
};

std::filesystem::path default_fashion_mnist_dir();  // /usr/share/datasets/fashion-mnist
bool fashion_mnist_available(const std::filesystem::path& dir);

// Throws ringtail::Error naming the file for a missing, truncated or malformed file.
FashionMnist load_fashion_mnist(const std::filesystem::path& dir, FashionMnistSplit split);
IdxArray read_idx_file(const std::filesystem::path& file);

const std::array<std::string_view, 10>& fashion_mnist_classes();

}  // namespace ringtail::pets
