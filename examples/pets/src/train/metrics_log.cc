#include "ringtail/pets/train/metrics_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "ringtail/collectives/error.h"

namespace ringtail::pets::train {

std::filesystem::path metrics_path_for_rank(const std::filesystem::path& pattern, int rank) {
  std::string text = pattern.string();
  const std::string placeholder = "{rank}";
  for (std::size_t at = text.find(placeholder); at != std::string::npos;
       at = text.find(placeholder, at)) {
    text.replace(at, placeholder.size(), std::to_string(rank));
  }
  return text;
}

MetricsLog::MetricsLog(const std::filesystem::path& file, int rank)
    : path_(metrics_path_for_rank(file, rank)), rank_(rank) {
  if (path_.empty()) return;
  if (path_.has_parent_path()) {
    std::error_code ignored;
    std::filesystem::create_directories(path_.parent_path(), ignored);
  }
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw Error(ErrorKind::invalid_argument,
                "--metrics " + path_.string() + ": cannot open for appending (" + std::strerror(errno) + ")");
  }
}

MetricsLog::~MetricsLog() {
  if (fd_ >= 0) ::close(fd_);
}

void MetricsLog::write(const std::string& event, const JsonObject& record) {
  if (fd_ < 0) return;
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  // {"event": ..., "rank": ..., "time": ..., <record's fields>}
  const std::string fields = record.str();
  std::string line = "{" + json_string("event") + ": " + json_string(event) + ", " + json_string("rank") +
                     ": " + std::to_string(rank_) + ", " + json_string("time") + ": " + json_number(now);
  line += fields.size() > 2 ? ", " + fields.substr(1) : std::string("}");
  line += "\n";
  // O_APPEND moves to the end and writes in one step, so the lines of several
  // ranks appending to one file do not overwrite or split each other.
  const ssize_t n = ::write(fd_, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size())) {
    throw Error(ErrorKind::invalid_argument,
                "--metrics " + path_.string() + ": write failed (" + std::strerror(errno) + ")");
  }
}

}  // namespace ringtail::pets::train
