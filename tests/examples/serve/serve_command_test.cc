// The real command in its own process (ringtail_pets_serve_driver runs
// serve_command): a bad model directory fails at start with a clear message
// and a non-zero status; SIGTERM/SIGINT answer what is in flight and exit 0.
#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <future>
#include <regex>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "child_process.h"
#include "temp_dir.h"
#include "test_model.h"

#ifndef RINGTAIL_SERVE_DRIVER
#error "RINGTAIL_SERVE_DRIVER must name the ringtail_pets_serve_driver executable"
#endif

namespace {

using namespace std::chrono_literals;
using ringtail_test::ChildProcess;

std::vector<std::string> command(const std::filesystem::path& model_dir,
                                 std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {RINGTAIL_SERVE_DRIVER, "--model-dir", model_dir.string(),
                                   "--host", "127.0.0.1", "--threads", "1"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

int port_of(const std::string& listening_line) {
  std::smatch m;
  const std::regex pattern(R"(http://127\.0\.0\.1:(\d+))");
  if (!std::regex_search(listening_line, m, pattern)) return -1;
  return std::stoi(m[1]);
}

void expect_start_failure(const std::vector<std::string>& argv, const std::string& expected) {
  ChildProcess child(argv);
  const auto status = child.wait(60s);
  ASSERT_TRUE(status) << "did not exit";
  EXPECT_EQ(*status, 1) << child.stderr_text();
  EXPECT_NE(child.stderr_text().find(expected), std::string::npos) << child.stderr_text();
}

TEST(ServeCommand, MissingModelDirectoryFailsAtStart) {
  ringtail_test::TempDir dir;
  expect_start_failure(command(dir / "absent", {"--port", "0"}), "does not exist");
}

TEST(ServeCommand, BadModelJsonFailsAtStart) {
  ringtail_test::TempDir dir;
  ringtail_test::write_tiny_model(dir.path());
  std::ofstream(dir / "model.json", std::ios::trunc) << "{\"format\": \"ringtail-pets/1\"";
  expect_start_failure(command(dir.path(), {"--port", "0"}), "not valid JSON");
}

TEST(ServeCommand, MissingModelFileFailsAtStart) {
  ringtail_test::TempDir dir;
  ringtail_test::write_tiny_model(dir.path());
  std::filesystem::remove(dir / "model.pt");
  expect_start_failure(command(dir.path(), {"--port", "0"}), "model.pt is missing");
}

TEST(ServeCommand, OutputWidthMismatchFailsAtStart) {
  ringtail_test::TempDir dir;
  ringtail_test::write_tiny_model(dir.path(), 37, 32, 36, ringtail_test::TinyModelKind::wrong_width);
  expect_start_failure(command(dir.path(), {"--port", "0"}), "37 classes");
}

TEST(ServeCommand, BadOptionsFailWithUsageStatus) {
  ringtail_test::TempDir dir;
  ringtail_test::write_tiny_model(dir.path());
  ChildProcess child(command(dir.path(), {"--max-batch", "lots"}));
  const auto status = child.wait(60s);
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 2) << child.stderr_text();
}

TEST(ServeCommand, SigtermAnswersRequestsInFlightThenExitsZero) {
  constexpr int kInFlight = 3;
  ringtail_test::TempDir dir;
  ringtail_test::write_tiny_model(dir.path());
  // Images wait for company for a minute: only the shutdown releases them.
  // Without calibration, which could stop batches at one image for this model.
  ChildProcess child(command(dir.path(), {"--port", "0", "--max-batch", "64", "--max-delay-ms", "60000",
                                          "--no-batch-calibration"}));
  const auto listening = child.wait_for_line("listening on", 60s);
  ASSERT_TRUE(listening) << child.stdout_text() << child.stderr_text();
  const int port = port_of(*listening);
  ASSERT_GT(port, 0) << *listening;
  ASSERT_TRUE(child.wait_for_line("model ready", 60s)) << child.stderr_text();

  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(60);
  ASSERT_EQ(client.Get("/ping")->status, 200);
  const auto image = ringtail_test::encode(ringtail_test::test_picture(64, 48, 9), ".jpg");
  std::vector<std::future<httplib::Result>> answers;
  for (int i = 0; i < kInFlight; ++i) {
    answers.push_back(std::async(std::launch::async, [&] {
      httplib::Client c("127.0.0.1", port);
      c.set_read_timeout(60);
      return c.Post("/invocations", reinterpret_cast<const char*>(image.data()), image.size(),
                    "image/jpeg");
    }));
  }
  // Another process: its queue is visible only through /metrics. Poll it
  // until the three images wait there (bounded).
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  bool queued = false;
  while (!queued && std::chrono::steady_clock::now() < deadline) {
    const auto metrics = client.Get("/metrics");
    queued = metrics && metrics->body.find("ringtail_serve_queued_images " +
                                           std::to_string(kInFlight) + "\n") != std::string::npos;
    if (!queued) std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(queued);

  child.send(SIGTERM);
  for (auto& answer : answers) {
    const auto result = answer.get();
    ASSERT_TRUE(result) << httplib::to_string(result.error());
    EXPECT_EQ(result->status, 200) << result->body;
    EXPECT_EQ(nlohmann::json::parse(result->body)["predictions"].size(), 5u);
  }
  const auto status = child.wait(60s);
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 0) << child.stderr_text();
  EXPECT_NE(child.stdout_text().find("SIGTERM received"), std::string::npos) << child.stdout_text();
  EXPECT_NE(child.stdout_text().find("stopped"), std::string::npos) << child.stdout_text();
}

TEST(ServeCommand, SigintStopsAServerOnTheSageMakerPortVariable) {
  ringtail_test::TempDir dir;
  ringtail_test::write_tiny_model(dir.path());
  // No --port: SAGEMAKER_BIND_TO_PORT decides (0: any free port).
  ChildProcess child(command(dir.path()), {{"SAGEMAKER_BIND_TO_PORT", "0"}});
  const auto listening = child.wait_for_line("listening on", 60s);
  ASSERT_TRUE(listening) << child.stderr_text();
  ASSERT_GT(port_of(*listening), 0) << *listening;
  const auto ready = child.wait_for_line("model ready", 60s);
  ASSERT_TRUE(ready) << child.stderr_text();
  // By default the model is timed at every batch size up to --max-batch (16).
  EXPECT_NE(ready->find("calibrated; ms per image by batch: 1: "), std::string::npos) << *ready;
  EXPECT_NE(ready->find(" 16: "), std::string::npos) << *ready;
  child.send(SIGINT);
  const auto status = child.wait(60s);
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 0) << child.stderr_text();
  EXPECT_NE(child.stdout_text().find("SIGINT received"), std::string::npos) << child.stdout_text();
}

}  // namespace
