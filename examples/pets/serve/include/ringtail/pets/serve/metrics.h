#pragma once
// The server's counters and histograms, rendered in the Prometheus text
// exposition format (version 0.0.4) for GET /metrics:
//
//   ringtail_serve_requests_total{path,code}       every HTTP answer
//   ringtail_serve_errors_total{kind}              4xx/5xx answers by kind (request.h's kinds)
//   ringtail_serve_images_total                    images classified
//   ringtail_serve_request_duration_seconds        /invocations latency, handler start to answer
//   ringtail_serve_batch_size                      images per forward pass
//   ringtail_serve_forward_duration_seconds        forward pass time
//   ringtail_serve_model_ready                     1 once the model is loaded
//   ringtail_serve_queued_images                   images waiting for a forward pass
//
// One mutex guards everything: each update is a few additions, far cheaper
// than the forward pass it accounts for.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringtail::pets::serve {

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double value);
  // Appends the _bucket, _sum and _count lines of metric `name`.
  void render(const std::string& name, std::string& out) const;
  std::uint64_t count() const { return count_; }
  // Observations <= upper bound `bound` (which must be one of the bounds).
  std::uint64_t cumulative(double bound) const;

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;  // per bucket, not cumulative; last is +Inf
  double sum_ = 0.0;
  std::uint64_t count_ = 0;
};

class ServeMetrics {
 public:
  ServeMetrics();

  // `path` is folded to the server's routes or "other", so a scan of random
  // paths cannot grow the label set.
  void count_request(std::string_view path, int status);
  void count_error(std::string_view kind);
  void observe_request(double seconds);
  void observe_batch(std::size_t images, double seconds);
  void set_model_ready(bool ready);

  std::string render(std::size_t queued_images = 0) const;

  // Snapshots for tests.
  std::uint64_t requests(std::string_view path, int status) const;
  std::uint64_t errors(std::string_view kind) const;
  std::uint64_t batches() const;
  std::uint64_t batches_up_to(double images) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;
  std::map<std::string, std::uint64_t, std::less<>> errors_;
  std::uint64_t images_ = 0;
  Histogram request_seconds_;
  Histogram batch_size_;
  Histogram forward_seconds_;
  bool model_ready_ = false;
};

}  // namespace ringtail::pets::serve
