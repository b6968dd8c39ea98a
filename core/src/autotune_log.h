#pragma once
// The autotuner's trials as CSV (RINGTAIL_AUTOTUNE_LOG; rank 0 writes it):
//
//   trial,searching,fusion_threshold_bytes,cycle_time_ms,allreduce,bytes,seconds,bytes_per_second
//   1,fusion_threshold,67108864,1,native,25165824,0.0132,1906501818
//   ...
//   chosen,cycle_time,16777216,0.5,ring,50331648,0.0251,2005253984
//
// One row per sample (trial): the parameter being raced, the candidate that
// ran, the allreduce bytes of the sample, its seconds (the slowest rank's) and
// the score. The last row, "chosen", is the choice with the totals of its
// samples in the last race it ran in. Every row is flushed as it is written
// (about twenty rows in a run), so a job that dies leaves what was tried.

#include <cstdio>
#include <string>

#include "autotuner.h"

namespace ringtail::core::detail {

class AutotuneLog {
 public:
  // Opens `path` and writes the header (Error(invalid_argument) if it cannot).
  explicit AutotuneLog(const std::string& path);
  ~AutotuneLog();
  AutotuneLog(const AutotuneLog&) = delete;
  AutotuneLog& operator=(const AutotuneLog&) = delete;

  void trial(const Autotuner::Trial& t);
  void chosen(const Autotuner::Trial& t);

 private:
  void row(const std::string& first, const Autotuner::Trial& t);
  std::FILE* file_;
};

}  // namespace ringtail::core::detail
