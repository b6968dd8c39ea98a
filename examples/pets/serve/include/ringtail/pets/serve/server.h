#pragma once
// The HTTP inference endpoint, on the SageMaker container contract:
//
//   GET  /ping         200 once a classifier is installed, 503 before (and while stopping)
//   POST /invocations  image or JSON list in, top-k JSON out (request.h)
//   GET  /metrics      Prometheus text (metrics.h)
//
// Any other path is 404, another method on these paths 405, a body over
// max_body_bytes 413; every error answer is JSON (request.h's error_body).
// HTTP comes from cpp-httplib; this class only routes and keeps the state.
//
// Lifecycle: bind() (port 0 picks a free one), serve() on one thread (blocks),
// set_classifier() from any thread once the model is loaded, stop() from any
// thread: the listening socket closes, requests already received are answered
// (queued images run at once, without waiting for max_delay), then serve()
// returns.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "ringtail/pets/serve/batcher.h"
#include "ringtail/pets/serve/classifier.h"
#include "ringtail/pets/serve/metrics.h"
#include "ringtail/pets/serve/model_config.h"
#include "ringtail/pets/serve/request.h"

namespace ringtail::pets::serve {

struct ServerOptions {
  std::string host = "0.0.0.0";
  int port = 8080;                               // 0: any free port (see bind())
  std::size_t max_body_bytes = 6 * 1024 * 1024;  // SageMaker's real-time payload limit
  std::size_t http_threads = 32;                 // connections served at once
  int default_k = 5;
  BatcherOptions batching;
  RequestLimits limits;
};

class InferenceServer {
 public:
  InferenceServer(ModelConfig config, ServerOptions options);
  ~InferenceServer();
  InferenceServer(const InferenceServer&) = delete;
  InferenceServer& operator=(const InferenceServer&) = delete;

  // Binds the listening socket; returns the port. Throws ringtail::Error.
  int bind();
  // Accepts and answers requests until stop(); returns once every request
  // already received has been answered.
  void serve();
  void set_classifier(std::shared_ptr<Classifier> classifier);
  // The same, gathering at most `batch_limit` images per pass (at most the
  // options' max_batch): what batch calibration chose (batch_calibration.h).
  void set_classifier(std::shared_ptr<Classifier> classifier, std::size_t batch_limit);
  void stop();

  bool ready() const;
  const ServeMetrics& metrics() const;
  // Tests: blocks until `count` images wait in the batching queue.
  bool wait_until_queued(std::size_t count, std::chrono::milliseconds timeout) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ringtail::pets::serve
