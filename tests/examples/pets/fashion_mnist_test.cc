#include <zlib.h>

#include <cmath>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "ringtail/collectives/error.h"
#include "ringtail/pets/example_source.h"
#include "ringtail/pets/fashion_mnist.h"
#include "temp_dir.h"

namespace fs = std::filesystem;

namespace ringtail::pets {
namespace {

std::vector<std::uint8_t> idx_bytes(std::vector<std::uint32_t> dims, const std::vector<std::uint8_t>& data) {
  std::vector<std::uint8_t> out = {0, 0, 0x08, static_cast<std::uint8_t>(dims.size())};
  for (auto d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(d >> shift));
  }
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

void write_gz(const fs::path& file, const std::vector<std::uint8_t>& bytes) {
  gzFile out = gzopen(file.c_str(), "wb");
  ASSERT_NE(out, nullptr);
  ASSERT_EQ(gzwrite(out, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(out);
}

void write_plain(const fs::path& file, const std::vector<std::uint8_t>& bytes) {
  std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
}

// A 3-image, 2x2 "Fashion-MNIST" in `dir`; images gzipped, labels plain.
void write_tiny_set(const fs::path& dir, const std::string& prefix) {
  write_gz(dir / (prefix + "-images-idx3-ubyte.gz"), idx_bytes({3, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
  write_plain(dir / (prefix + "-labels-idx1-ubyte"), idx_bytes({3}, {9, 0, 4}));
}

std::string error_of(const fs::path& dir) {
  try {
    load_fashion_mnist(dir, FashionMnistSplit::test);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return {};
}

TEST(FashionMnist, ReadsTheDebianPackage) {
  const fs::path dir = default_fashion_mnist_dir();
  if (!fashion_mnist_available(dir)) {
    GTEST_SKIP() << "Fashion-MNIST is not installed in " << dir
                 << " (Debian: apt-get install dataset-fashion-mnist)";
  }
  const FashionMnist train = load_fashion_mnist(dir, FashionMnistSplit::train);
  const FashionMnist test = load_fashion_mnist(dir, FashionMnistSplit::test);
  EXPECT_EQ(train.size(), 60000u);
  EXPECT_EQ(test.size(), 10000u);
  EXPECT_EQ(train.rows, 28);
  EXPECT_EQ(train.cols, 28);
  EXPECT_EQ(train.pixels.size(), 60000u * 28 * 28);
  std::map<int, int> per_class;
  for (auto label : train.labels) ++per_class[label];
  ASSERT_EQ(per_class.size(), 10u);
  for (const auto& [label, count] : per_class) EXPECT_EQ(count, 6000) << fashion_mnist_classes()[label];
  // The published files start with an ankle boot in both splits.
  EXPECT_EQ(train.labels[0], 9);
  EXPECT_EQ(test.labels[0], 9);
  // Pixels use the full byte range, background is 0.
  EXPECT_EQ(train.image(0)[0], 0);
  EXPECT_EQ(*std::max_element(train.pixels.begin(), train.pixels.begin() + 28 * 28 * 100), 255);
}

TEST(FashionMnist, ReadsGzippedAndPlainIdx) {
  ringtail_test::TempDir dir;
  write_tiny_set(dir.path(), "t10k");
  const FashionMnist set = load_fashion_mnist(dir.path(), FashionMnistSplit::test);
  ASSERT_EQ(set.size(), 3u);
  EXPECT_EQ(set.rows, 2);
  EXPECT_EQ(set.cols, 2);
  EXPECT_EQ(set.labels, (std::vector<std::uint8_t>{9, 0, 4}));
  EXPECT_EQ(set.image(2)[3], 11);
}

TEST(FashionMnist, MalformedFilesAreErrorsNamingTheFile) {
  ringtail_test::TempDir dir;
  EXPECT_NE(error_of(dir.path()).find("dataset-fashion-mnist"), std::string::npos);

  write_tiny_set(dir.path(), "t10k");
  const fs::path labels = dir / "t10k-labels-idx1-ubyte";
  write_plain(labels, idx_bytes({4}, {1, 2, 3, 4}));
  EXPECT_NE(error_of(dir.path()).find(labels.string() + ": 4 labels for 3 images"), std::string::npos);

  write_plain(labels, idx_bytes({3}, {1, 2, 10}));
  EXPECT_NE(error_of(dir.path()).find("label 10 at index 2"), std::string::npos);

  write_plain(labels, idx_bytes({3}, {1, 2}));
  EXPECT_NE(error_of(dir.path()).find(labels.string() + ": file ends inside the IDX data"), std::string::npos);

  write_plain(labels, {1, 2, 3, 4, 5, 6, 7, 8});
  EXPECT_NE(error_of(dir.path()).find("not an IDX file"), std::string::npos);

  auto extra = idx_bytes({3}, {1, 2, 3});
  extra.push_back(0);
  write_plain(labels, extra);
  EXPECT_NE(error_of(dir.path()).find("trailing bytes"), std::string::npos);
}

TEST(FashionMnist, SourceNormalizesAndAugmentsDeterministically) {
  auto set = std::make_shared<FashionMnist>();
  set->rows = 4;
  set->cols = 4;
  set->labels = {3};
  set->pixels.resize(16);
  for (int i = 0; i < 16; ++i) set->pixels[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i * 17);

  FashionMnistTransform plain;
  FashionMnistSource source(set, plain);
  EXPECT_EQ(source.shape().channels, 1);
  EXPECT_EQ(source.label(0), 3);
  std::vector<float> out(16);
  source.load(0, 0, out.data());
  for (int i = 0; i < 16; ++i) {
    const double expected = (i * 17 / 255.0 - 0.2860) / 0.3530;
    EXPECT_NEAR(out[static_cast<std::size_t>(i)], expected, 1e-5);
  }

  FashionMnistTransform augmented;
  augmented.augment = true;
  FashionMnistSource random_source(set, augmented);
  std::vector<float> a(16), b(16);
  bool any_difference = false;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    random_source.load(0, seed, a.data());
    random_source.load(0, seed, b.data());
    EXPECT_EQ(a, b) << "seed " << seed;
    any_difference |= a != out;
  }
  EXPECT_TRUE(any_difference);
  EXPECT_THROW(source.load(1, 0, out.data()), Error);
}

}  // namespace
}  // namespace ringtail::pets
