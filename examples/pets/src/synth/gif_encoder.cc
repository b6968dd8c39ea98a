#include <algorithm>
#include <cstddef>

#include "encoders.h"

namespace ringtail::pets::synth {
namespace {

// GIF's LZW with 8-bit literals. To stay simple the encoder never builds
// strings: it sends one literal per pixel and a clear code before the decoder's
// table would grow past 9-bit codes, which every decoder must accept. The file
// is larger than a real encoder's, which does not matter for a planted file.
class CodeWriter {
 public:
  void put(unsigned code, int bits) {
    buffer_ |= static_cast<std::uint32_t>(code) << filled_;
    filled_ += bits;
    while (filled_ >= 8) {
      bytes_.push_back(static_cast<std::uint8_t>(buffer_ & 0xFF));
      buffer_ >>= 8;
      filled_ -= 8;
    }
  }
  std::vector<std::uint8_t> finish() {
    if (filled_ > 0) bytes_.push_back(static_cast<std::uint8_t>(buffer_ & 0xFF));
    return std::move(bytes_);
  }

 private:
  std::vector<std::uint8_t> bytes_;
  std::uint32_t buffer_ = 0;
  int filled_ = 0;
};

void put16(std::vector<std::uint8_t>& out, int value) {
  out.push_back(static_cast<std::uint8_t>(value & 0xFF));
  out.push_back(static_cast<std::uint8_t>((value >> 8) & 0xFF));
}

}  // namespace

std::vector<std::uint8_t> encode_gif(const cv::Mat& bgr) {
  CV_Assert(bgr.type() == CV_8UC3);
  std::vector<std::uint8_t> out = {'G', 'I', 'F', '8', '9', 'a'};
  put16(out, bgr.cols);
  put16(out, bgr.rows);
  out.push_back(0xF7);  // global colour table of 2^(7+1) = 256 entries, 8-bit colour
  out.push_back(0);     // background colour index
  out.push_back(0);     // no aspect ratio
  for (int i = 0; i < 256; ++i) {  // 6x6x6 cube, then black padding
    const int r = i < 216 ? i / 36 : 0;
    const int g = i < 216 ? (i / 6) % 6 : 0;
    const int b = i < 216 ? i % 6 : 0;
    out.push_back(static_cast<std::uint8_t>(r * 51));
    out.push_back(static_cast<std::uint8_t>(g * 51));
    out.push_back(static_cast<std::uint8_t>(b * 51));
  }
  out.push_back(0x2C);  // image descriptor
  put16(out, 0);
  put16(out, 0);
  put16(out, bgr.cols);
  put16(out, bgr.rows);
  out.push_back(0);  // no local colour table, not interlaced
  out.push_back(8);  // LZW minimum code size

  constexpr unsigned kClear = 256;
  constexpr unsigned kEnd = 257;
  // After a clear the decoder adds a table entry per code from the second on
  // and widens codes when the table reaches 512; clearing every 250 codes keeps
  // every code 9 bits wide.
  constexpr int kCodesPerClear = 250;
  CodeWriter codes;
  int since_clear = kCodesPerClear;
  for (int y = 0; y < bgr.rows; ++y) {
    const auto* row = bgr.ptr<cv::Vec3b>(y);
    for (int x = 0; x < bgr.cols; ++x) {
      if (since_clear == kCodesPerClear) {
        codes.put(kClear, 9);
        since_clear = 0;
      }
      const int r = (row[x][2] * 5 + 127) / 255;
      const int g = (row[x][1] * 5 + 127) / 255;
      const int b = (row[x][0] * 5 + 127) / 255;
      codes.put(static_cast<unsigned>(r * 36 + g * 6 + b), 9);
      ++since_clear;
    }
  }
  codes.put(kEnd, 9);
  const std::vector<std::uint8_t> data = codes.finish();
  for (std::size_t pos = 0; pos < data.size(); pos += 255) {  // sub-blocks of <= 255 bytes
    const std::size_t n = std::min<std::size_t>(255, data.size() - pos);
    out.push_back(static_cast<std::uint8_t>(n));
    out.insert(out.end(), data.begin() + static_cast<long>(pos),
               data.begin() + static_cast<long>(pos + n));
  }
  out.push_back(0);     // end of image data
  out.push_back(0x3B);  // trailer
  return out;
}

}  // namespace ringtail::pets::synth
