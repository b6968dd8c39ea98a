// The endpoint over real HTTP on 127.0.0.1: every status code of the contract,
// the answers against a float64 reference of the evaluation path, batched
// concurrent clients, and a stop with requests in flight.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <numeric>
#include <future>
#include <limits>
#include <thread>
#include <vector>

#include "http_fixture.h"
#include "ringtail/pets/serve/base64.h"
#include "ringtail/pets/serve/torchscript_classifier.h"
#include "ringtail/pets/transforms.h"
#include "temp_dir.h"
#include "test_model.h"

namespace {

using nlohmann::json;
using ringtail::pets::serve::InferenceServer;
using ringtail::pets::serve::ModelConfig;
using ringtail::pets::serve::ServerOptions;
using ringtail::pets::serve::TorchScriptClassifier;
using ringtail_test::body_json;
using ringtail_test::RunningServer;

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { config_ = ringtail_test::write_tiny_model(dir_.path()); }

  std::unique_ptr<RunningServer> start(ServerOptions options = {}, bool load = true) {
    auto running = std::make_unique<RunningServer>(config_, options);
    if (load) running->server().set_classifier(classifier());
    return running;
  }
  std::shared_ptr<TorchScriptClassifier> classifier() const {
    return std::make_shared<TorchScriptClassifier>(dir_.path(), config_);
  }

  // The evaluation path for the same bytes: decode, eval_transform from
  // model.json, the model in float64.
  std::vector<double> reference(const std::vector<std::uint8_t>& bytes) const {
    const cv::Mat image = ringtail::pets::decode_image(bytes.data(), bytes.size(), "test image");
    const auto side = static_cast<std::size_t>(config_.input_size);
    std::vector<float> chw(3 * side * side);
    ringtail::pets::eval_transform(image, config_.eval_transform(), chw.data());
    return ringtail_test::reference_probabilities(dir_.path(), chw);
  }

  // A top-k answer agrees with the reference: the k most probable classes in
  // order, each probability within float tolerance.
  void expect_matches(const json& top, const std::vector<double>& expected, std::size_t k) const {
    ASSERT_TRUE(top.is_array());
    ASSERT_EQ(top.size(), k);
    std::vector<int> order(expected.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return expected[a] > expected[b]; });
    for (std::size_t i = 0; i < k; ++i) {
      const int id = top[i]["class_index"].get<int>();
      EXPECT_NEAR(top[i]["probability"].get<double>(), expected[static_cast<std::size_t>(id)], 1e-5);
      EXPECT_EQ(top[i]["label"].get<std::string>(), config_.classes[static_cast<std::size_t>(id)]);
      // Near-ties may swap under float rounding; otherwise the order is the reference's.
      if (std::abs(expected[static_cast<std::size_t>(id)] -
                   expected[static_cast<std::size_t>(order[i])]) > 1e-6) {
        EXPECT_EQ(id, order[i]) << "rank " << i;
      }
    }
  }

  static void expect_error(const httplib::Result& result, int status, const std::string& kind) {
    ASSERT_TRUE(result) << httplib::to_string(result.error());
    EXPECT_EQ(result->status, status) << result->body;
    EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
    const json body = body_json(result);
    EXPECT_EQ(body["error"]["status"], status);
    EXPECT_EQ(body["error"]["kind"], kind);
    EXPECT_FALSE(body["error"]["message"].get<std::string>().empty());
  }

  ringtail_test::TempDir dir_;
  ModelConfig config_;
};

std::vector<std::uint8_t> jpeg(int seed, int width = 80, int height = 60) {
  return ringtail_test::encode(ringtail_test::test_picture(width, height, seed), ".jpg");
}
std::vector<std::uint8_t> png(int seed) {
  return ringtail_test::encode(ringtail_test::test_picture(50, 70, seed), ".png");
}

TEST_F(ServerTest, PingIsUnavailableUntilTheModelIsLoaded) {
  auto running = start({}, /*load=*/false);
  expect_error(running->get("/ping"), 503, "not_ready");
  expect_error(running->post("/invocations", jpeg(1), "image/jpeg"), 503, "not_ready");
  EXPECT_NE(running->get("/metrics")->body.find("ringtail_serve_model_ready 0"), std::string::npos);

  running->server().set_classifier(classifier());
  const auto ping = running->get("/ping");
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->status, 200);
  EXPECT_EQ(body_json(ping)["status"], "ready");
  EXPECT_NE(running->get("/metrics")->body.find("ringtail_serve_model_ready 1"), std::string::npos);
}

TEST_F(ServerTest, ClassifiesOneImageAsTheEvaluationPathDoes) {
  auto running = start();
  for (const auto& [bytes, type] : {std::pair{jpeg(1), "image/jpeg"}, std::pair{png(2), "image/png"},
                                    std::pair{jpeg(3), "application/x-image"},
                                    std::pair{png(4), "image/jpeg"},  // decoded by content
                                    std::pair{jpeg(5), "Image/JPEG; charset=binary"}}) {
    const auto result = running->post("/invocations", bytes, type);
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 200) << type << ": " << result->body;
    EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
    expect_matches(body_json(result)["predictions"], reference(bytes), 5);
  }
}

TEST_F(ServerTest, TopKParameter) {
  auto running = start();
  const auto bytes = jpeg(7);
  const auto expected = reference(bytes);
  for (const int k : {1, 3, 37}) {
    const auto result = running->post("/invocations?k=" + std::to_string(k), bytes, "image/jpeg");
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 200) << result->body;
    const json top = body_json(result)["predictions"];
    expect_matches(top, expected, static_cast<std::size_t>(k));
    if (k == 37) {
      double sum = 0.0;
      for (const auto& entry : top) sum += entry["probability"].get<double>();
      EXPECT_NEAR(sum, 1.0, 1e-5);
    }
  }
  // Through SageMaker, k comes in CustomAttributes; the query wins when both are there.
  httplib::Headers attributes = {{"X-Amzn-SageMaker-Custom-Attributes", "trace=1, k=2"}};
  auto via_header = running->client()->Post("/invocations", attributes,
                                             reinterpret_cast<const char*>(bytes.data()),
                                             bytes.size(), "image/jpeg");
  ASSERT_TRUE(via_header);
  ASSERT_EQ(via_header->status, 200) << via_header->body;
  expect_matches(body_json(via_header)["predictions"], expected, 2);
  via_header = running->client()->Post("/invocations?k=4", attributes,
                                       reinterpret_cast<const char*>(bytes.data()), bytes.size(),
                                       "image/jpeg");
  ASSERT_TRUE(via_header);
  expect_matches(body_json(via_header)["predictions"], expected, 4);
  for (const char* bad : {"0", "38", "-1", "abc", "2.5", ""}) {
    expect_error(running->post(std::string("/invocations?k=") + bad, bytes, "image/jpeg"), 400,
                 "bad_parameter");
  }
}

TEST_F(ServerTest, JsonListOfBase64Images) {
  auto running = start();
  const std::vector<std::vector<std::uint8_t>> images = {jpeg(11), png(12), jpeg(13, 120, 40)};
  json list = json::array();
  list.push_back(ringtail::pets::serve::encode_base64(images[0].data(), images[0].size()));
  list.push_back({{"b64", ringtail::pets::serve::encode_base64(images[1].data(), images[1].size())}});
  list.push_back("data:image/jpeg;base64," +
                 ringtail::pets::serve::encode_base64(images[2].data(), images[2].size()));
  for (const json& body : {list, json{{"instances", list}}}) {
    const auto result = running->post("/invocations?k=4", body.dump(), "application/json");
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 200) << result->body;
    const json predictions = body_json(result)["predictions"];
    ASSERT_EQ(predictions.size(), images.size());
    for (std::size_t i = 0; i < images.size(); ++i) {
      expect_matches(predictions[i], reference(images[i]), 4);
    }
  }
}

TEST_F(ServerTest, BadRequestsGetJsonErrorsAndTheServerKeepsServing) {
  ServerOptions options;
  options.max_body_bytes = 64 * 1024;
  options.limits.max_images = 2;
  auto running = start(options);
  const auto image = jpeg(21);
  const std::string b64 = ringtail::pets::serve::encode_base64(image.data(), image.size());

  expect_error(running->post("/invocations", image, "text/plain"), 415, "unsupported_media_type");
  expect_error(running->post("/invocations", image, ""), 415, "unsupported_media_type");
  expect_error(running->post("/invocations", std::string(), "image/jpeg"), 400, "empty_body");
  // `curl -X POST` without data: no Content-Length at all, so no body.
  const std::string no_length = ringtail_test::raw_exchange(
      running->port(),
      "POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(no_length.rfind("HTTP/1.1 400 ", 0), 0u) << no_length;
  EXPECT_NE(no_length.find("\"kind\":\"empty_body\""), std::string::npos) << no_length;
  expect_error(running->post("/invocations", std::string("not an image at all"), "image/jpeg"), 400,
               "bad_image");
  std::vector<std::uint8_t> truncated(image.begin(), image.begin() + static_cast<long>(image.size() / 2));
  expect_error(running->post("/invocations", truncated, "image/jpeg"), 400, "bad_image");
  expect_error(running->post("/invocations", ringtail_test::encode(ringtail_test::test_picture(8, 8, 1), ".bmp"),
                             "image/jpeg"),
               400, "bad_image");
  expect_error(running->post("/invocations", std::string("[\"abc"), "application/json"), 400, "bad_json");
  expect_error(running->post("/invocations", std::string("[\"@@@@\"]"), "application/json"), 400, "bad_json");
  expect_error(running->post("/invocations", std::string("[]"), "application/json"), 400, "bad_json");
  expect_error(running->post("/invocations", std::string("{\"images\": []}"), "application/json"), 400,
               "bad_json");
  expect_error(running->post("/invocations", json::array({b64, b64, b64}).dump(), "application/json"),
               413, "too_many_images");
  expect_error(running->post("/invocations", std::vector<std::uint8_t>(100 * 1024, 0xFF), "image/jpeg"),
               413, "payload_too_large");
  expect_error(running->get("/nowhere"), 404, "not_found");
  expect_error(running->post("/invocation", image, "image/jpeg"), 404, "not_found");
  const auto get_invocations = running->get("/invocations");
  expect_error(get_invocations, 405, "method_not_allowed");
  EXPECT_EQ(get_invocations->get_header_value("Allow"), "POST");
  expect_error(running->post("/ping", std::string("{}"), "application/json"), 405, "method_not_allowed");
  expect_error(running->client()->Delete("/metrics"), 405, "method_not_allowed");

  // Still serving, with every answer counted.
  const auto good = running->post("/invocations", image, "image/jpeg");
  ASSERT_TRUE(good);
  EXPECT_EQ(good->status, 200) << good->body;
  const auto& metrics = running->server().metrics();
  EXPECT_EQ(metrics.requests("/invocations", 200), 1u);
  EXPECT_EQ(metrics.requests("/invocations", 415), 2u);
  EXPECT_EQ(metrics.errors("empty_body"), 2u);
  EXPECT_EQ(metrics.requests("/nowhere", 404), 2u);  // both unknown paths fold into "other"
  EXPECT_EQ(metrics.errors("unsupported_media_type"), 2u);
  EXPECT_EQ(metrics.errors("bad_image"), 3u);
  EXPECT_EQ(metrics.errors("payload_too_large"), 1u);
  EXPECT_EQ(metrics.errors("method_not_allowed"), 3u);
  EXPECT_EQ(metrics.errors("not_found"), 2u);
}

// A POST with neither Content-Length nor chunked encoding has no body (RFC
// 9112, 6.3), as `curl -X POST` sends it: the answer comes without waiting for
// body bytes, and the connection takes the next request.
TEST_F(ServerTest, PostWithoutBodyIsAnsweredAndTheConnectionGoesOn) {
  auto running = start();
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  timeval timeout{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(running->port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  const auto send_text = [&](const std::string& text) {
    return ::send(fd, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
  };
  // Reads until `done` holds for what arrived, or the connection ends.
  std::string received;
  const auto receive_until = [&](const std::function<bool()>& done) {
    char buffer[4096];
    while (!done()) {
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) return;
      received.append(buffer, static_cast<std::size_t>(n));
    }
  };
  ASSERT_TRUE(send_text("POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\n\r\n"));
  receive_until([&] { return received.find("}}") != std::string::npos; });  // the end of the JSON error
  EXPECT_EQ(received.rfind("HTTP/1.1 400 ", 0), 0u) << received;
  EXPECT_NE(received.find("\"kind\":\"empty_body\""), std::string::npos) << received;
  received.clear();
  // The same connection, next request.
  if (send_text("GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")) {
    receive_until([] { return false; });
  }
  ::close(fd);
  EXPECT_EQ(received.rfind("HTTP/1.1 200 ", 0), 0u) << received;
  EXPECT_NE(received.find("{\"status\":\"ready\"}"), std::string::npos) << received;
}

// cpp-httplib checks its payload limit against Content-Length only: a chunked
// body, or a gzip body that inflates past --max-body-mb, must be refused too.
TEST_F(ServerTest, BodyLimitHoldsForChunkedAndCompressedBodies) {
  ServerOptions options;
  options.max_body_bytes = 64 * 1024;
  auto running = start(options);
  const std::string big(200 * 1024, '\xFF');
  // Sends `body` chunked (no Content-Length), 16 KiB a chunk.
  const auto post_chunked = [&](const std::string& body) {
    std::size_t sent = 0;
    return running->client()->Post(
        "/invocations",
        [&](std::size_t, httplib::DataSink& sink) {
          if (sent == body.size()) {
            sink.done();
            return true;
          }
          const std::size_t n = std::min<std::size_t>(16 * 1024, body.size() - sent);
          sent += n;
          return sink.write(body.data() + sent - n, n);
        },
        "image/jpeg");
  };
  expect_error(post_chunked(big), 413, "payload_too_large");
  auto compressing = running->client();
  compressing->set_compress(true);  // Content-Encoding: gzip, a few hundred bytes on the wire
  expect_error(compressing->Post("/invocations", big, "image/jpeg"), 413, "payload_too_large");

  // Bodies within the limit are served however they travel.
  const auto image = jpeg(22);
  const std::string image_text(image.begin(), image.end());
  std::vector<httplib::Result> answers;
  answers.push_back(post_chunked(image_text));
  answers.push_back(compressing->Post("/invocations", image_text, "image/jpeg"));
  answers.push_back(running->post("/invocations", image, "image/jpeg"));
  for (const auto& answer : answers) {
    ASSERT_TRUE(answer) << httplib::to_string(answer.error());
    EXPECT_EQ(answer->status, 200) << answer->body;
    expect_matches(body_json(answer)["predictions"], reference(image), 5);
  }
  EXPECT_EQ(running->server().metrics().errors("payload_too_large"), 2u);
}

// A model whose output for some images is NaN (overflowing weights): those
// images fail with a clear 500, their batch-mates get their own answers.
TEST_F(ServerTest, NonFiniteOutputFailsThatImageOnlyNotItsBatchMates) {
  // NaN for an image whose first normalized value is positive (a light
  // corner), fixed probabilities otherwise.
  class PartlyBroken : public ringtail::pets::serve::Classifier {
   public:
    PartlyBroken(std::size_t image_floats, std::size_t classes) : floats_(image_floats), classes_(classes) {}
    void classify(const float* images, std::size_t count, float* probabilities) override {
      for (std::size_t i = 0; i < count; ++i) {
        for (std::size_t c = 0; c < classes_; ++c) {
          probabilities[i * classes_ + c] = images[i * floats_] > 0
                                                 ? std::numeric_limits<float>::quiet_NaN()
                                                 : static_cast<float>(c + 1) / static_cast<float>(classes_ * (classes_ + 1) / 2);
        }
      }
    }

   private:
    std::size_t floats_;
    std::size_t classes_;
  };
  ServerOptions options;
  options.batching.max_batch = 2;
  options.batching.max_delay = std::chrono::seconds(60);  // the pass starts when both are queued
  auto running = start(options, /*load=*/false);
  const auto side = static_cast<std::size_t>(config_.input_size);
  running->server().set_classifier(std::make_shared<PartlyBroken>(3 * side * side, config_.classes.size()));
  const auto light = ringtail_test::encode(cv::Mat(60, 80, CV_8UC3, cv::Scalar(250, 250, 250)), ".png");
  const auto dark = ringtail_test::encode(cv::Mat(60, 80, CV_8UC3, cv::Scalar(5, 5, 5)), ".png");
  auto broken = std::async(std::launch::async, [&] { return running->post("/invocations?k=2", light, "image/png"); });
  auto fine = std::async(std::launch::async, [&] { return running->post("/invocations?k=2", dark, "image/png"); });
  const auto broken_answer = broken.get();
  const auto fine_answer = fine.get();
  expect_error(broken_answer, 500, "inference_failed");
  EXPECT_NE(broken_answer->body.find("not finite"), std::string::npos) << broken_answer->body;
  ASSERT_TRUE(fine_answer);
  ASSERT_EQ(fine_answer->status, 200) << fine_answer->body;
  const json top = body_json(fine_answer)["predictions"];
  const std::size_t classes = config_.classes.size();
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0]["class_index"], classes - 1);
  EXPECT_NEAR(top[0]["probability"].get<double>(), 2.0 / static_cast<double>(classes + 1), 1e-6);
  EXPECT_EQ(running->server().metrics().batches(), 1u);  // both shared one pass
  EXPECT_EQ(running->server().metrics().errors("inference_failed"), 1u);
}

TEST_F(ServerTest, MetricsInPrometheusTextFormat) {
  auto running = start();
  ASSERT_EQ(running->post("/invocations", jpeg(31), "image/jpeg")->status, 200);
  ASSERT_EQ(running->post("/invocations", jpeg(31), "text/csv")->status, 415);
  const auto result = running->get("/metrics");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200);
  EXPECT_EQ(result->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = result->body;
  for (const char* line : {
           "# TYPE ringtail_serve_requests_total counter",
           "ringtail_serve_requests_total{path=\"/invocations\",code=\"200\"} 1",
           "ringtail_serve_requests_total{path=\"/invocations\",code=\"415\"} 1",
           "ringtail_serve_errors_total{kind=\"unsupported_media_type\"} 1",
           "ringtail_serve_images_total 1",
           "# TYPE ringtail_serve_batch_size histogram",
           "ringtail_serve_batch_size_bucket{le=\"1\"} 1",
           "ringtail_serve_batch_size_bucket{le=\"+Inf\"} 1",
           "ringtail_serve_batch_size_count 1",
           "ringtail_serve_request_duration_seconds_count 2",
           "ringtail_serve_forward_duration_seconds_count 1",
           "ringtail_serve_model_ready 1",
           "ringtail_serve_queued_images 0",
       }) {
    EXPECT_NE(text.find(std::string(line) + "\n"), std::string::npos) << line << "\n" << text;
  }
}

TEST_F(ServerTest, ConcurrentClientsGetTheirOwnAnswersFromOneBatchedPass) {
  constexpr int kClients = 8;
  ServerOptions options;
  options.batching.max_batch = kClients;
  // The pass starts when all 8 are queued, long before this delay.
  options.batching.max_delay = std::chrono::seconds(60);
  auto running = start(options);
  std::vector<std::vector<std::uint8_t>> images;
  for (int i = 0; i < kClients; ++i) images.push_back(i % 2 ? png(40 + i) : jpeg(40 + i));
  std::vector<std::future<httplib::Result>> answers;
  for (int i = 0; i < kClients; ++i) {
    answers.push_back(std::async(std::launch::async, [&, i] {
      return running->post("/invocations?k=37", images[static_cast<std::size_t>(i)],
                           i % 2 ? "image/png" : "image/jpeg");
    }));
  }
  for (int i = 0; i < kClients; ++i) {
    const auto result = answers[static_cast<std::size_t>(i)].get();
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 200) << result->body;
    expect_matches(body_json(result)["predictions"], reference(images[static_cast<std::size_t>(i)]), 37);
  }
  const auto& metrics = running->server().metrics();
  EXPECT_EQ(metrics.batches(), 1u);
  EXPECT_EQ(metrics.batches_up_to(4), 0u);
}

TEST_F(ServerTest, StopAnswersTheRequestsInFlightThenRefusesConnections) {
  constexpr std::size_t kInFlight = 4;
  ServerOptions options;
  options.batching.max_batch = 64;
  options.batching.max_delay = std::chrono::seconds(60);  // only stop() can release them
  auto running = start(options);
  // Every image exists before any request reads one: a vector that grew
  // while a request thread read its element would hand it freed memory.
  std::vector<std::vector<std::uint8_t>> images;
  for (std::size_t i = 0; i < kInFlight; ++i) images.push_back(jpeg(60 + static_cast<int>(i)));
  std::vector<std::future<httplib::Result>> answers;
  for (std::size_t i = 0; i < kInFlight; ++i) {
    answers.push_back(std::async(std::launch::async, [&, i] {
      return running->post("/invocations", images[i], "image/jpeg");
    }));
  }
  ASSERT_TRUE(running->server().wait_until_queued(kInFlight, std::chrono::seconds(30)));
  running->server().stop();
  running->join();  // serve() returned: every accepted request was answered
  for (std::size_t i = 0; i < kInFlight; ++i) {
    const auto result = answers[i].get();
    ASSERT_TRUE(result) << httplib::to_string(result.error());
    ASSERT_EQ(result->status, 200) << result->body;
    expect_matches(body_json(result)["predictions"], reference(images[i]), 5);
  }
  EXPECT_EQ(running->server().metrics().batches(), 1u);
  const auto refused = running->get("/ping");
  EXPECT_FALSE(refused);
  EXPECT_EQ(refused.error(), httplib::Error::Connection);
}

TEST_F(ServerTest, PreprocessingComesFromModelJson) {
  // Another size and normalization than the defaults: served answers must
  // still equal the evaluation path that reads the same model.json.
  ringtail_test::TempDir other;
  config_ = ringtail_test::write_tiny_model(other.path(), 37, 48, 64);
  config_.mean = {0.3f, 0.5f, 0.7f};
  config_.std = {0.2f, 0.3f, 0.4f};
  ringtail::pets::serve::write_model_config(other.path(), config_);
  config_ = ringtail::pets::serve::load_model_config(other.path());
  ASSERT_FLOAT_EQ(config_.mean[2], 0.7f);
  auto running = std::make_unique<RunningServer>(config_, ServerOptions{});
  running->server().set_classifier(std::make_shared<TorchScriptClassifier>(other.path(), config_));
  // Evaluation reads files: the same bytes on disk, through read_image().
  const auto bytes = jpeg(77, 200, 90);
  const auto file = other.path() / "picture.jpg";
  std::ofstream(file, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  const cv::Mat image = ringtail::pets::read_image(file.string());
  std::vector<float> chw(3 * 48 * 48);
  ringtail::pets::eval_transform(image, config_.eval_transform(), chw.data());
  const auto expected = ringtail_test::reference_probabilities(other.path(), chw);
  const auto result = running->post("/invocations?k=37", bytes, "image/jpeg");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  expect_matches(body_json(result)["predictions"], expected, 37);
}

}  // namespace
