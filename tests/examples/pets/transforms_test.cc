#include <cmath>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "ringtail/collectives/error.h"
#include "ringtail/pets/transforms.h"

namespace ringtail::pets {
namespace {

// A test image whose every pixel differs: B = x, G = y, R = (x + y) mod 256.
cv::Mat gradient(int width, int height) {
  cv::Mat image(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<std::uint8_t>(x % 256), static_cast<std::uint8_t>(y % 256),
                                            static_cast<std::uint8_t>((x + y) % 256));
    }
  }
  return image;
}

double normalized(int value, int rgb_channel) {
  const double mean[3] = {0.485, 0.456, 0.406};
  const double std[3] = {0.229, 0.224, 0.225};
  return (value / 255.0 - mean[rgb_channel]) / std[rgb_channel];
}

TEST(Transforms, NormalizationUsesImageNetStatisticsInRgbOrder) {
  const cv::Mat image(10, 12, CV_8UC3, cv::Scalar(0, 128, 255));  // BGR: blue 0, green 128, red 255
  std::vector<float> out(3 * 8 * 8);
  EvalTransform eval;
  eval.size = 8;
  eval.resize = 9;
  eval_transform(image, eval, out.data());
  const int rgb[3] = {255, 128, 0};
  for (int c = 0; c < 3; ++c) {
    for (int i = 0; i < 64; ++i) {
      EXPECT_NEAR(out[static_cast<std::size_t>(c * 64 + i)], normalized(rgb[c], c), 1e-5) << "channel " << c;
    }
  }
}

TEST(Transforms, EvalResizesTheShorterSideAndCropsTheCentre) {
  // With resize == size and a square image, eval is the identity up to normalization.
  const cv::Mat square = gradient(16, 16);
  std::vector<float> out(3 * 16 * 16);
  EvalTransform eval;
  eval.size = 16;
  eval.resize = 16;
  eval_transform(square, eval, out.data());
  EXPECT_NEAR(out[5 * 16 + 7], normalized((7 + 5) % 256, 0), 1e-5);    // R at (x 7, y 5)
  EXPECT_NEAR(out[256 + 5 * 16 + 7], normalized(5, 1), 1e-5);          // G
  EXPECT_NEAR(out[512 + 5 * 16 + 7], normalized(7, 2), 1e-5);          // B

  // A 40x16 image keeps its shorter side: the centre crop starts at x = 12.
  const cv::Mat wide = gradient(40, 16);
  eval_transform(wide, eval, out.data());
  EXPECT_NEAR(out[512 + 0], normalized(12, 2), 1e-5);
  EXPECT_NEAR(out[512 + 15], normalized(27, 2), 1e-5);

  EXPECT_EQ(EvalTransform::for_size(224).resize, 256);
  EXPECT_EQ(EvalTransform::for_size(128).resize, 146);
  eval.resize = 8;
  EXPECT_THROW(eval_transform(square, eval, out.data()), Error);
}

TEST(Transforms, TrainTransformIsDeterministicForASeed) {
  const cv::Mat image = gradient(120, 90);
  TrainTransform train;
  train.size = 32;
  std::vector<float> a(3 * 32 * 32), b(a.size()), c(a.size());
  Rng r1(42), r2(42), r3(43);
  train_transform(image, train, r1, a.data());
  train_transform(image, train, r2, b.data());
  train_transform(image, train, r3, c.data());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(Transforms, FlipMirrorsTheSameCrop) {
  const cv::Mat image = gradient(100, 80);
  TrainTransform never, always;
  never.size = always.size = 24;
  never.flip_probability = 0.0;
  always.flip_probability = 1.0;
  std::vector<float> plain(3 * 24 * 24), flipped(plain.size());
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    Rng r1(seed), r2(seed);
    train_transform(image, never, r1, plain.data());
    train_transform(image, always, r2, flipped.data());
    for (int ch = 0; ch < 3; ++ch) {
      for (int y = 0; y < 24; ++y) {
        for (int x = 0; x < 24; ++x) {
          ASSERT_EQ(flipped[static_cast<std::size_t>((ch * 24 + y) * 24 + x)],
                    plain[static_cast<std::size_t>((ch * 24 + y) * 24 + 23 - x)]);
        }
      }
    }
  }
  // With p = 0.5 both outcomes occur over seeds.
  TrainTransform half;
  half.size = 24;
  int flips = 0;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    Rng r1(seed), r2(seed);
    train_transform(image, never, r1, plain.data());
    train_transform(image, half, r2, flipped.data());
    flips += plain != flipped;
  }
  EXPECT_GT(flips, 60);
  EXPECT_LT(flips, 140);
}

TEST(Transforms, RandomResizedCropStaysInsideWithTheRequestedAreaAndRatio) {
  TrainTransform t;
  Rng rng(1);
  for (int i = 0; i < 2000; ++i) {
    const cv::Size image(static_cast<int>(rng.between(20, 400)), static_cast<int>(rng.between(20, 400)));
    const cv::Rect box = random_resized_crop_box(image, t, rng);
    ASSERT_GE(box.x, 0);
    ASSERT_GE(box.y, 0);
    ASSERT_GT(box.width, 0);
    ASSERT_GT(box.height, 0);
    ASSERT_LE(box.x + box.width, image.width);
    ASSERT_LE(box.y + box.height, image.height);
    const double area = static_cast<double>(box.area()) / image.area();
    EXPECT_LE(area, 1.0 + 1e-9);
    const double ratio = static_cast<double>(box.width) / box.height;
    // Rounding to whole pixels moves ratio and area a little off their ranges.
    if (box.size() != image) {
      EXPECT_GE(area, t.min_scale * 0.8);
      EXPECT_GE(ratio, t.min_ratio * 0.9);
      EXPECT_LE(ratio, t.max_ratio * 1.1);
    }
  }
  // An extreme panorama cannot fit the ratio range: centre crop clamped to 4/3.
  Rng fallback(2);
  TrainTransform full;
  full.min_scale = 0.99;
  const cv::Rect box = random_resized_crop_box({1000, 10}, full, fallback);
  EXPECT_EQ(box, cv::Rect((1000 - 13) / 2, 0, 13, 10));
}

TEST(Transforms, DecodeErrorsNameTheImage) {
  const std::vector<std::uint8_t> garbage = {1, 2, 3, 4, 5};
  try {
    decode_image(garbage.data(), garbage.size(), "images/foo.jpg");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("images/foo.jpg"), std::string::npos);
  }
  EXPECT_THROW(decode_image(nullptr, 0, "empty.jpg"), Error);
  EXPECT_THROW(read_image("/nonexistent/ringtail.jpg"), Error);

  // A grayscale PNG decodes to 3-channel BGR.
  std::vector<std::uint8_t> png;
  cv::imencode(".png", cv::Mat(5, 6, CV_8UC1, cv::Scalar(77)), png);
  const cv::Mat decoded = decode_image(png.data(), png.size(), "gray.png");
  EXPECT_EQ(decoded.type(), CV_8UC3);
  EXPECT_EQ(decoded.at<cv::Vec3b>(2, 3), cv::Vec3b(77, 77, 77));
}

}  // namespace
}  // namespace ringtail::pets
