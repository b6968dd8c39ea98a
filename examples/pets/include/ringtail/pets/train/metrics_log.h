#pragma once
// `--metrics FILE`: one JSON object per line, appended. Every rank may write
// (the records carry "rank"); "{rank}" in the file name gives each rank its
// own file, otherwise the ranks append to one file, each line in a single
// write() so lines never interleave.

#include <filesystem>
#include <string>

#include "ringtail/pets/train/json_object.h"

namespace ringtail::pets::train {

class MetricsLog {
 public:
  // Opens (creating) `file` for appending; an empty path disables the log.
  // Throws ringtail::Error naming the file if it cannot be opened.
  MetricsLog(const std::filesystem::path& file, int rank);
  ~MetricsLog();
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;

  bool enabled() const { return fd_ >= 0; }
  const std::filesystem::path& path() const { return path_; }
  // Appends `record` with "event", "rank" and "time" (Unix seconds) first.
  void write(const std::string& event, const JsonObject& record);

 private:
  std::filesystem::path path_;
  int rank_ = 0;
  int fd_ = -1;
};

// `pattern` with every "{rank}" replaced by the rank.
std::filesystem::path metrics_path_for_rank(const std::filesystem::path& pattern, int rank);

}  // namespace ringtail::pets::train
