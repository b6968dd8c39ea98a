#include "autotune_log.h"

#include <cerrno>
#include <cstring>

#include "ringtail/collectives/error.h"

namespace ringtail::core::detail {

AutotuneLog::AutotuneLog(const std::string& path) : file_(std::fopen(path.c_str(), "w")) {
  if (!file_) {
    throw Error(ErrorKind::invalid_argument, "RINGTAIL_AUTOTUNE_LOG='" + path +
                                                 "' cannot be opened for writing: " +
                                                 std::strerror(errno));
  }
  std::fputs("trial,searching,fusion_threshold_bytes,cycle_time_ms,allreduce,bytes,seconds,bytes_per_second\n",
             file_);
  std::fflush(file_);
}

AutotuneLog::~AutotuneLog() { std::fclose(file_); }

void AutotuneLog::trial(const Autotuner::Trial& t) { row(std::to_string(t.number), t); }

void AutotuneLog::chosen(const Autotuner::Trial& t) { row("chosen", t); }

void AutotuneLog::row(const std::string& first, const Autotuner::Trial& t) {
  const TuningCandidate& c = t.candidate;
  std::fprintf(file_, "%s,%s,%zu,%g,%s,%.0f,%.6f,%.0f\n", first.c_str(), parameter_name(t.searching),
               c.fusion_threshold_bytes, static_cast<double>(c.cycle_time.count()) / 1000.0,
               to_string(c.allreduce), t.bytes, t.seconds, t.score);
  std::fflush(file_);
}

}  // namespace ringtail::core::detail
