// ResNet v1.5 as torchvision builds it (stride in the 3x3 convolution of a
// bottleneck), with torchvision's module names so its state_dict loads as is.
#include <array>

#include <torch/nn/init.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/pooling.h>

#include "ringtail/collectives/error.h"
#include "ringtail/pets/models.h"

namespace nn = torch::nn;

namespace ringtail::pets {
namespace {

nn::Conv2d conv(std::int64_t in, std::int64_t out, std::int64_t kernel, std::int64_t stride,
                std::int64_t padding) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(false));
}

class BasicBlockImpl : public nn::Module {
 public:
  static constexpr std::int64_t kExpansion = 1;
  BasicBlockImpl(std::int64_t in, std::int64_t planes, std::int64_t stride, nn::Sequential downsample)
      : conv1_(register_module("conv1", conv(in, planes, 3, stride, 1))),
        bn1_(register_module("bn1", nn::BatchNorm2d(planes))),
        conv2_(register_module("conv2", conv(planes, planes, 3, 1, 1))),
        bn2_(register_module("bn2", nn::BatchNorm2d(planes))),
        downsample_(std::move(downsample)) {
    if (downsample_) register_module("downsample", downsample_);
  }

  torch::Tensor forward(torch::Tensor x) {
    torch::Tensor out = torch::relu(bn1_(conv1_(x)));
    out = bn2_(conv2_(out));
    return torch::relu(out + (downsample_ ? downsample_->forward(x) : x));
  }

 private:
  nn::Conv2d conv1_;
  nn::BatchNorm2d bn1_;
  nn::Conv2d conv2_;
  nn::BatchNorm2d bn2_;
  nn::Sequential downsample_{nullptr};
};

class BottleneckImpl : public nn::Module {
 public:
  static constexpr std::int64_t kExpansion = 4;
  BottleneckImpl(std::int64_t in, std::int64_t planes, std::int64_t stride, nn::Sequential downsample)
      : conv1_(register_module("conv1", conv(in, planes, 1, 1, 0))),
        bn1_(register_module("bn1", nn::BatchNorm2d(planes))),
        conv2_(register_module("conv2", conv(planes, planes, 3, stride, 1))),
        bn2_(register_module("bn2", nn::BatchNorm2d(planes))),
        conv3_(register_module("conv3", conv(planes, planes * kExpansion, 1, 1, 0))),
        bn3_(register_module("bn3", nn::BatchNorm2d(planes * kExpansion))),
        downsample_(std::move(downsample)) {
    if (downsample_) register_module("downsample", downsample_);
  }

  torch::Tensor forward(torch::Tensor x) {
    torch::Tensor out = torch::relu(bn1_(conv1_(x)));
    out = torch::relu(bn2_(conv2_(out)));
    out = bn3_(conv3_(out));
    return torch::relu(out + (downsample_ ? downsample_->forward(x) : x));
  }

 private:
  nn::Conv2d conv1_;
  nn::BatchNorm2d bn1_;
  nn::Conv2d conv2_;
  nn::BatchNorm2d bn2_;
  nn::Conv2d conv3_;
  nn::BatchNorm2d bn3_;
  nn::Sequential downsample_{nullptr};
};

template <typename Block>
class ResNetImpl : public ClassifierImpl {
 public:
  ResNetImpl(std::string arch, const std::array<int, 4>& blocks, std::int64_t num_classes,
             std::int64_t in_channels)
      : arch_(std::move(arch)),
        num_classes_(num_classes),
        conv1_(register_module("conv1", conv(in_channels, 64, 7, 2, 3))),
        bn1_(register_module("bn1", nn::BatchNorm2d(64))),
        maxpool_(nn::MaxPool2dOptions(3).stride(2).padding(1)) {
    layer1_ = register_module("layer1", make_layer(64, blocks[0], 1));
    layer2_ = register_module("layer2", make_layer(128, blocks[1], 2));
    layer3_ = register_module("layer3", make_layer(256, blocks[2], 2));
    layer4_ = register_module("layer4", make_layer(512, blocks[3], 2));
    fc_ = register_module("fc", nn::Linear(512 * Block::kExpansion, num_classes));
    // torchvision's initialisation; Linear keeps LibTorch's default, which is
    // PyTorch's (and so torchvision's).
    for (auto& module : modules(/*include_self=*/false)) {
      if (auto* c = module->as<nn::Conv2d>()) {
        nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
      }
    }
  }

  torch::Tensor forward(torch::Tensor x) override {
    x = maxpool_(torch::relu(bn1_(conv1_(x))));
    x = layer4_->forward(layer3_->forward(layer2_->forward(layer1_->forward(x))));
    x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
    return fc_(x);
  }
  const std::string& arch() const override { return arch_; }
  std::int64_t num_classes() const override { return num_classes_; }
  std::string head_prefix() const override { return "fc."; }

 private:
  nn::Sequential make_layer(std::int64_t planes, int count, std::int64_t stride) {
    nn::Sequential layer;
    nn::Sequential downsample{nullptr};
    if (stride != 1 || in_planes_ != planes * Block::kExpansion) {
      downsample = nn::Sequential(conv(in_planes_, planes * Block::kExpansion, 1, stride, 0),
                                  nn::BatchNorm2d(planes * Block::kExpansion));
    }
    layer->push_back(std::make_shared<Block>(in_planes_, planes, stride, downsample));
    in_planes_ = planes * Block::kExpansion;
    for (int i = 1; i < count; ++i) {
      layer->push_back(std::make_shared<Block>(in_planes_, planes, 1, nn::Sequential{nullptr}));
    }
    return layer;
  }

  std::string arch_;
  std::int64_t num_classes_;
  std::int64_t in_planes_ = 64;
  nn::Conv2d conv1_;
  nn::BatchNorm2d bn1_;
  nn::MaxPool2d maxpool_;
  nn::Sequential layer1_{nullptr}, layer2_{nullptr}, layer3_{nullptr}, layer4_{nullptr};
  nn::Linear fc_{nullptr};
};

}  // namespace

Classifier make_resnet(const std::string& arch, std::int64_t num_classes, std::int64_t in_channels) {
  if (arch == "resnet18") {
    return std::make_shared<ResNetImpl<BasicBlockImpl>>(arch, std::array<int, 4>{2, 2, 2, 2},
                                                        num_classes, in_channels);
  }
  if (arch == "resnet34") {
    return std::make_shared<ResNetImpl<BasicBlockImpl>>(arch, std::array<int, 4>{3, 4, 6, 3},
                                                        num_classes, in_channels);
  }
  if (arch == "resnet50") {
    return std::make_shared<ResNetImpl<BottleneckImpl>>(arch, std::array<int, 4>{3, 4, 6, 3},
                                                        num_classes, in_channels);
  }
  throw Error(ErrorKind::invalid_argument, "unknown ResNet '" + arch + "' (resnet18, resnet34, resnet50)");
}

}  // namespace ringtail::pets
