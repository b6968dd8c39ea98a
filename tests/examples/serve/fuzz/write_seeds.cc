// Writes the fuzz target's seed corpus (fuzz_input.h layout) into a folder:
// valid JPEG (baseline, progressive, grayscale) and PNG (RGB, alpha, 16-bit)
// images under each image content type, JSON lists, and a valid model.json,
// so the fuzzer starts from inputs that reach the decoders and the transform.
#include <fstream>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "fuzz_input.h"
#include "ringtail/pets/serve/base64.h"
#include "ringtail/pets/serve/model_config.h"
#include "test_images.h"

namespace {

void write(const std::string& dir, const std::string& name, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + dir + "/" + name);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: ringtail_serve_fuzz_seeds OUT_DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  using ringtail_fuzz::fuzz_input;
  const cv::Mat picture = ringtail_test::test_picture(24, 18, 3);
  cv::Mat gray;
  cv::cvtColor(picture, gray, cv::COLOR_BGR2GRAY);
  cv::Mat alpha;
  cv::cvtColor(picture, alpha, cv::COLOR_BGR2BGRA);
  cv::Mat deep;
  picture.convertTo(deep, CV_16UC3, 257.0);

  const auto jpeg = ringtail_test::encode(picture, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 60});
  const auto progressive = ringtail_test::encode(picture, ".jpg", {cv::IMWRITE_JPEG_PROGRESSIVE, 1});
  const auto gray_jpeg = ringtail_test::encode(gray, ".jpg");
  const auto png = ringtail_test::encode(picture, ".png");
  const auto alpha_png = ringtail_test::encode(alpha, ".png");
  const auto deep_png = ringtail_test::encode(deep, ".png");

  write(dir, "jpeg", fuzz_input(0, ringtail_fuzz::kNoK, jpeg));
  write(dir, "jpeg_progressive_k3", fuzz_input(2, 131, progressive));
  write(dir, "jpeg_gray", fuzz_input(0, ringtail_fuzz::kNoK, gray_jpeg));
  write(dir, "png", fuzz_input(1, ringtail_fuzz::kNoK, png));
  write(dir, "png_alpha", fuzz_input(7, 165, alpha_png));
  write(dir, "png_16bit", fuzz_input(1, ringtail_fuzz::kNoK, deep_png));

  using ringtail::pets::serve::encode_base64;
  const nlohmann::json list = {encode_base64(jpeg.data(), jpeg.size()),
                               {{"b64", encode_base64(png.data(), png.size())}}};
  write(dir, "json_list", fuzz_input(3, ringtail_fuzz::kNoK, ringtail_fuzz::bytes_of(list.dump())));
  write(dir, "json_instances",
        fuzz_input(4, 130, ringtail_fuzz::bytes_of(nlohmann::json{{"instances", list}}.dump())));

  ringtail::pets::serve::ModelConfig config;
  config.architecture = "resnet18";
  config.classes = {"Abyssinian", "american_bulldog", "beagle"};
  write(dir, "model_json",
        fuzz_input(ringtail_fuzz::kModelConfigMode, 0,
                   ringtail_fuzz::bytes_of(ringtail::pets::serve::to_json_text(config))));
  std::cout << "wrote 9 seeds to " << dir << "\n";
  return 0;
}
