#include <algorithm>
#include "ringtail/pets/serve/server.h"

#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <httplib.h>

#include "ringtail/collectives/error.h"

namespace ringtail::pets::serve {
namespace {

using Clock = std::chrono::steady_clock;

const char* kJson = "application/json";
const char* kCustomAttributes = "X-Amzn-SageMaker-Custom-Attributes";

// Kinds of the answers cpp-httplib writes itself (no route, body too large,
// malformed request), for the error body and the metrics label.
const char* library_error_kind(int status) {
  switch (status) {
    case 400: return "bad_request";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 413: return "payload_too_large";
    case 414: return "uri_too_long";
    case 416: return "bad_range";
    default: return status >= 500 ? "internal" : "bad_request";
  }
}

std::string library_error_message(int status, const httplib::Request& req) {
  switch (status) {
    case 404:
      return "no route " + req.path.substr(0, 128) +
             "; the endpoint serves GET /ping, POST /invocations and GET /metrics";
    case 413: return "the request body is larger than --max-body-mb allows";
    case 400:
      return "malformed request: bad request line or headers, or a " + req.method +
             " body without Content-Length";
    default: return "the request was refused (HTTP " + std::to_string(status) + ")";
  }
}

}  // namespace

struct InferenceServer::Impl {
  enum class ServeState { idle, entering, done };

  ModelConfig config;
  ServerOptions options;
  EvalTransform transform;
  std::size_t image_floats = 0;
  httplib::Server http;
  ServeMetrics metrics;

  mutable std::mutex mutex;
  std::shared_ptr<DynamicBatcher> batcher;  // set once the model is loaded
  bool stop_requested = false;
  bool bound = false;
  ServeState serve_state = ServeState::idle;

  Impl(ModelConfig c, ServerOptions o)
      : config(std::move(c)), options(std::move(o)), transform(config.eval_transform()) {
    const auto side = static_cast<std::size_t>(config.input_size);
    image_floats = 3 * side * side;
    if (options.http_threads == 0) {
      throw Error(ErrorKind::invalid_argument, "the server needs at least one HTTP thread");
    }
    if (options.max_body_bytes == 0) {
      throw Error(ErrorKind::invalid_argument, "the maximum body size must be positive");
    }
    if (options.default_k < 1) {
      throw Error(ErrorKind::invalid_argument, "the default k must be at least 1");
    }
    if (options.batching.max_batch == 0) {
      throw Error(ErrorKind::invalid_argument, "--max-batch must be at least 1");
    }
    routes();
  }

  std::shared_ptr<DynamicBatcher> current_batcher() const {
    std::lock_guard<std::mutex> lock(mutex);
    return batcher;
  }

  // Every answer goes through reply() or reply_error(), which count it before
  // it is written: a client that reads /metrics after its answer sees it.
  void reply(const httplib::Request& req, httplib::Response& res, std::string body,
             const char* content_type) {
    res.status = 200;
    res.set_content(std::move(body), content_type);
    metrics.count_request(req.path, 200);
  }

  void reply_error(const httplib::Request& req, httplib::Response& res, int status,
                   std::string_view kind, std::string_view message) {
    res.status = status;
    res.set_content(error_body(status, kind, message), kJson);
    metrics.count_request(req.path, status);
    metrics.count_error(kind);
  }

  void routes() {
    const size_t threads = options.http_threads;
    http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    http.set_payload_max_length(options.max_body_bytes);
    http.set_keep_alive_max_count(1000);
    http.set_tcp_nodelay(true);

    http.Get("/ping", [this](const httplib::Request& req, httplib::Response& res) { ping(req, res); });
    // With a content reader, so that the body's size is bounded as it arrives
    // (read_body), whatever its framing or encoding.
    http.Post("/invocations", [this](const httplib::Request& req, httplib::Response& res,
                                     const httplib::ContentReader& content) {
      invocations(req, res, content);
    });
    http.Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
      const auto model = current_batcher();
      reply(req, res, metrics.render(model ? model->queued() : 0),
            "text/plain; version=0.0.4; charset=utf-8");
    });
    // Every other method on a known path is 405 with the methods it has.
    const auto not_allowed = [this](const char* allow) {
      return [this, allow](const httplib::Request& req, httplib::Response& res) {
        res.set_header("Allow", allow);
        reply_error(req, res, 405, "method_not_allowed",
                    req.method + " is not allowed on " + req.path + "; use " + allow);
      };
    };
    for (const char* path : {"/ping", "/metrics"}) {
      http.Post(path, not_allowed("GET, HEAD"));
      http.Put(path, not_allowed("GET, HEAD"));
      http.Patch(path, not_allowed("GET, HEAD"));
      http.Delete(path, not_allowed("GET, HEAD"));
      http.Options(path, not_allowed("GET, HEAD"));
    }
    http.Get("/invocations", not_allowed("POST"));
    http.Put("/invocations", not_allowed("POST"));
    http.Patch("/invocations", not_allowed("POST"));
    http.Delete("/invocations", not_allowed("POST"));
    http.Options("/invocations", not_allowed("POST"));

    // Answers cpp-httplib produced without a handler (404, 413, 400) get a
    // JSON body too; answers from the handlers above already have one.
    http.set_error_handler(httplib::Server::HandlerWithResponse(
        [this](const httplib::Request& req, httplib::Response& res) {
          if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
          // A request without Content-Length or chunked encoding has an empty
          // body (RFC 9112, 6.3); cpp-httplib refuses such a POST with a bare
          // 400, which for /invocations is the empty-body error.
          if (res.status == 400 && req.method == "POST" && req.path == "/invocations" &&
              !req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) {
            reply_error(req, res, 400, "empty_body",
                        "the request has no body (no Content-Length); send an image or a JSON list");
            return httplib::Server::HandlerResponse::Handled;
          }
          reply_error(req, res, res.status, library_error_kind(res.status),
                      library_error_message(res.status, req));
          return httplib::Server::HandlerResponse::Handled;
        }));
    http.set_exception_handler(
        [this](const httplib::Request& req, httplib::Response& res, std::exception_ptr error) {
          std::string message = "internal error";
          try {
            std::rethrow_exception(error);
          } catch (const std::exception& e) {
            message += std::string(": ") + e.what();
          } catch (...) {
          }
          reply_error(req, res, 500, "internal", message);
        });
  }

  void ping(const httplib::Request& req, httplib::Response& res) {
    if (current_batcher() == nullptr) {
      reply_error(req, res, 503, "not_ready", "the model is still loading");
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (stop_requested) {
        reply_error(req, res, 503, "shutting_down", "the server is shutting down");
        return;
      }
    }
    reply(req, res, "{\"status\":\"ready\"}", kJson);
  }

  void invocations(const httplib::Request& req, httplib::Response& res,
                   const httplib::ContentReader& content) {
    const std::optional<std::string> body = read_body(req, res, content);
    if (!body) return;
    const auto start = Clock::now();
    answer_invocation(req, res, *body);
    metrics.observe_request(std::chrono::duration<double>(Clock::now() - start).count());
  }

  // cpp-httplib 0.11 enforces its payload limit on Content-Length alone: a
  // chunked body, or a gzip-encoded one once inflated, would grow into
  // req.body without bound. Here the limit applies to the bytes as they come
  // (after inflating); the rest of a body over it is read and dropped, as
  // cpp-httplib drops one whose Content-Length is over it, so the client gets
  // its answer and the connection stays usable.
  std::optional<std::string> read_body(const httplib::Request& req, httplib::Response& res,
                                       const httplib::ContentReader& content) {
    if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) {
      // No body (RFC 9112, 6.3), as `curl -X POST` sends it: answer now.
      // cpp-httplib would wait for body bytes until its read timeout (5 s).
      reply_error(req, res, 400, "empty_body",
                  "the request has no body (no Content-Length); send an image or a JSON list");
      return std::nullopt;
    }
    std::string body;
    bool too_large = false;
    const bool complete = content([&](const char* data, std::size_t size) {
      if (too_large || size > options.max_body_bytes - body.size()) {
        too_large = true;
        return true;
      }
      body.append(data, size);
      return true;
    });
    if (complete && !too_large) return body;
    if (too_large || res.status == 413) {
      reply_error(req, res, 413, "payload_too_large",
                  "the request body is larger than --max-body-mb allows (" +
                      std::to_string(options.max_body_bytes) + " bytes)");
    } else {
      reply_error(req, res, 400, "bad_request",
                  "the request body could not be read (malformed chunked or compressed data, "
                  "or the client stopped sending)");
    }
    if (!complete) res.set_header("Connection", "close");  // unread bytes may remain
    return std::nullopt;
  }

  void answer_invocation(const httplib::Request& req, httplib::Response& res,
                         const std::string& body) {
    const std::shared_ptr<DynamicBatcher> model = current_batcher();
    if (model == nullptr) {
      reply_error(req, res, 503, "not_ready", "the model is still loading; retry when /ping answers 200");
      return;
    }
    try {
      const std::string content_type = req.get_header_value("Content-Type");
      classify_content_type(content_type);  // 415 before anything else
      // ?k= on a direct call; through SageMaker, CustomAttributes "k=...".
      std::optional<std::string> k_text;
      if (req.has_param("k")) {
        k_text = req.get_param_value("k");
      } else {
        k_text = custom_attribute(req.get_header_value(kCustomAttributes), "k");
      }
      const int k = parse_top_k(k_text ? &*k_text : nullptr, options.default_k,
                                static_cast<int>(config.classes.size()));
      Invocation invocation = parse_invocation(content_type, body, transform, options.limits);
      std::vector<std::future<std::vector<float>>> pending;
      pending.reserve(invocation.images.size());
      for (auto& image : invocation.images) pending.push_back(model->submit(std::move(image)));
      std::vector<std::vector<float>> probabilities;
      probabilities.reserve(pending.size());
      for (auto& result : pending) probabilities.push_back(result.get());
      reply(req, res, predictions_body(invocation, probabilities, config.classes, k), kJson);
    } catch (const RequestError& e) {
      reply_error(req, res, e.status(), e.kind(), e.what());
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::shut_down) {
        reply_error(req, res, 503, "shutting_down", e.what());
      } else {
        reply_error(req, res, 500, "inference_failed", e.what());
      }
    } catch (const std::exception& e) {
      reply_error(req, res, 500, "inference_failed", e.what());
    }
  }
};

InferenceServer::InferenceServer(ModelConfig config, ServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(options))) {}

InferenceServer::~InferenceServer() {
  stop();
  std::shared_ptr<DynamicBatcher> batcher;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    batcher = impl_->batcher;
  }
  if (batcher) batcher->stop();
}

int InferenceServer::bind() {
  Impl& s = *impl_;
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.bound) throw Error(ErrorKind::invalid_argument, "the server is already bound");
  int port = s.options.port;
  if (port < 0 || port > 65535) {
    throw Error(ErrorKind::invalid_argument, "port " + std::to_string(port) + " is not 0..65535");
  }
  if (port == 0) {
    port = s.http.bind_to_any_port(s.options.host);
    if (port < 0) port = -1;
  } else if (!s.http.bind_to_port(s.options.host, port)) {
    port = -1;
  }
  if (port < 0) {
    throw Error(ErrorKind::invalid_argument,
                "cannot listen on " + s.options.host + ":" + std::to_string(s.options.port) +
                    " (address in use, or not an address of this machine)");
  }
  s.bound = true;
  return port;
}

void InferenceServer::serve() {
  Impl& s = *impl_;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    if (!s.bound) throw Error(ErrorKind::invalid_argument, "serve() before bind()");
    if (s.stop_requested) {
      s.serve_state = Impl::ServeState::done;
      return;
    }
    s.serve_state = Impl::ServeState::entering;
  }
  s.http.listen_after_bind();  // returns after its worker threads finished their requests
  std::shared_ptr<DynamicBatcher> batcher;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.serve_state = Impl::ServeState::done;
    batcher = s.batcher;
  }
  if (batcher) batcher->stop();
}

void InferenceServer::set_classifier(std::shared_ptr<Classifier> classifier) {
  set_classifier(std::move(classifier), impl_->options.batching.max_batch);
}

void InferenceServer::set_classifier(std::shared_ptr<Classifier> classifier, std::size_t batch_limit) {
  Impl& s = *impl_;
  if (!classifier) throw Error(ErrorKind::invalid_argument, "set_classifier: null classifier");
  if (batch_limit == 0) throw Error(ErrorKind::invalid_argument, "set_classifier: a batch limit of 0");
  BatcherOptions batching = s.options.batching;
  batching.max_batch = std::min(batching.max_batch, batch_limit);
  auto run = [classifier](const float* images, std::size_t count, float* probabilities) {
    classifier->classify(images, count, probabilities);
  };
  auto observe = [&s](std::size_t count, std::chrono::nanoseconds duration) {
    s.metrics.observe_batch(count, std::chrono::duration<double>(duration).count());
  };
  auto batcher = std::make_shared<DynamicBatcher>(batching, s.image_floats,
                                                  s.config.classes.size(), run, observe);
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.batcher) throw Error(ErrorKind::invalid_argument, "set_classifier: already set");
    if (s.stop_requested) batcher->drain();
    s.batcher = std::move(batcher);
  }
  s.metrics.set_model_ready(true);
}

void InferenceServer::stop() {
  Impl& s = *impl_;
  std::shared_ptr<DynamicBatcher> batcher;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.stop_requested) return;
    s.stop_requested = true;
    batcher = s.batcher;
  }
  // Queued images run at once instead of waiting for company.
  if (batcher) batcher->drain();
  // serve() may sit between its check of stop_requested and the start of
  // httplib's accept loop, where Server::stop() is a no-op; that window is a
  // few instructions, so yield until the loop runs (then stop lands) or
  // serve() has returned.
  while (true) {
    if (s.http.is_running()) {
      s.http.stop();
      return;
    }
    {
      std::lock_guard<std::mutex> lock(s.mutex);
      if (s.serve_state != Impl::ServeState::entering) return;
    }
    std::this_thread::yield();
  }
}

bool InferenceServer::ready() const { return impl_->current_batcher() != nullptr; }

const ServeMetrics& InferenceServer::metrics() const { return impl_->metrics; }

bool InferenceServer::wait_until_queued(std::size_t count, std::chrono::milliseconds timeout) const {
  const auto batcher = impl_->current_batcher();
  return batcher != nullptr && batcher->wait_until_queued(count, timeout);
}

}  // namespace ringtail::pets::serve
