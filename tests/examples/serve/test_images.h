#pragma once
// Deterministic test pictures and their encodings (OpenCV only: the fuzz seed
// writer uses these too).

#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace ringtail_test {

// Gradients and shapes that differ by `seed`; BGR, 8-bit.
cv::Mat test_picture(int width, int height, int seed);
// ".jpg", ".png", ".bmp", ...; `params` as cv::imencode takes them.
std::vector<std::uint8_t> encode(const cv::Mat& image, const std::string& extension,
                                 const std::vector<int>& params = {});

}  // namespace ringtail_test
