// ringtail's ResNets against torchvision's: tools/export_torchvision.py exports
// a randomly initialized torchvision model (with random BatchNorm statistics),
// an input batch and torchvision's logits; the C++ model loads the weights and
// must give the same logits.
#include <cstdlib>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ringtail/pets/model_weights.h"
#include "ringtail/pets/models.h"
#include "temp_dir.h"

namespace ringtail::pets {
namespace {

bool torchvision_available(std::string* why) {
  const std::string command = std::string(RINGTAIL_PETS_PYTHON) + " -c 'import torchvision' >/dev/null 2>&1";
  if (std::string(RINGTAIL_PETS_PYTHON).empty() || std::system(command.c_str()) != 0) {
    *why = std::string("python3-torchvision is not importable by '") + RINGTAIL_PETS_PYTHON +
           "' (Debian: apt-get install python3-torchvision; or configure with "
           "-DRINGTAIL_PETS_PYTHON=<python with torchvision>)";
    return false;
  }
  return true;
}

const NamedArray& find(const std::vector<NamedArray>& arrays, const std::string& name) {
  for (const auto& array : arrays) {
    if (array.name == name) return array;
  }
  throw std::runtime_error("no array " + name);
}

class TorchvisionEquivalence : public ::testing::TestWithParam<std::string> {};

TEST_P(TorchvisionEquivalence, SameLogitsAsTorchvision) {
  std::string why;
  if (!torchvision_available(&why)) GTEST_SKIP() << why;
  const std::string arch = GetParam();
  ringtail_test::TempDir dir;
  const std::string command = std::string(RINGTAIL_PETS_PYTHON) + " " + RINGTAIL_PETS_EXPORT_SCRIPT +
                              " --arch " + arch + " --random --randomize-bn --seed 7 --num-classes 37" +
                              " --out " + (dir / "weights.rtw").string() + " --check " +
                              (dir / "check.rtw").string() + " --batch 2 --image-size 64";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  const Classifier model = make_model({arch, 37, 3});
  const LoadWeightsReport report = load_weights(*model, dir / "weights.rtw");
  EXPECT_EQ(report.loaded, named_state(*model).size());
  model->eval();

  const auto check = read_weights_file(dir / "check.rtw");
  const torch::Tensor input = to_tensor(find(check, "input"));
  const torch::Tensor expected = to_tensor(find(check, "logits"));
  torch::NoGradGuard no_grad;
  const torch::Tensor logits = model->forward(input);
  ASSERT_EQ(logits.sizes(), expected.sizes());
  // The comparison means something only if the logits are not all tiny.
  EXPECT_GT(expected.abs().max().item<double>(), 0.1);
  const double max_diff = (logits.to(torch::kFloat64) - expected.to(torch::kFloat64)).abs().max().item<double>();
  EXPECT_LT(max_diff, 1e-4) << arch << ": max |ringtail - torchvision| = " << max_diff;
}

INSTANTIATE_TEST_SUITE_P(ResNets, TorchvisionEquivalence, ::testing::Values("resnet18", "resnet34", "resnet50"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ringtail::pets
