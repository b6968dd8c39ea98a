#pragma once
// Image classifiers of ringtail-pets: ResNet-18, -34 and -50 built like
// torchvision's (same module names and order: conv1, bn1, layer1.0.conv1, ...,
// fc), so torchvision weights load by name; and a small CNN for quick runs and
// Fashion-MNIST. The classifier head is sized for `num_classes`.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/types.h>

namespace ringtail::pets {

class ClassifierImpl : public ::torch::nn::Module {
 public:
  // images: N x C x H x W float; returns N x num_classes logits.
  virtual ::torch::Tensor forward(::torch::Tensor images) = 0;
  virtual const std::string& arch() const = 0;
  virtual std::int64_t num_classes() const = 0;
  // Names of the classifier head's tensors ("fc."), which a pretrained file
  // for another number of classes does not fill.
  virtual std::string head_prefix() const = 0;
};

using Classifier = std::shared_ptr<ClassifierImpl>;

struct ModelSpec {
  std::string arch = "resnet18";  // one of model_names()
  std::int64_t num_classes = 37;
  std::int64_t in_channels = 3;   // 1 for Fashion-MNIST
};

// Throws ringtail::Error for an unknown arch or non-positive sizes.
Classifier make_model(const ModelSpec& spec);
const std::vector<std::string>& model_names();  // resnet18, resnet34, resnet50, small_cnn

Classifier make_resnet(const std::string& arch, std::int64_t num_classes, std::int64_t in_channels);
Classifier make_small_cnn(std::int64_t num_classes, std::int64_t in_channels);

}  // namespace ringtail::pets
