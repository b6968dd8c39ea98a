// Loading a model directory: the frozen, optimized module answers like the
// float64 reference, and a model that breaks the contract fails at load with a
// message naming the file and the mismatch.
#include <gtest/gtest.h>

#include <fstream>

#include <torch/script.h>

#include "ringtail/collectives/error.h"
#include "ringtail/pets/serve/serve_command.h"
#include "ringtail/pets/serve/torchscript_classifier.h"
#include "temp_dir.h"
#include "test_model.h"
#include "torchscript_compat.h"  // examples/pets/serve/src: what the classifier runs at load

namespace {

using ringtail::pets::serve::LoadOptions;
using ringtail::pets::serve::TorchScriptClassifier;
using ringtail_test::TinyModelKind;

std::vector<float> batch_of(int images, int side, int seed) {
  std::vector<float> data(static_cast<std::size_t>(images * 3 * side * side));
  for (std::size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<float>(((i * 2654435761u + static_cast<std::size_t>(seed)) % 1000) / 500.0 - 1.0);
  }
  return data;
}

std::string load_error(const std::filesystem::path& dir) {
  try {
    TorchScriptClassifier(dir, ringtail::pets::serve::load_model_config(dir));
  } catch (const ringtail::Error& e) {
    return e.what();
  }
  return "";
}

TEST(TorchScriptClassifier, FrozenAndPlainModulesMatchTheFloat64Reference) {
  ringtail_test::TempDir dir;
  const auto config = ringtail_test::write_tiny_model(dir.path(), 37, 32, 36);
  for (const bool optimize : {true, false}) {
    TorchScriptClassifier model(dir.path(), config, LoadOptions{optimize});
    const int n = 3;
    const auto images = batch_of(n, 32, 7);
    std::vector<float> probabilities(static_cast<std::size_t>(n) * 37);
    model.classify(images.data(), n, probabilities.data());
    for (int i = 0; i < n; ++i) {
      const std::size_t one = 3 * 32 * 32;
      const std::vector<float> image(images.begin() + static_cast<long>(i * one),
                                     images.begin() + static_cast<long>((i + 1) * one));
      const auto expected = ringtail_test::reference_probabilities(dir.path(), image);
      double sum = 0;
      for (std::size_t c = 0; c < 37; ++c) {
        const float p = probabilities[static_cast<std::size_t>(i) * 37 + c];
        EXPECT_NEAR(p, expected[c], 1e-5) << "optimize " << optimize << " image " << i << " class " << c;
        sum += p;
      }
      EXPECT_NEAR(sum, 1.0, 1e-5);
    }
  }
}

TEST(TorchScriptClassifier, LoadFreezesTheWeightsIntoTheGraph) {
  ringtail_test::TempDir dir;
  ringtail_test::write_tiny_model(dir.path());
  const torch::jit::Module saved = torch::jit::load((dir / "model.pt").string());
  ASSERT_EQ(saved.parameters().size(), 4u);
  const torch::jit::Module plain = ringtail::pets::serve::prepare_for_inference(saved.clone(), false);
  EXPECT_EQ(plain.parameters().size(), 4u);
  // Frozen: the weights are constants of the optimized graph, not attributes.
  const torch::jit::Module frozen = ringtail::pets::serve::prepare_for_inference(saved.clone(), true);
  EXPECT_EQ(frozen.parameters().size(), 0u);
  EXPECT_EQ(frozen.attributes().size(), 0u);
}

TEST(TorchScriptClassifier, OutputWidthMustMatchTheClasses) {
  ringtail_test::TempDir dir;
  ringtail_test::write_tiny_model(dir.path(), 37, 32, 36, TinyModelKind::wrong_width);
  const std::string message = load_error(dir.path());
  EXPECT_NE(message.find("model.pt"), std::string::npos) << message;
  EXPECT_NE(message.find("[1, 40]"), std::string::npos) << message;
  EXPECT_NE(message.find("37 classes"), std::string::npos) << message;
}

TEST(TorchScriptClassifier, ForwardMustReturnOneTensor) {
  ringtail_test::TempDir dir;
  ringtail_test::write_tiny_model(dir.path(), 5, 32, 36, TinyModelKind::returns_tuple);
  const std::string message = load_error(dir.path());
  EXPECT_NE(message.find("Tuple"), std::string::npos) << message;
}

TEST(TorchScriptClassifier, AModelThatCannotBatchFailsAtLoad) {
  ringtail_test::TempDir dir;
  ringtail_test::write_tiny_model(dir.path(), 5, 32, 36, TinyModelKind::fixed_batch);
  const std::string message = load_error(dir.path());
  EXPECT_NE(message.find("batch of 2"), std::string::npos) << message;
}

TEST(TorchScriptClassifier, AFileThatIsNotTorchScriptFailsAtLoad) {
  ringtail_test::TempDir dir;
  ringtail_test::write_tiny_model(dir.path());
  std::ofstream(dir / "model.pt", std::ios::trunc) << "this is not a zip archive";
  const std::string message = load_error(dir.path());
  EXPECT_NE(message.find("is not a TorchScript module"), std::string::npos) << message;
}

TEST(ServeCommand, PortComesFromTheFlagThenSageMakerThenTheDefault) {
  using ringtail::pets::serve::resolve_port;
  EXPECT_EQ(resolve_port(std::nullopt, nullptr), 8080);
  EXPECT_EQ(resolve_port(std::nullopt, ""), 8080);
  EXPECT_EQ(resolve_port(std::nullopt, "9090"), 9090);
  EXPECT_EQ(resolve_port(7070, "9090"), 7070);
  EXPECT_EQ(resolve_port(0, nullptr), 0);
  EXPECT_THROW(resolve_port(std::nullopt, "80a"), ringtail::Error);
  EXPECT_THROW(resolve_port(std::nullopt, "70000"), ringtail::Error);
  EXPECT_THROW(resolve_port(-1, nullptr), ringtail::Error);
}

}  // namespace
