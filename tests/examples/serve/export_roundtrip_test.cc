// The whole chain on the evaluation path: a ResNet-18 built by ringtail-pets
// (random weights, eval mode), written by the export code that
// `ringtail-pets export` runs, served over HTTP; the served probabilities
// equal the C++ model's on what evaluation feeds it (read_image +
// eval_transform with the model's ModelInfo).
#include <gtest/gtest.h>

#include <fstream>
#include <numeric>

#include <torch/torch.h>

#include "http_fixture.h"
#include "ringtail/pets/models.h"
#include "ringtail/pets/serve/torchscript_classifier.h"
#include "ringtail/pets/train/model_info.h"
#include "ringtail/pets/train/torchscript_export.h"
#include "ringtail/pets/transforms.h"
#include "temp_dir.h"
#include "test_model.h"

namespace {

TEST(ServeExport, ServedPredictionsEqualTheExportedModelOnTheEvaluationPath) {
  ringtail_test::TempDir dir;
  ringtail::pets::train::ModelInfo info;
  info.arch = "resnet18";
  info.dataset = "pets";
  info.image_size = 64;
  info.class_names = ringtail_test::breed_names(37);
  torch::manual_seed(5);
  auto model = ringtail::pets::make_model(info.spec());
  // Non-trivial batch-norm statistics, so the exported inference form matters.
  for (auto& buffer : model->named_buffers()) {
    if (buffer.key().find("running_mean") != std::string::npos) buffer.value().uniform_(-0.2, 0.2);
    if (buffer.key().find("running_var") != std::string::npos) buffer.value().uniform_(0.5, 1.5);
  }
  model->eval();
  ringtail::pets::train::export_model(*model, info, dir.path());

  const auto config = ringtail::pets::serve::load_model_config(dir.path());
  EXPECT_EQ(config.input_size, 64);
  ringtail_test::RunningServer running(config, {});
  running.server().set_classifier(
      std::make_shared<ringtail::pets::serve::TorchScriptClassifier>(dir.path(), config));

  for (int seed = 1; seed <= 3; ++seed) {
    const auto bytes = ringtail_test::encode(ringtail_test::test_picture(150 + 20 * seed, 110, seed), ".jpg");
    const auto file = dir / ("picture" + std::to_string(seed) + ".jpg");
    std::ofstream(file, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));

    // Evaluation: the file, the model's own transform, the C++ model.
    const auto transform = info.eval_transform();
    std::vector<float> chw(3 * 64 * 64);
    ringtail::pets::eval_transform(ringtail::pets::read_image(file.string()), transform, chw.data());
    torch::NoGradGuard no_grad;
    const torch::Tensor expected =
        torch::softmax(model->forward(torch::from_blob(chw.data(), {1, 3, 64, 64}).clone()), 1)[0];

    const auto result = running.post("/invocations?k=37", bytes, "image/jpeg");
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 200) << result->body;
    const auto top = ringtail_test::body_json(result)["predictions"];
    ASSERT_EQ(top.size(), 37u);
    for (std::size_t rank = 0; rank < top.size(); ++rank) {
      const int id = top[rank]["class_index"].get<int>();
      EXPECT_NEAR(top[rank]["probability"].get<double>(), expected[id].item<double>(), 1e-5)
          << "image " << seed << " class " << id;
    }
    EXPECT_EQ(top[0]["class_index"].get<int>(), expected.argmax().item<int>()) << "image " << seed;
  }
}

}  // namespace
