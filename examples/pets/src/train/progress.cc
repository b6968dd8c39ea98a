#include "ringtail/pets/train/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>

#include "ringtail/collectives/error.h"

namespace ringtail::pets::train {

namespace {

std::string proc_text(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

bool output_is_terminal(int fd) {
  if (!::isatty(fd)) return false;
  // Open MPI runs local ranks on a pseudo-terminal of its own, whatever
  // mpirun's output is (a log file, a pipe), so under mpirun (or its daemon on
  // other hosts) it is mpirun's standard output that decides.
  static const std::set<std::string> launchers = {"mpirun", "mpiexec", "orterun", "orted", "prterun", "prted"};
  const std::string parent = "/proc/" + std::to_string(::getppid());
  if (launchers.count(proc_text(parent + "/comm")) == 0) return true;
  char target[512];
  const ssize_t n = ::readlink((parent + "/fd/1").c_str(), target, sizeof target - 1);
  if (n <= 0) return false;
  const std::string path(target, static_cast<std::size_t>(n));
  return path.rfind("/dev/pts/", 0) == 0 || path.rfind("/dev/tty", 0) == 0;
}

ProgressMode resolve_progress_mode(const std::string& name, int rank, int fd) {
  if (rank != 0 || name == "none") return ProgressMode::none;
  if (name == "bar") return ProgressMode::bar;
  if (name == "lines") return ProgressMode::lines;
  if (name == "auto") return output_is_terminal(fd) ? ProgressMode::bar : ProgressMode::lines;
  throw Error(ErrorKind::invalid_argument, "--progress must be auto, bar, lines or none, not '" + name + "'");
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto total = static_cast<long long>(std::llround(seconds));
  char text[32];
  if (total >= 3600) {
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", total / 3600, total / 60 % 60, total % 60);
  } else {
    std::snprintf(text, sizeof text, "%lld:%02lld", total / 60, total % 60);
  }
  return text;
}

Progress::Progress(ProgressMode mode, std::ostream& out, int epochs, std::int64_t total_steps)
    : mode_(mode), out_(out), epochs_(epochs), total_steps_(total_steps) {}

void Progress::start_epoch(int epoch, std::int64_t steps) {
  steps_done_ += current_step_;
  epoch_ = epoch;
  epoch_steps_ = steps;
  current_step_ = 0;
}

void Progress::update(std::int64_t step, double loss, double images_per_second) {
  current_step_ = step;
  if (mode_ != ProgressMode::bar) return;
  const Clock::time_point now = Clock::now();
  if (step < epoch_steps_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  draw(step, loss, images_per_second);
}

void Progress::draw(std::int64_t step, double loss, double images_per_second) {
  const double elapsed = std::chrono::duration<double>(Clock::now() - started_).count();
  const std::int64_t done = steps_done_ + step;
  const double eta = done > 0 ? elapsed / static_cast<double>(done) *
                                    static_cast<double>(total_steps_ - done)
                              : NAN;
  constexpr int kWidth = 24;
  const int filled = epoch_steps_ > 0 ? static_cast<int>(kWidth * step / epoch_steps_) : 0;
  const std::string bar = std::string(static_cast<std::size_t>(filled), '#') +
                          std::string(static_cast<std::size_t>(kWidth - filled), '.');
  char text[256];
  std::snprintf(text, sizeof text, "\repoch %d/%d [%s] %lld/%lld loss %.4f %.1f img/s ETA %s\033[K",
                epoch_, epochs_, bar.c_str(), static_cast<long long>(step),
                static_cast<long long>(epoch_steps_), loss, images_per_second, format_duration(eta).c_str());
  out_ << text << std::flush;
  bar_visible_ = true;
}

void Progress::line(const std::string& text) {
  if (mode_ == ProgressMode::none) return;
  if (bar_visible_) out_ << "\r\033[K";
  bar_visible_ = false;
  out_ << text << "\n" << std::flush;
}

}  // namespace ringtail::pets::train
