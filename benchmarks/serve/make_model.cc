// ringtail_serve_make_model: a model directory for the serving benchmarks,
// written by the code `ringtail-pets export` runs (so the load test serves
// what the README's job serves), with randomly initialized weights, and a
// test JPEG to send:
//
//   ringtail_serve_make_model --out DIR [--arch resnet18] [--size 224] [--seed 0]
//
// DIR gets model.pt, model.json (37 Oxford-IIIT breeds, input --size, resize
// --size / 0.875) and test.jpg (500 x 375, the typical Oxford-IIIT Pet size:
// smooth gradients and a disc, so the JPEG is photo-sized, about 12 KB).
#include <exception>
#include <iostream>
#include <string>
#include <stdexcept>

#include <boost/program_options.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "ringtail/pets/breeds.h"
#include "ringtail/pets/models.h"
#include "ringtail/pets/train/model_info.h"
#include "ringtail/pets/train/torchscript_export.h"

namespace po = boost::program_options;

namespace {

cv::Mat test_picture() {
  constexpr int kWidth = 500, kHeight = 375;
  cv::Mat image(kHeight, kWidth, CV_8UC3);
  for (int y = 0; y < kHeight; ++y) {
    for (int x = 0; x < kWidth; ++x) {
      const double fx = x / (kWidth - 1.0), fy = y / (kHeight - 1.0);
      const bool disc = (fx - 0.45) * (fx - 0.45) + (fy - 0.5) * (fy - 0.5) < 0.06;
      const auto clamp = [](double v) { return cv::saturate_cast<std::uint8_t>(v); };
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(clamp((1 - fx) * 150 + (disc ? 90 : 0)),  // B
                                            clamp(fy * 180 + 30),                      // G
                                            clamp(fx * 200 + (disc ? 40 : 0)));        // R
    }
  }
  return image;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out, arch = "resnet18";
  int size = 224;
  std::uint64_t seed = 0;
  po::options_description desc("Options");
  desc.add_options()("help,h", "show this help")(
      "out", po::value(&out)->required(), "model directory to write")(
      "arch", po::value(&arch)->default_value(arch), "resnet18, resnet34, resnet50 or small_cnn")(
      "size", po::value(&size)->default_value(size), "input_size (the centre crop)")(
      "seed", po::value(&seed)->default_value(seed), "weight initialization seed");
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) {
      std::cout << "Usage: ringtail_serve_make_model --out DIR [options]\n\n" << desc << "\n";
      return 0;
    }
    po::notify(vm);
    if (size < 16 || size > 1024) throw po::error("--size must be from 16 to 1024");

    ringtail::pets::train::ModelInfo info;
    info.arch = arch;
    info.dataset = "pets";
    info.image_size = size;
    for (const auto& breed : ringtail::pets::oxford_breeds()) info.class_names.emplace_back(breed.name);
    ::torch::manual_seed(seed);
    auto model = ringtail::pets::make_model(info.spec());
    // Batch-norm statistics away from the identity, as after training.
    ::torch::NoGradGuard no_grad;
    for (auto& buffer : model->named_buffers()) {
      if (buffer.key().find("running_mean") != std::string::npos) buffer.value().uniform_(-0.2, 0.2);
      if (buffer.key().find("running_var") != std::string::npos) buffer.value().uniform_(0.5, 1.5);
    }
    model->eval();
    ringtail::pets::train::JsonObject extra;
    extra.add("weights", "random (serving benchmark)").add("seed", static_cast<std::int64_t>(seed));
    const auto result = ringtail::pets::train::export_model(*model, info, out, extra);

    const std::string jpeg_path = out + "/test.jpg";
    if (!cv::imwrite(jpeg_path, test_picture(), {cv::IMWRITE_JPEG_QUALITY, 90})) {
      throw std::runtime_error("cannot write " + jpeg_path);
    }
    std::cout << "wrote " << result.model_file.string() << ", " << result.config_file.string() << " and "
              << jpeg_path << " (" << arch << ", input " << size << ")\n";
    return 0;
  } catch (const po::error& e) {
    std::cerr << "ringtail_serve_make_model: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "ringtail_serve_make_model: error: " << e.what() << "\n";
    return 1;
  }
}
