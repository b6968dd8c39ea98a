#include "ringtail/pets/image_probe.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <vector>

namespace ringtail::pets {
namespace {

// A JPEG's end-of-image marker may be followed by a few bytes of padding; we look
// for it in the last kTailBytes. Entropy-coded data never contains FF D9 (0xFF is
// byte-stuffed), so finding it there means the scan data was complete.
constexpr std::size_t kTailBytes = 4096;
// Headers are read from the first kHeadBytes; a JPEG whose frame header lies
// further (a huge EXIF block) is read whole.
constexpr std::size_t kHeadBytes = 64 * 1024;

std::uint32_t be16(const std::uint8_t* p) { return (std::uint32_t{p[0]} << 8) | p[1]; }
std::uint32_t be32(const std::uint8_t* p) { return (be16(p) << 16) | be16(p + 2); }
std::uint32_t le16(const std::uint8_t* p) { return (std::uint32_t{p[1]} << 8) | p[0]; }
std::int32_t le32s(const std::uint8_t* p) {
  return static_cast<std::int32_t>(le16(p) | (le16(p + 2) << 16));
}

bool contains(const std::uint8_t* tail, std::size_t n, const char* pattern, std::size_t len) {
  if (n < len) return false;
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(pattern);
  return std::search(tail, tail + n, bytes, bytes + len) != tail + n;
}

// Parses the JPEG marker stream up to the frame header (SOFn). Returns false if
// the header lies beyond `size` bytes, which is then not the whole file.
bool parse_jpeg(const std::uint8_t* data, std::size_t size, bool whole_file, ImageInfo* info) {
  std::size_t pos = 2;
  while (true) {
    while (pos < size && data[pos] != 0xFF) ++pos;  // tolerate garbage between segments
    while (pos < size && data[pos] == 0xFF) ++pos;
    if (pos >= size) break;
    const std::uint8_t marker = data[pos++];
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;
    if (marker == 0xD9 || marker == 0xDA) {
      info->problem = "JPEG has no frame header before its image data";
      return true;
    }
    if (pos + 2 > size) break;
    const std::size_t length = be16(data + pos);
    if (length < 2) {
      info->problem = "JPEG segment with invalid length";
      return true;
    }
    const bool is_frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 &&
                          marker != 0xCC;
    if (is_frame) {
      if (pos + 8 > size) break;
      info->height = static_cast<int>(be16(data + pos + 3));
      info->width = static_cast<int>(be16(data + pos + 5));
      info->channels = data[pos + 7];
      if (info->width == 0 || info->height == 0 || info->channels == 0) {
        info->problem = "JPEG frame header with zero size or no components";
      }
      return true;
    }
    pos += length;
  }
  if (whole_file) {
    info->problem = "JPEG ends before its frame header";
    return true;
  }
  return false;
}

void parse_png(const std::uint8_t* data, std::size_t size, ImageInfo* info) {
  if (size < 8 + 8 + 13 || std::memcmp(data + 12, "IHDR", 4) != 0) {
    info->problem = "PNG without an IHDR header";
    return;
  }
  info->width = static_cast<int>(be32(data + 16));
  info->height = static_cast<int>(be32(data + 20));
  switch (data[25]) {  // colour type
    case 0: info->channels = 1; break;
    case 2: info->channels = 3; break;
    case 3: info->channels = 3; break;  // palette
    case 4: info->channels = 2; info->has_alpha = true; break;
    case 6: info->channels = 4; info->has_alpha = true; break;
    default: info->problem = "PNG with an unknown colour type";
  }
}

ImageInfo probe(const std::uint8_t* head, std::size_t head_size, const std::uint8_t* tail,
                std::size_t tail_size, std::size_t total, bool head_is_whole,
                const std::function<std::vector<std::uint8_t>()>& read_all) {
  ImageInfo info;
  if (total == 0) {
    info.format = ImageFormat::empty;
    return info;
  }
  auto starts = [&](const char* magic, std::size_t len) {
    return head_size >= len && std::memcmp(head, magic, len) == 0;
  };
  if (head_size >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF) {
    info.format = ImageFormat::jpeg;
    if (!parse_jpeg(head, head_size, head_is_whole, &info)) {
      const std::vector<std::uint8_t> all = read_all();
      parse_jpeg(all.data(), all.size(), true, &info);
    }
    info.truncated = !contains(tail, tail_size, "\xFF\xD9", 2);
  } else if (starts("\x89PNG\r\n\x1a\n", 8)) {
    info.format = ImageFormat::png;
    parse_png(head, head_size, &info);
    info.truncated = !contains(tail, tail_size, "IEND", 4);
  } else if (starts("GIF87a", 6) || starts("GIF89a", 6)) {
    info.format = ImageFormat::gif;
    if (head_size >= 10) {
      info.width = static_cast<int>(le16(head + 6));
      info.height = static_cast<int>(le16(head + 8));
      info.channels = 3;
    }
    info.truncated = tail[tail_size - 1] != 0x3B;  // GIF trailer
  } else if (starts("BM", 2) && head_size >= 26) {
    info.format = ImageFormat::bmp;
    info.width = le32s(head + 18);
    info.height = std::abs(le32s(head + 22));
    info.channels = 3;
  } else if (starts("RIFF", 4) && head_size >= 12 && std::memcmp(head + 8, "WEBP", 4) == 0) {
    info.format = ImageFormat::webp;
  } else if (starts("II*\0", 4) || starts("MM\0*", 4)) {
    info.format = ImageFormat::tiff;
  } else {
    info.format = ImageFormat::unknown;
  }
  return info;
}

}  // namespace

ImageInfo probe_image_file(const std::filesystem::path& file) {
  std::error_code ec;
  const auto status = std::filesystem::status(file, ec);
  if (ec || !std::filesystem::exists(status)) {
    ImageInfo info;
    info.format = ImageFormat::missing;
    return info;
  }
  if (!std::filesystem::is_regular_file(status)) {
    ImageInfo info;
    info.format = ImageFormat::unknown;
    info.problem = "not a regular file";
    return info;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    ImageInfo info;
    info.format = ImageFormat::unknown;
    info.problem = "cannot open the file (permission denied?)";
    return info;
  }
  in.seekg(0, std::ios::end);
  const auto total = static_cast<std::size_t>(std::max<std::streamoff>(0, in.tellg()));
  in.seekg(0);
  std::vector<std::uint8_t> head(std::min(total, kHeadBytes));
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  std::vector<std::uint8_t> tail(std::min(total, kTailBytes));
  in.seekg(static_cast<std::streamoff>(total - tail.size()));
  in.read(reinterpret_cast<char*>(tail.data()), static_cast<std::streamsize>(tail.size()));
  if (!in) {
    ImageInfo info;
    info.format = ImageFormat::unknown;
    info.problem = "read error";
    return info;
  }
  auto read_all = [&file] {
    std::ifstream whole(file, std::ios::binary);
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(whole),
                                     std::istreambuf_iterator<char>());
  };
  return probe(head.data(), head.size(), tail.data(), tail.size(), total, head.size() == total,
               read_all);
}

ImageInfo probe_image_bytes(const std::uint8_t* data, std::size_t size) {
  const std::size_t tail_size = std::min(size, kTailBytes);
  // The head is the whole buffer, so the JPEG parser never asks for more.
  return probe(data, size, data + size - tail_size, tail_size, size, true,
               [] { return std::vector<std::uint8_t>(); });
}

std::string_view to_string(ImageFormat format) {
  switch (format) {
    case ImageFormat::missing: return "missing";
    case ImageFormat::empty: return "empty";
    case ImageFormat::jpeg: return "JPEG";
    case ImageFormat::png: return "PNG";
    case ImageFormat::gif: return "GIF";
    case ImageFormat::bmp: return "BMP";
    case ImageFormat::webp: return "WebP";
    case ImageFormat::tiff: return "TIFF";
    case ImageFormat::unknown: return "unknown";
  }
  return "unknown";
}

}  // namespace ringtail::pets
