#include "ringtail/pets/serve/metrics.h"

#include <algorithm>
#include <cmath>
#include <charconv>

namespace ringtail::pets::serve {
namespace {

// Shortest text that reads back as the same double ("0.0025", not
// "0.0025000000000000001").
std::string number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::isnan(value)) return "NaN";
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

std::string route_label(std::string_view path) {
  for (const char* route : {"/ping", "/invocations", "/metrics"}) {
    if (path == route) return route;
  }
  return "other";
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1, 0) {
  std::sort(bounds_.begin(), bounds_.end());
}

void Histogram::observe(double value) {
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  ++counts_[bucket];
  sum_ += value;
  ++count_;
}

std::uint64_t Histogram::cumulative(double bound) const {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < bounds_.size() && bounds_[i] <= bound; ++i) total += counts_[i];
  return total;
}

void Histogram::render(const std::string& name, std::string& out) const {
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i];
    const double le = i < bounds_.size() ? bounds_[i] : INFINITY;
    out += name + "_bucket{le=\"" + number(le) + "\"} " + std::to_string(running) + "\n";
  }
  out += name + "_sum " + number(sum_) + "\n";
  out += name + "_count " + std::to_string(count_) + "\n";
}

ServeMetrics::ServeMetrics()
    : request_seconds_({0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}),
      batch_size_({1, 2, 4, 8, 16, 32, 64, 128}),
      forward_seconds_({0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}) {}

void ServeMetrics::count_request(std::string_view path, int status) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{route_label(path), status}];
}

void ServeMetrics::count_error(std::string_view kind) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = errors_.find(kind);
  if (it != errors_.end()) {
    ++it->second;
  } else {
    errors_.emplace(std::string(kind), 1);
  }
}

void ServeMetrics::observe_request(double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  request_seconds_.observe(seconds);
}

void ServeMetrics::observe_batch(std::size_t images, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  images_ += images;
  batch_size_.observe(static_cast<double>(images));
  forward_seconds_.observe(seconds);
}

void ServeMetrics::set_model_ready(bool ready) {
  std::lock_guard<std::mutex> lock(mutex_);
  model_ready_ = ready;
}

std::string ServeMetrics::render(std::size_t queued_images) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  header(out, "ringtail_serve_requests_total", "counter", "HTTP requests answered, by route and status code.");
  for (const auto& [key, count] : requests_) {
    out += "ringtail_serve_requests_total{path=\"" + key.first + "\",code=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(count) + "\n";
  }
  header(out, "ringtail_serve_errors_total", "counter", "Requests answered with an error, by kind.");
  for (const auto& [kind, count] : errors_) {
    out += "ringtail_serve_errors_total{kind=\"" + kind + "\"} " + std::to_string(count) + "\n";
  }
  header(out, "ringtail_serve_images_total", "counter", "Images classified.");
  out += "ringtail_serve_images_total " + std::to_string(images_) + "\n";
  header(out, "ringtail_serve_request_duration_seconds", "histogram",
         "Latency of POST /invocations from the handler's start to the answer.");
  request_seconds_.render("ringtail_serve_request_duration_seconds", out);
  header(out, "ringtail_serve_batch_size", "histogram", "Images per forward pass.");
  batch_size_.render("ringtail_serve_batch_size", out);
  header(out, "ringtail_serve_forward_duration_seconds", "histogram", "Duration of one forward pass.");
  forward_seconds_.render("ringtail_serve_forward_duration_seconds", out);
  header(out, "ringtail_serve_model_ready", "gauge", "1 once the model is loaded and /ping answers 200.");
  out += std::string("ringtail_serve_model_ready ") + (model_ready_ ? "1" : "0") + "\n";
  header(out, "ringtail_serve_queued_images", "gauge", "Images waiting for a forward pass.");
  out += "ringtail_serve_queued_images " + std::to_string(queued_images) + "\n";
  return out;
}

std::uint64_t ServeMetrics::requests(std::string_view path, int status) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = requests_.find({route_label(path), status});
  return it == requests_.end() ? 0 : it->second;
}

std::uint64_t ServeMetrics::errors(std::string_view kind) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = errors_.find(kind);
  return it == errors_.end() ? 0 : it->second;
}

std::uint64_t ServeMetrics::batches() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return batch_size_.count();
}

std::uint64_t ServeMetrics::batches_up_to(double images) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return batch_size_.cumulative(images);
}

}  // namespace ringtail::pets::serve
