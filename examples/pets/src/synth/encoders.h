#pragma once
// Encoders for the bad files the synthetic set plants and that OpenCV cannot
// write: a GIF (OpenCV has no GIF codec) and a CMYK JPEG (OpenCV writes only
// gray and YCbCr JPEGs).

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

namespace ringtail::pets::synth {

// A valid GIF89a of an 8-bit BGR image, quantized to a 6x6x6 colour cube.
std::vector<std::uint8_t> encode_gif(const cv::Mat& bgr);

// Whether this build can write CMYK JPEGs (it needs libjpeg at build time).
bool cmyk_jpeg_supported();
// An Adobe-style (inverted) CMYK JPEG of an 8-bit BGR image. Throws
// ringtail::Error(unsupported) when cmyk_jpeg_supported() is false.
std::vector<std::uint8_t> encode_cmyk_jpeg(const cv::Mat& bgr, int quality);

}  // namespace ringtail::pets::synth
