#pragma once
// The timeline: a Chrome trace (JSON array format; open it in Perfetto or
// chrome://tracing) with one track per tensor and one span per phase:
//   NEGOTIATE   submitted -> every rank has it
//   QUEUE       ready -> its (fused) collective starts
//   PACK        copy into the fusion buffer (and prescale)
//   <backend>.<algorithm>.<collective>, e.g. mpi.native.allreduce
//   UNPACK      copy out of the fusion buffer (and postscale)
// Rank 0 records when RINGTAIL_TIMELINE names a file. The background thread
// only appends spans to a vector (one lock per round); a writer thread of its
// own formats and writes them, so file I/O never delays a collective.

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace ringtail::core::detail {

class Timeline {
 public:
  using Clock = std::chrono::steady_clock;

  struct Span {
    std::string tensor;
    std::string phase;
    Clock::time_point begin;
    Clock::time_point end;
  };

  // Opens `path` (Error(invalid_argument) if it cannot) and starts the writer.
  Timeline(const std::string& path, Clock::time_point origin);
  // Writes what is left, closes the JSON array and the file. Never throws.
  ~Timeline();
  Timeline(const Timeline&) = delete;
  Timeline& operator=(const Timeline&) = delete;

  // Hands spans to the writer thread.
  void submit(std::vector<Span>&& spans);

 private:
  void write_loop();
  void write(const std::vector<Span>& spans);
  int track_of(const std::string& tensor);

  Clock::time_point origin_;
  std::FILE* file_;
  bool first_event_ = true;
  std::unordered_map<std::string, int> tracks_;  // writer thread only

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Span> pending_;
  bool closing_ = false;
  std::thread writer_;
};

}  // namespace ringtail::core::detail
