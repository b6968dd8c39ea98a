// Issue 8: "a served prediction equals `ringtail-pets evaluate`'s for the same
// image". The real programs end to end: a checkpoint of a small ResNet
// (random weights, non-trivial batch-norm statistics), `ringtail-pets
// export` to a model directory, `ringtail-pets evaluate --predictions` on a
// synthetic test split, and `ringtail-pets serve` on that model directory over
// HTTP on loopback; every image file of the split is posted to /invocations
// and the served top-k must be evaluate's: the same classes in the same order,
// probabilities within 1e-5.
#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <sstream>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "child_process.h"
#include "ringtail/pets/model_weights.h"
#include "ringtail/pets/models.h"
#include "ringtail/pets/train/checkpoint.h"
#include "temp_dir.h"
#include "test_model.h"

#ifndef RINGTAIL_PETS_PROGRAM
#error "RINGTAIL_PETS_PROGRAM must name the ringtail-pets executable"
#endif

namespace {

using namespace std::chrono_literals;
using ringtail_test::ChildProcess;

constexpr int kClasses = 4;
constexpr int kImageSize = 48;

// Runs `ringtail-pets ARGS...` to completion; fails the test unless it exits 0.
void run_pets(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {RINGTAIL_PETS_PROGRAM};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess child(argv);
  const auto status = child.wait(120s);
  ASSERT_TRUE(status) << args.at(0) << " did not finish";
  ASSERT_EQ(*status, 0) << args.at(0) << ":\n" << child.stdout_text() << child.stderr_text();
}

void write_checkpoint(const std::filesystem::path& file) {
  ringtail::pets::train::Checkpoint checkpoint;
  checkpoint.model.arch = "resnet18";
  checkpoint.model.dataset = "pets";
  checkpoint.model.image_size = kImageSize;
  checkpoint.model.class_names = ringtail_test::breed_names(kClasses);
  torch::manual_seed(11);
  auto model = ringtail::pets::make_model(checkpoint.model.spec());
  torch::NoGradGuard no_grad;
  // Batch-norm statistics away from the identity, so export's folding matters;
  // a larger head so the probabilities are far from uniform.
  for (auto& buffer : model->named_buffers()) {
    if (buffer.key().find("running_mean") != std::string::npos) buffer.value().uniform_(-0.2, 0.2);
    if (buffer.key().find("running_var") != std::string::npos) buffer.value().uniform_(0.5, 1.5);
  }
  for (auto& parameter : model->named_parameters()) {
    if (parameter.key().rfind("fc.", 0) == 0) parameter.value().mul_(20.0);
  }
  checkpoint.model_state = ringtail::pets::named_state(*model);
  ringtail::pets::train::save_checkpoint(checkpoint, file);
}

struct Prediction {
  std::string image;
  std::string true_class;  // read, not compared: serve does not know it
  std::vector<std::pair<std::string, double>> top;  // most probable first
};

std::vector<Prediction> read_predictions(const std::filesystem::path& file, int k) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line.rfind("image,true_class,class_1,probability_1", 0), 0u) << line;
  std::vector<Prediction> rows;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream fields(line);
    for (std::string cell; std::getline(fields, cell, ',');) cells.push_back(cell);
    EXPECT_EQ(cells.size(), static_cast<std::size_t>(2 + 2 * k)) << line;
    if (cells.size() != static_cast<std::size_t>(2 + 2 * k)) continue;
    Prediction p{cells[0], cells[1], {}};
    for (int r = 0; r < k; ++r) p.top.emplace_back(cells[2 + 2 * r], std::stod(cells[3 + 2 * r]));
    rows.push_back(std::move(p));
  }
  return rows;
}

std::string file_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

int port_of(const std::string& listening_line) {
  std::smatch m;
  if (!std::regex_search(listening_line, m, std::regex(R"(http://127\.0\.0\.1:(\d+))"))) return -1;
  return std::stoi(m[1]);
}

TEST(ServeMatchesEvaluate, ServedTopKEqualsEvaluatePredictionsForTheSameImages) {
  ringtail_test::TempDir dir;
  const auto data = dir / "data";
  const auto checkpoint = dir / "checkpoint.rtc";
  const auto model_dir = dir / "model";
  const auto csv = dir / "predictions.csv";

  ASSERT_NO_FATAL_FAILURE(run_pets({"synth", "--out", data.string(), "--classes", std::to_string(kClasses),
                                    "--per-class", "4", "--size", "96", "--seed", "3",
                                    "--bad-per-kind", "0"}));
  write_checkpoint(checkpoint);
  ASSERT_NO_FATAL_FAILURE(run_pets({"export", "--checkpoint", checkpoint.string(), "--out", model_dir.string()}));
  // Batches of 3 in evaluate, one image per pass in serve: the answers must
  // not depend on the batch an image ran in.
  ASSERT_NO_FATAL_FAILURE(run_pets({"evaluate", "--checkpoint", checkpoint.string(), "--data", data.string(),
                                    "--split", "test", "--batch-size", "3", "--workers", "0",
                                    "--predictions", csv.string(), "--top-k", std::to_string(kClasses)}));
  const std::vector<Prediction> expected = read_predictions(csv, kClasses);
  ASSERT_GE(expected.size(), 4u);

  ChildProcess server({RINGTAIL_PETS_PROGRAM, "serve", "--model-dir", model_dir.string(), "--host",
                       "127.0.0.1", "--port", "0", "--threads", "1"});
  const auto listening = server.wait_for_line("listening on", 60s);
  ASSERT_TRUE(listening) << server.stdout_text() << server.stderr_text();
  const int port = port_of(*listening);
  ASSERT_GT(port, 0) << *listening;
  ASSERT_TRUE(server.wait_for_line("model ready", 60s)) << server.stderr_text();

  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(60);
  for (const Prediction& want : expected) {
    SCOPED_TRACE(want.image);
    const std::string body = file_bytes(data / "images" / (want.image + ".jpg"));
    ASSERT_FALSE(body.empty());
    const auto result = client.Post(("/invocations?k=" + std::to_string(kClasses)).c_str(), body, "image/jpeg");
    ASSERT_TRUE(result) << httplib::to_string(result.error());
    ASSERT_EQ(result->status, 200) << result->body;
    const auto served = nlohmann::json::parse(result->body)["predictions"];
    ASSERT_EQ(served.size(), want.top.size());
    for (std::size_t r = 0; r < served.size(); ++r) {
      EXPECT_EQ(served[r]["label"].get<std::string>(), want.top[r].first) << "rank " << r;
      EXPECT_NEAR(served[r]["probability"].get<double>(), want.top[r].second, 1e-5) << "rank " << r;
    }
  }
  // The model is not uniform: its answers carry information to compare.
  EXPECT_GT(expected[0].top[0].second, 1.0 / kClasses + 0.05);

  server.send(SIGTERM);
  const auto status = server.wait(60s);
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 0) << server.stderr_text();
}

}  // namespace
