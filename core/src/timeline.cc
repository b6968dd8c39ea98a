#include "timeline.h"

#include <cerrno>
#include <cstring>

#include "ringtail/collectives/error.h"
#include "ringtail/collectives/log.h"

namespace ringtail::core::detail {
namespace {

std::string json_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

long long micros(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

}  // namespace

Timeline::Timeline(const std::string& path, Clock::time_point origin)
    : origin_(origin), file_(std::fopen(path.c_str(), "w")) {
  if (!file_) {
    throw Error(ErrorKind::invalid_argument, "RINGTAIL_TIMELINE='" + path +
                                                 "' cannot be opened for writing: " +
                                                 std::strerror(errno));
  }
  std::fputs("[\n", file_);
  writer_ = std::thread([this] { write_loop(); });
}

Timeline::~Timeline() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();
  std::fputs("\n]\n", file_);
  std::fclose(file_);
}

void Timeline::submit(std::vector<Span>&& spans) {
  if (spans.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (pending_.empty()) {
      pending_ = std::move(spans);
    } else {
      pending_.insert(pending_.end(), std::make_move_iterator(spans.begin()),
                      std::make_move_iterator(spans.end()));
    }
  }
  wake_.notify_one();
}

void Timeline::write_loop() {
  std::vector<Span> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return closing_ || !pending_.empty(); });
      if (pending_.empty() && closing_) return;
      batch.swap(pending_);
    }
    try {
      write(batch);
    } catch (const std::exception& e) {
      log::error("timeline: ", e.what());
    }
    batch.clear();
  }
}

int Timeline::track_of(const std::string& tensor) {
  auto [it, inserted] = tracks_.try_emplace(tensor, static_cast<int>(tracks_.size()) + 1);
  if (inserted) {
    std::fprintf(file_,
                 "%s{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 0, \"tid\": %d, "
                 "\"args\": {\"name\": \"%s\"}}",
                 first_event_ ? "" : ",\n", it->second, json_escape(tensor).c_str());
    first_event_ = false;
  }
  return it->second;
}

void Timeline::write(const std::vector<Span>& spans) {
  for (const Span& s : spans) {
    const int tid = track_of(s.tensor);
    std::fprintf(file_,
                 ",\n{\"name\": \"%s\", \"ph\": \"X\", \"pid\": 0, \"tid\": %d, \"ts\": %lld, "
                 "\"dur\": %lld}",
                 json_escape(s.phase).c_str(), tid, micros(s.begin - origin_),
                 micros(s.end - s.begin));
  }
  // A job that dies still leaves everything written so far.
  std::fflush(file_);
}

}  // namespace ringtail::core::detail
