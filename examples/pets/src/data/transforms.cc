#include "ringtail/pets/transforms.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "ringtail/collectives/error.h"

namespace ringtail::pets {

EvalTransform EvalTransform::for_size(int size) {
  EvalTransform transform;
  transform.size = size;
  transform.resize = static_cast<int>(std::lround(size / 0.875));
  return transform;
}

cv::Mat decode_image(const void* data, std::size_t size, const std::string& what) {
  if (size == 0) throw Error(ErrorKind::invalid_argument, what + ": empty image data");
  const cv::Mat buffer(1, static_cast<int>(size), CV_8UC1, const_cast<void*>(data));
  cv::Mat image = cv::imdecode(buffer, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
  if (image.empty()) {
    throw Error(ErrorKind::invalid_argument, what + ": the image data does not decode");
  }
  return image;
}

cv::Mat read_image(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::invalid_argument, path + ": cannot open the image file");
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return decode_image(bytes.data(), bytes.size(), path);
}

cv::Rect random_resized_crop_box(cv::Size image, const TrainTransform& t, Rng& rng) {
  const double width = image.width;
  const double height = image.height;
  const double area = width * height;
  const double log_lo = std::log(t.min_ratio);
  const double log_hi = std::log(t.max_ratio);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target_area = area * rng.uniform(t.min_scale, t.max_scale);
    const double aspect = std::exp(rng.uniform(log_lo, log_hi));
    const int w = static_cast<int>(std::lround(std::sqrt(target_area * aspect)));
    const int h = static_cast<int>(std::lround(std::sqrt(target_area / aspect)));
    if (w > 0 && h > 0 && w <= image.width && h <= image.height) {
      const int y = static_cast<int>(rng.between(0, image.height - h));
      const int x = static_cast<int>(rng.between(0, image.width - w));
      return {x, y, w, h};
    }
  }
  const double in_ratio = width / height;
  int w = image.width;
  int h = image.height;
  if (in_ratio < t.min_ratio) {
    h = static_cast<int>(std::lround(w / t.min_ratio));
  } else if (in_ratio > t.max_ratio) {
    w = static_cast<int>(std::lround(h * t.max_ratio));
  }
  return {(image.width - w) / 2, (image.height - h) / 2, w, h};
}

cv::Mat resize_image(const cv::Mat& src, cv::Size size) {
  if (src.size() == size) return src;
  const bool shrinking = size.width < src.cols && size.height < src.rows;
  cv::Mat dst;
  cv::resize(src, dst, size, 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
  return dst;
}

void normalize_to_chw(const cv::Mat& bgr, const Normalization& n, bool flip, float* out) {
  CV_Assert(bgr.type() == CV_8UC3);
  const int rows = bgr.rows;
  const int cols = bgr.cols;
  const std::size_t plane = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
  // (x / 255 - mean) / std == x * scale + bias, per RGB channel.
  float scale[3];
  float bias[3];
  for (int c = 0; c < 3; ++c) {
    scale[c] = 1.0f / (255.0f * n.std[c]);
    bias[c] = -n.mean[c] / n.std[c];
  }
  float* red = out;
  float* green = out + plane;
  float* blue = out + 2 * plane;
  for (int y = 0; y < rows; ++y) {
    const std::uint8_t* px = bgr.ptr<std::uint8_t>(y);
    const std::size_t row = static_cast<std::size_t>(y) * static_cast<std::size_t>(cols);
    for (int x = 0; x < cols; ++x) {
      const std::size_t o = row + static_cast<std::size_t>(flip ? cols - 1 - x : x);
      blue[o] = px[3 * x + 0] * scale[2] + bias[2];
      green[o] = px[3 * x + 1] * scale[1] + bias[1];
      red[o] = px[3 * x + 2] * scale[0] + bias[0];
    }
  }
}

void train_transform(const cv::Mat& bgr, const TrainTransform& t, Rng& rng, float* out) {
  const cv::Rect box = random_resized_crop_box(bgr.size(), t, rng);
  const bool flip = rng.bernoulli(t.flip_probability);
  const cv::Mat crop = resize_image(bgr(box), {t.size, t.size});
  normalize_to_chw(crop, t.normalization, flip, out);
}

void eval_transform(const cv::Mat& bgr, const EvalTransform& t, float* out) {
  if (t.resize < t.size) {
    throw Error(ErrorKind::invalid_argument,
                "eval transform: resize (" + std::to_string(t.resize) +
                    ") must be at least the crop size (" + std::to_string(t.size) + ")");
  }
  // Shorter side to t.resize, longer side scaled to keep the aspect (as
  // torchvision's Resize(int) truncates).
  const bool wide = bgr.cols >= bgr.rows;
  const int shorter = wide ? bgr.rows : bgr.cols;
  const int longer = wide ? bgr.cols : bgr.rows;
  const int scaled_long = static_cast<int>(static_cast<long long>(t.resize) * longer / shorter);
  const cv::Size resized = wide ? cv::Size(scaled_long, t.resize) : cv::Size(t.resize, scaled_long);
  const cv::Mat image = resize_image(bgr, resized);
  const int top = static_cast<int>(std::lround((image.rows - t.size) / 2.0));
  const int left = static_cast<int>(std::lround((image.cols - t.size) / 2.0));
  normalize_to_chw(image(cv::Rect(left, top, t.size, t.size)), t.normalization, false, out);
}

}  // namespace ringtail::pets
