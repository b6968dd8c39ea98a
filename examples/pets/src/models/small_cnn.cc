// A small convolutional network: five 3x3 convolutions with batch norm, two
// 2x2 poolings, global average pooling and a linear head. Any input size works;
// on Fashion-MNIST (1 x 28 x 28) it trains to about 92% in a few epochs on CPU.
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/pooling.h>

#include "ringtail/pets/models.h"

namespace nn = torch::nn;

namespace ringtail::pets {
namespace {

class SmallCnnImpl : public ClassifierImpl {
 public:
  SmallCnnImpl(std::int64_t num_classes, std::int64_t in_channels) : num_classes_(num_classes) {
    auto block = [](std::int64_t in, std::int64_t out) {
      return nn::Sequential(
          nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1).bias(false)),
          nn::BatchNorm2d(out), nn::ReLU(nn::ReLUOptions().inplace(true)));
    };
    features_ = register_module("features", nn::Sequential());
    features_->extend(*block(in_channels, 32));
    features_->extend(*block(32, 32));
    features_->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2)));
    features_->extend(*block(32, 64));
    features_->extend(*block(64, 64));
    features_->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2)));
    features_->extend(*block(64, 128));
    dropout_ = register_module("dropout", nn::Dropout(0.25));
    fc_ = register_module("fc", nn::Linear(128, num_classes));
  }

  torch::Tensor forward(torch::Tensor x) override {
    x = features_->forward(x);
    x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
    return fc_(dropout_(x));
  }
  const std::string& arch() const override { return arch_; }
  std::int64_t num_classes() const override { return num_classes_; }
  std::string head_prefix() const override { return "fc."; }

 private:
  std::string arch_ = "small_cnn";
  std::int64_t num_classes_;
  nn::Sequential features_{nullptr};
  nn::Dropout dropout_{nullptr};
  nn::Linear fc_{nullptr};
};

}  // namespace

Classifier make_small_cnn(std::int64_t num_classes, std::int64_t in_channels) {
  return std::make_shared<SmallCnnImpl>(num_classes, in_channels);
}

}  // namespace ringtail::pets
