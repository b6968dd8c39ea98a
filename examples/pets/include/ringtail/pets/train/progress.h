#pragma once
// What rank 0 shows while training. On a terminal a progress bar redrawn in
// place (epoch, step, loss, images per second, ETA); otherwise (a pipe, a log
// file, mpirun's forwarding) nothing during an epoch and one line at its end,
// so logs stay readable.

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

namespace ringtail::pets::train {

enum class ProgressMode { none, lines, bar };

// "auto" picks bar when `fd` is a terminal, lines otherwise; other ranks than
// 0 always get none.
bool output_is_terminal(int fd);
ProgressMode resolve_progress_mode(const std::string& name, int rank, int fd);

class Progress {
 public:
  // `total_steps`: optimizer steps this invocation will run (for the ETA).
  Progress(ProgressMode mode, std::ostream& out, int epochs, std::int64_t total_steps);

  void start_epoch(int epoch, std::int64_t steps);  // epoch is 1-based
  // After optimizer step `step` (1-based) of the epoch; redraws at most 10
  // times a second.
  void update(std::int64_t step, double loss, double images_per_second);
  // Replaces the bar with `line` (lines mode: prints it).
  void line(const std::string& text);

 private:
  using Clock = std::chrono::steady_clock;
  void draw(std::int64_t step, double loss, double images_per_second);

  ProgressMode mode_;
  std::ostream& out_;
  int epochs_;
  std::int64_t total_steps_;
  std::int64_t steps_done_ = 0;      // in this invocation, before this epoch
  std::int64_t epoch_steps_ = 0;
  std::int64_t current_step_ = 0;
  int epoch_ = 0;
  Clock::time_point started_ = Clock::now();
  Clock::time_point last_draw_{};
  bool bar_visible_ = false;
};

// "1:02:03" or "2:03".
std::string format_duration(double seconds);

}  // namespace ringtail::pets::train
