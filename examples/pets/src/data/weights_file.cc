#include "ringtail/pets/weights_file.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <fstream>
#include <iterator>
#include <unordered_set>

#include "ringtail/collectives/error.h"

namespace fs = std::filesystem;

namespace ringtail::pets {
namespace {

constexpr char kMagic[8] = {'R', 'T', 'W', 'E', 'I', 'G', 'H', 'T'};
constexpr std::uint32_t kVersion = 1;

[[noreturn]] void fail(const fs::path& file, const std::string& what) {
  throw Error(ErrorKind::invalid_argument, "weights file " + file.string() + ": " + what);
}

template <typename T>
void put(std::vector<std::uint8_t>& out, T value) {
  static_assert(std::is_integral_v<T>);
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    out.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(value) >> (8 * i)));
  }
}

std::uint32_t crc32_of(const std::uint8_t* data, std::size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (size > 0) {
    const auto chunk = static_cast<uInt>(std::min<std::size_t>(size, 1u << 30));
    crc = crc32(crc, data, chunk);
    data += chunk;
    size -= chunk;
  }
  return static_cast<std::uint32_t>(crc);
}

class Reader {
 public:
  Reader(const fs::path& file, const std::vector<std::uint8_t>& bytes, std::size_t end)
      : file_(file), bytes_(bytes), end_(end) {}

  template <typename T>
  T get(const char* what) {
    need(sizeof(T), what);
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) value |= std::uint64_t{bytes_[pos_ + i]} << (8 * i);
    pos_ += sizeof(T);
    return static_cast<T>(value);
  }
  const std::uint8_t* take(std::size_t n, const char* what) {
    need(n, what);
    const std::uint8_t* p = bytes_.data() + pos_;
    pos_ += n;
    return p;
  }
  std::size_t position() const { return pos_; }

 private:
  void need(std::size_t n, const char* what) {
    if (n > end_ - pos_) fail(file_, std::string("truncated inside ") + what);
  }
  const fs::path& file_;
  const std::vector<std::uint8_t>& bytes_;
  std::size_t end_;
  std::size_t pos_ = 0;
};

}  // namespace

std::size_t element_size(WeightDType dtype) {
  switch (dtype) {
    case WeightDType::f64:
    case WeightDType::i64: return 8;
    case WeightDType::f32:
    case WeightDType::i32: return 4;
    case WeightDType::f16:
    case WeightDType::bf16: return 2;
    case WeightDType::u8:
    case WeightDType::i8: return 1;
  }
  return 0;
}

std::string_view to_string(WeightDType dtype) {
  switch (dtype) {
    case WeightDType::f32: return "f32";
    case WeightDType::f64: return "f64";
    case WeightDType::f16: return "f16";
    case WeightDType::bf16: return "bf16";
    case WeightDType::i64: return "i64";
    case WeightDType::i32: return "i32";
    case WeightDType::u8: return "u8";
    case WeightDType::i8: return "i8";
  }
  return "unknown";
}

std::size_t NamedArray::numel() const {
  std::size_t n = 1;
  for (auto d : shape) n *= static_cast<std::size_t>(d);
  return n;
}

std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

void write_weights_file(const fs::path& file, const std::vector<NamedArray>& arrays) {
  std::vector<std::uint8_t> out(kMagic, kMagic + sizeof(kMagic));
  put<std::uint32_t>(out, kVersion);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(arrays.size()));
  for (const auto& array : arrays) {
    if (array.data.size() != array.numel() * element_size(array.dtype)) {
      fail(file, "array '" + array.name + "' holds " + std::to_string(array.data.size()) +
                     " bytes, its shape " + shape_string(array.shape) + " needs " +
                     std::to_string(array.numel() * element_size(array.dtype)));
    }
    if (array.shape.size() > 255) fail(file, "array '" + array.name + "' has too many dimensions");
    put<std::uint32_t>(out, static_cast<std::uint32_t>(array.name.size()));
    out.insert(out.end(), array.name.begin(), array.name.end());
    put<std::uint8_t>(out, static_cast<std::uint8_t>(array.dtype));
    put<std::uint8_t>(out, static_cast<std::uint8_t>(array.shape.size()));
    put<std::uint16_t>(out, 0);
    for (auto d : array.shape) put<std::int64_t>(out, d);
    put<std::uint64_t>(out, array.data.size());
    out.insert(out.end(), array.data.begin(), array.data.end());
  }
  put<std::uint32_t>(out, crc32_of(out.data(), out.size()));

  const fs::path temporary = file.string() + ".tmp";
  {
    std::ofstream stream(temporary, std::ios::binary | std::ios::trunc);
    stream.write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out.size()));
    stream.close();
    if (!stream) {
      std::error_code ignored;
      fs::remove(temporary, ignored);
      fail(file, "cannot write " + temporary.string());
    }
  }
  std::error_code ec;
  fs::rename(temporary, file, ec);
  if (ec) fail(file, "cannot rename " + temporary.string() + " over it: " + ec.message());
}

std::vector<NamedArray> read_weights_file(const fs::path& file) {
  std::ifstream stream(file, std::ios::binary);
  if (!stream) fail(file, fs::exists(file) ? "cannot open it" : "it does not exist");
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(stream)),
                                        std::istreambuf_iterator<char>());
  if (bytes.size() < sizeof(kMagic) + 12 || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    fail(file, "not a ringtail weights file (no RTWEIGHT header); "
               "export torchvision weights with examples/pets/tools/export_torchvision.py");
  }
  const std::size_t body = bytes.size() - 4;
  Reader crc_reader(file, bytes, bytes.size());
  crc_reader.take(body, "checksum");
  if (crc_reader.get<std::uint32_t>("checksum") != crc32_of(bytes.data(), body)) {
    fail(file, "checksum mismatch (the file is corrupt or truncated)");
  }
  Reader in(file, bytes, body);
  in.take(sizeof(kMagic), "header");
  const auto version = in.get<std::uint32_t>("header");
  if (version != kVersion) {
    fail(file, "format version " + std::to_string(version) + ", this program reads version " +
                   std::to_string(kVersion));
  }
  const auto count = in.get<std::uint32_t>("header");
  std::vector<NamedArray> arrays;
  std::unordered_set<std::string> names;
  for (std::uint32_t i = 0; i < count; ++i) {
    NamedArray array;
    const auto name_len = in.get<std::uint32_t>("an array name");
    const std::uint8_t* name = in.take(name_len, "an array name");
    array.name.assign(reinterpret_cast<const char*>(name), name_len);
    const auto dtype = in.get<std::uint8_t>("an array header");
    if (dtype > static_cast<std::uint8_t>(WeightDType::i8)) {
      fail(file, "array '" + array.name + "' has unknown dtype code " + std::to_string(dtype));
    }
    array.dtype = static_cast<WeightDType>(dtype);
    const auto ndim = in.get<std::uint8_t>("an array header");
    in.get<std::uint16_t>("an array header");
    for (int d = 0; d < ndim; ++d) {
      const auto dim = in.get<std::int64_t>("an array shape");
      if (dim < 0) fail(file, "array '" + array.name + "' has a negative dimension");
      array.shape.push_back(dim);
    }
    const auto nbytes = in.get<std::uint64_t>("an array header");
    if (nbytes != array.numel() * element_size(array.dtype)) {
      fail(file, "array '" + array.name + "' has " + std::to_string(nbytes) + " bytes for shape " +
                     shape_string(array.shape) + " of " + std::string(to_string(array.dtype)));
    }
    const std::uint8_t* data = in.take(static_cast<std::size_t>(nbytes), "array data");
    array.data.assign(data, data + nbytes);
    if (!names.insert(array.name).second) fail(file, "array '" + array.name + "' appears twice");
    arrays.push_back(std::move(array));
  }
  if (in.position() != body) fail(file, "unexpected bytes after the last array");
  return arrays;
}

}  // namespace ringtail::pets
