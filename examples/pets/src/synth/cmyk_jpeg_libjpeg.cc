// CMYK JPEG writer on libjpeg (built when CMake finds libjpeg).
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <jpeglib.h>

#include "encoders.h"
#include "ringtail/collectives/error.h"

namespace ringtail::pets::synth {
namespace {

// libjpeg reports errors through a callback that must not return; C++
// exceptions must not cross its C frames, so the callback longjmps back.
struct ErrorManager {
  jpeg_error_mgr base;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void on_error(j_common_ptr info) {
  auto* manager = reinterpret_cast<ErrorManager*>(info->err);
  (*info->err->format_message)(info, manager->message);
  std::longjmp(manager->jump, 1);
}

}  // namespace

bool cmyk_jpeg_supported() { return true; }

std::vector<std::uint8_t> encode_cmyk_jpeg(const cv::Mat& bgr, int quality) {
  CV_Assert(bgr.type() == CV_8UC3);
  // Adobe CMYK is stored inverted: 255 means no ink. With K' = max(R, G, B),
  // C' = 255 * R / K' (and so on), R = C' * K' / 255, which is how decoders
  // (OpenCV's included) turn it back into RGB.
  std::vector<std::uint8_t> cmyk(static_cast<std::size_t>(bgr.rows) * bgr.cols * 4);
  for (int y = 0; y < bgr.rows; ++y) {
    const auto* row = bgr.ptr<cv::Vec3b>(y);
    for (int x = 0; x < bgr.cols; ++x) {
      const int r = row[x][2], g = row[x][1], b = row[x][0];
      const int k = std::max(r, std::max(g, b));
      std::uint8_t* px = &cmyk[(static_cast<std::size_t>(y) * bgr.cols + x) * 4];
      px[0] = static_cast<std::uint8_t>(k ? (r * 255 + k / 2) / k : 0);
      px[1] = static_cast<std::uint8_t>(k ? (g * 255 + k / 2) / k : 0);
      px[2] = static_cast<std::uint8_t>(k ? (b * 255 + k / 2) / k : 0);
      px[3] = static_cast<std::uint8_t>(k);
    }
  }

  jpeg_compress_struct info{};
  ErrorManager errors{};
  info.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = on_error;
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  if (setjmp(errors.jump)) {
    jpeg_destroy_compress(&info);
    std::free(buffer);
    throw Error(ErrorKind::backend, std::string("libjpeg: ") + errors.message);
  }
  jpeg_create_compress(&info);
  jpeg_mem_dest(&info, &buffer, &size);
  info.image_width = static_cast<JDIMENSION>(bgr.cols);
  info.image_height = static_cast<JDIMENSION>(bgr.rows);
  info.input_components = 4;
  info.in_color_space = JCS_CMYK;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, quality, TRUE);
  jpeg_start_compress(&info, TRUE);
  while (info.next_scanline < info.image_height) {
    JSAMPROW row = &cmyk[static_cast<std::size_t>(info.next_scanline) * bgr.cols * 4];
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  std::vector<std::uint8_t> out(buffer, buffer + size);
  jpeg_destroy_compress(&info);
  std::free(buffer);
  return out;
}

}  // namespace ringtail::pets::synth
