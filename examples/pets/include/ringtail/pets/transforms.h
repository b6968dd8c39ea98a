#pragma once
// Image transforms with OpenCV, in the torchvision convention: training uses
// random-resized-crop, horizontal flip and per-channel normalization; evaluation
// resizes the shorter side and takes the centre crop. eval_transform() is the
// one preprocessing function of evaluation and of serving, so a served model
// sees exactly what it was evaluated on. Output is float32, CHW, RGB order.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

#include "ringtail/pets/random.h"

namespace ringtail::pets {

struct Normalization {
  std::array<float, 3> mean{0.485f, 0.456f, 0.406f};  // ImageNet, RGB order
  std::array<float, 3> std{0.229f, 0.224f, 0.225f};
  static Normalization imagenet() { return {}; }
};

struct TrainTransform {
  int size = 224;           // output is size x size
  double min_scale = 0.08;  // crop area as a fraction of the image area
  double max_scale = 1.0;
  double min_ratio = 3.0 / 4.0;  // crop width / height
  double max_ratio = 4.0 / 3.0;
  double flip_probability = 0.5;
  Normalization normalization;
};

struct EvalTransform {
  int size = 224;    // centre crop, size x size
  int resize = 256;  // the shorter side is resized to this first
  Normalization normalization;
  // The usual ratio (224 of 256): resize = round(size / 0.875).
  static EvalTransform for_size(int size);
};

// Decodes JPEG/PNG/... bytes into 8-bit BGR, converting grayscale, alpha and
// CMYK; EXIF orientation is ignored, as PIL and torchvision do. Throws
// ringtail::Error naming `what` if the bytes do not decode.
cv::Mat decode_image(const void* data, std::size_t size, const std::string& what);
cv::Mat read_image(const std::string& path);

// torchvision's RandomResizedCrop.get_params: ten tries at a random area and
// aspect ratio, then the centre crop clamped to the ratio range.
cv::Rect random_resized_crop_box(cv::Size image, const TrainTransform& transform, Rng& rng);

// Fills out[3 * size * size].
void train_transform(const cv::Mat& bgr, const TrainTransform& transform, Rng& rng, float* out);
void eval_transform(const cv::Mat& bgr, const EvalTransform& transform, float* out);

// The shared last step: BGR uint8 (size x size) -> normalized RGB CHW float,
// mirrored left-right when `flip`.
void normalize_to_chw(const cv::Mat& bgr, const Normalization& normalization, bool flip, float* out);

// Resizes `src` to `size` with area averaging when shrinking (no aliasing) and
// bilinear interpolation when enlarging.
cv::Mat resize_image(const cv::Mat& src, cv::Size size);

}  // namespace ringtail::pets
