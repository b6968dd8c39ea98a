#pragma once
// Identifies an image file by its content, not its name, without decoding it:
// the format, size, channel count and whether the file ends where the format
// says it should. The Oxford-IIIT Pet set has PNG and GIF data behind ".jpg"
// names, CMYK and grayscale JPEGs and unreadable files; the data set decides
// from this probe, once, which files it converts and which it skips.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace ringtail::pets {

enum class ImageFormat { missing, empty, jpeg, png, gif, bmp, webp, tiff, unknown };

struct ImageInfo {
  ImageFormat format = ImageFormat::unknown;
  int width = 0;
  int height = 0;
  int channels = 0;        // JPEG components (1 gray, 3 colour, 4 CMYK/YCCK); PNG with alpha = 4
  bool has_alpha = false;
  bool truncated = false;  // no JPEG end-of-image or PNG IEND near the end of the file
  std::string problem;     // non-empty when the header itself is broken
};

ImageInfo probe_image_file(const std::filesystem::path& file);
ImageInfo probe_image_bytes(const std::uint8_t* data, std::size_t size);

std::string_view to_string(ImageFormat format);

}  // namespace ringtail::pets
