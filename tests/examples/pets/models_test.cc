#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ringtail/collectives/error.h"
#include "ringtail/pets/batch_tensor.h"
#include "ringtail/pets/model_weights.h"
#include "ringtail/pets/models.h"
#include "temp_dir.h"

namespace ringtail::pets {
namespace {

std::int64_t parameter_count(const torch::nn::Module& model) {
  std::int64_t n = 0;
  for (const auto& p : model.parameters()) n += p.numel();
  return n;
}

std::set<std::string> state_names(const torch::nn::Module& model) {
  std::set<std::string> names;
  for (const auto& [name, tensor] : named_state(model)) names.insert(name);
  return names;
}

TEST(Models, ResNetsHaveTorchvisionsParameterCountsAndStateSizes) {
  // torchvision 0.14, 1000 classes: parameters and state_dict() entries.
  const std::map<std::string, std::pair<std::int64_t, std::size_t>> expected = {
      {"resnet18", {11689512, 122}}, {"resnet34", {21797672, 218}}, {"resnet50", {25557032, 320}}};
  for (const auto& [arch, counts] : expected) {
    const Classifier model = make_model({arch, 1000, 3});
    EXPECT_EQ(parameter_count(*model), counts.first) << arch;
    EXPECT_EQ(state_names(*model).size(), counts.second) << arch;
    EXPECT_EQ(model->arch(), arch);
  }
}

TEST(Models, ResNetNamesFollowTorchvision) {
  const auto r18 = state_names(*make_model({"resnet18", 37, 3}));
  for (const char* name : {"conv1.weight", "bn1.weight", "bn1.running_mean", "bn1.num_batches_tracked",
                           "layer1.0.conv1.weight", "layer1.1.bn2.running_var", "layer2.0.downsample.0.weight",
                           "layer2.0.downsample.1.running_mean", "layer4.1.conv2.weight", "fc.weight", "fc.bias"}) {
    EXPECT_EQ(r18.count(name), 1u) << name;
  }
  EXPECT_EQ(r18.count("layer1.0.downsample.0.weight"), 0u);  // 64 -> 64, stride 1: no projection
  const auto r50 = state_names(*make_model({"resnet50", 37, 3}));
  for (const char* name : {"layer1.0.conv3.weight", "layer1.0.bn3.bias", "layer1.0.downsample.0.weight",
                           "layer3.5.conv2.weight", "layer4.2.bn3.running_mean"}) {
    EXPECT_EQ(r50.count(name), 1u) << name;
  }
}

TEST(Models, OutputShapes) {
  torch::NoGradGuard no_grad;
  for (const std::string arch : {"resnet18", "resnet34", "resnet50", "small_cnn"}) {
    const Classifier model = make_model({arch, 37, 3});
    model->eval();
    EXPECT_EQ(model->forward(torch::randn({2, 3, 64, 64})).sizes(), (std::vector<std::int64_t>{2, 37})) << arch;
    EXPECT_EQ(model->num_classes(), 37);
  }
  const Classifier mnist = make_model({"small_cnn", 10, 1});
  mnist->eval();
  EXPECT_EQ(mnist->forward(torch::randn({3, 1, 28, 28})).sizes(), (std::vector<std::int64_t>{3, 10}));
  const Classifier gray_resnet = make_model({"resnet18", 10, 1});
  gray_resnet->eval();
  EXPECT_EQ(gray_resnet->forward(torch::randn({1, 1, 28, 28})).sizes(), (std::vector<std::int64_t>{1, 10}));
}

TEST(Models, UnknownArchitectureOrSizesAreErrors) {
  EXPECT_THROW(make_model({"resnet101", 37, 3}), Error);
  EXPECT_THROW(make_model({"vgg16", 37, 3}), Error);
  EXPECT_THROW(make_model({"resnet18", 0, 3}), Error);
  EXPECT_THROW(make_model({"small_cnn", 10, 0}), Error);
}

TEST(ModelWeights, SaveAndLoadRestoreTheSameOutputs) {
  torch::manual_seed(1);
  ringtail_test::TempDir dir;
  for (const std::string arch : {"resnet18", "small_cnn"}) {
    const Classifier a = make_model({arch, 37, 3});
    // Move the BatchNorm statistics away from their initial values.
    a->train();
    {
      torch::NoGradGuard no_grad;
      a->forward(torch::randn({4, 3, 32, 32}) * 2 + 1);
    }
    save_weights(*a, dir / (arch + ".rtw"));
    const Classifier b = make_model({arch, 37, 3});
    const LoadWeightsReport report = load_weights(*b, dir / (arch + ".rtw"));
    EXPECT_EQ(report.loaded, named_state(*b).size());
    EXPECT_TRUE(report.skipped.empty());
    a->eval();
    b->eval();
    torch::NoGradGuard no_grad;
    const torch::Tensor x = torch::randn({2, 3, 48, 48});
    EXPECT_TRUE(torch::equal(a->forward(x), b->forward(x))) << arch;
  }
}

TEST(ModelWeights, AHeadOfAnotherSizeIsReplacedOnlyOnRequest) {
  ringtail_test::TempDir dir;
  const Classifier imagenet = make_model({"resnet18", 1000, 3});
  save_weights(*imagenet, dir / "imagenet.rtw");
  const Classifier pets = make_model({"resnet18", 37, 3});
  const torch::Tensor head_before = pets->named_parameters()["fc.weight"].clone();
  try {
    load_weights(*pets, dir / "imagenet.rtw");
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("fc.weight: [1000, 512] f32 in the file, [37, 512] f32 in the model"), std::string::npos)
        << message;
    EXPECT_NE(message.find("head replaced"), std::string::npos) << message;
  }
  // A failed load leaves the model as it was.
  EXPECT_FALSE(torch::equal(pets->named_parameters()["conv1.weight"], imagenet->named_parameters()["conv1.weight"]));

  LoadWeightsOptions options;
  options.replace_mismatched_head = true;
  const LoadWeightsReport report = load_weights(*pets, dir / "imagenet.rtw", options);
  EXPECT_EQ(report.skipped.size(), 2u);  // fc.weight, fc.bias
  EXPECT_EQ(report.loaded, named_state(*pets).size() - 2);
  EXPECT_TRUE(torch::equal(pets->named_parameters()["conv1.weight"], imagenet->named_parameters()["conv1.weight"]));
  EXPECT_TRUE(torch::equal(pets->named_parameters()["fc.weight"], head_before));
}

TEST(ModelWeights, MissingAndUnexpectedTensorsAreNamed) {
  ringtail_test::TempDir dir;
  save_weights(*make_model({"resnet18", 37, 3}), dir / "r18.rtw");
  try {
    const Classifier r34 = make_model({"resnet34", 37, 3});
    load_weights(*r34, dir / "r18.rtw");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing from the file: layer1.2."), std::string::npos) << e.what();
  }
  try {
    const Classifier small = make_model({"small_cnn", 37, 3});
    load_weights(*small, dir / "r18.rtw");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not in the model: "), std::string::npos) << e.what();
  }
}

TEST(BatchTensors, WrapTheBatchWithoutCopying) {
  Batch batch;
  batch.shape = {2, 1, 3};
  batch.count = 2;
  batch.images = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  batch.labels = {4, 2};
  const float* data = batch.images.data();
  const BatchTensors tensors = to_tensors(std::move(batch));
  EXPECT_EQ(tensors.images.sizes(), (std::vector<std::int64_t>{2, 2, 1, 3}));
  EXPECT_EQ(tensors.images.data_ptr<float>(), data);
  EXPECT_EQ(tensors.images[1][0][0][2].item<float>(), 9.0f);
  EXPECT_EQ(tensors.labels.dtype(), torch::kInt64);
  EXPECT_EQ(tensors.labels[0].item<std::int64_t>(), 4);
}

}  // namespace
}  // namespace ringtail::pets
