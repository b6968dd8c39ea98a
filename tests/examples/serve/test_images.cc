#include "test_images.h"

#include <algorithm>
#include <stdexcept>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace ringtail_test {

cv::Mat test_picture(int width, int height, int seed) {
  cv::Mat image(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<std::uint8_t>((x * (seed + 3)) % 256),
                                            static_cast<std::uint8_t>((y * (2 * seed + 1)) % 256),
                                            static_cast<std::uint8_t>(((x + y) * 7 + 40 * seed) % 256));
    }
  }
  cv::circle(image, {width / 3 + 5 * seed, height / 2}, std::max(4, height / (3 + seed % 3)),
             cv::Scalar(30 * seed % 256, 255 - 20 * seed % 256, 90), -1);
  cv::rectangle(image, {width / 2, height / 4}, {width / 2 + width / 5, height / 4 + height / 6},
                cv::Scalar(255, 40 * seed % 256, 10), -1);
  return image;
}

std::vector<std::uint8_t> encode(const cv::Mat& image, const std::string& extension,
                                 const std::vector<int>& params) {
  std::vector<std::uint8_t> bytes;
  if (!cv::imencode(extension, image, bytes, params)) {
    throw std::runtime_error("imencode failed for " + extension);
  }
  return bytes;
}

}  // namespace ringtail_test
