#include "ringtail/pets/fashion_mnist.h"

#include <zlib.h>

#include <algorithm>
#include <memory>
#include <string>

#include "ringtail/collectives/error.h"

namespace fs = std::filesystem;

namespace ringtail::pets {
namespace {

[[noreturn]] void fail(const fs::path& file, const std::string& what) {
  throw Error(ErrorKind::invalid_argument, "Fashion-MNIST: " + file.string() + ": " + what);
}

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};

// Reads exactly `size` bytes or fails naming the file.
void read_exact(gzFile file, const fs::path& name, void* out, std::size_t size, const char* what) {
  auto* bytes = static_cast<unsigned char*>(out);
  while (size > 0) {
    const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(size, 1u << 30));
    const int got = gzread(file, bytes, chunk);
    if (got < 0) {
      int code = 0;
      fail(name, std::string("cannot read ") + what + ": " + gzerror(file, &code));
    }
    if (got == 0) fail(name, std::string("file ends inside the ") + what + " (truncated?)");
    bytes += got;
    size -= static_cast<std::size_t>(got);
  }
}

fs::path find_file(const fs::path& dir, const std::string& stem) {
  for (const auto& candidate : {dir / (stem + ".gz"), dir / stem}) {
    if (fs::exists(candidate)) return candidate;
  }
  throw Error(ErrorKind::invalid_argument,
              "Fashion-MNIST: neither " + (dir / (stem + ".gz")).string() + " nor " +
                  (dir / stem).string() +
                  " exists (Debian: apt-get install dataset-fashion-mnist)");
}

}  // namespace

fs::path default_fashion_mnist_dir() { return "/usr/share/datasets/fashion-mnist"; }

bool fashion_mnist_available(const fs::path& dir) {
  for (const char* stem : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                           "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}) {
    if (!fs::exists(dir / (std::string(stem) + ".gz")) && !fs::exists(dir / stem)) return false;
  }
  return true;
}

IdxArray read_idx_file(const fs::path& file) {
  // gzopen reads uncompressed files transparently.
  std::unique_ptr<gzFile_s, GzCloser> in(gzopen(file.c_str(), "rb"));
  if (!in) fail(file, "cannot open");
  unsigned char magic[4];
  read_exact(in.get(), file, magic, 4, "IDX header");
  if (magic[0] != 0 || magic[1] != 0) fail(file, "not an IDX file (bad magic number)");
  if (magic[2] != 0x08) fail(file, "IDX element type is not unsigned byte");
  const int ndim = magic[3];
  if (ndim < 1 || ndim > 4) fail(file, "IDX file with " + std::to_string(ndim) + " dimensions");
  IdxArray array;
  std::size_t count = 1;
  for (int d = 0; d < ndim; ++d) {
    unsigned char be[4];
    read_exact(in.get(), file, be, 4, "IDX header");
    const std::uint32_t dim = (std::uint32_t{be[0]} << 24) | (std::uint32_t{be[1]} << 16) |
                              (std::uint32_t{be[2]} << 8) | be[3];
    array.dims.push_back(dim);
    count *= dim;
  }
  if (count > (std::size_t{1} << 32)) fail(file, "IDX dimensions are implausibly large");
  array.data.resize(count);
  read_exact(in.get(), file, array.data.data(), count, "IDX data");
  unsigned char extra;
  if (gzread(in.get(), &extra, 1) != 0) fail(file, "trailing bytes after the IDX data");
  return array;
}

FashionMnist load_fashion_mnist(const fs::path& dir, FashionMnistSplit split) {
  const std::string prefix = split == FashionMnistSplit::train ? "train" : "t10k";
  const fs::path images_file = find_file(dir, prefix + "-images-idx3-ubyte");
  const fs::path labels_file = find_file(dir, prefix + "-labels-idx1-ubyte");
  IdxArray images = read_idx_file(images_file);
  IdxArray labels = read_idx_file(labels_file);
  if (images.dims.size() != 3) fail(images_file, "expected 3 dimensions (count, rows, cols)");
  if (labels.dims.size() != 1) fail(labels_file, "expected 1 dimension (count)");
  if (images.dims[0] != labels.dims[0]) {
    fail(labels_file, std::to_string(labels.dims[0]) + " labels for " +
                          std::to_string(images.dims[0]) + " images in " + images_file.string());
  }
  for (std::size_t i = 0; i < labels.data.size(); ++i) {
    if (labels.data[i] > 9) {
      fail(labels_file, "label " + std::to_string(labels.data[i]) + " at index " +
                            std::to_string(i) + " is not in 0..9");
    }
  }
  FashionMnist set;
  set.rows = static_cast<int>(images.dims[1]);
  set.cols = static_cast<int>(images.dims[2]);
  set.pixels = std::move(images.data);
  set.labels = std::move(labels.data);
  return set;
}

const std::array<std::string_view, 10>& fashion_mnist_classes() {
  static constexpr std::array<std::string_view, 10> names = {
      "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
      "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

}  // namespace ringtail::pets
