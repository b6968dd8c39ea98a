#include "process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>

extern char** environ;

namespace ringtail_test {
namespace {

struct Child {
  pid_t pid = -1;
  int output = -1;  // read end of the merged stdout/stderr pipe
};

Child spawn(const std::vector<std::string>& argv) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  Child child;
  const int rc = ::posix_spawn(&child.pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    throw std::runtime_error("cannot start " + argv[0] + ": error " + std::to_string(rc));
  }
  child.output = fds[0];
  return child;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Appends what is readable (blocking until some arrives); false at end of file.
bool read_some(int fd, std::string& into) {
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    into.append(buffer, static_cast<std::size_t>(n));
    return true;
  }
}

}  // namespace

std::string command_text(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& a : argv) {
    text += text.empty() ? "" : " ";
    text += a.find(' ') == std::string::npos ? a : "'" + a + "'";
  }
  return text;
}

ProcessResult run_process(const std::vector<std::string>& argv) {
  Child child = spawn(argv);
  ProcessResult result;
  while (read_some(child.output, result.output)) {
  }
  ::close(child.output);
  result.exit_code = wait_for(child.pid);
  return result;
}

ProcessResult run_process(const std::vector<std::string>& argv, int limit_seconds) {
  using Clock = std::chrono::steady_clock;
  Child child = spawn(argv);
  ProcessResult result;
  Clock::time_point deadline = Clock::now() + std::chrono::seconds(limit_seconds);
  int signal_to_send = SIGTERM;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      if (signal_to_send == 0) break;  // not even SIGKILL ended it: stop reading
      result.timed_out = true;
      ::kill(child.pid, signal_to_send);
      signal_to_send = signal_to_send == SIGTERM ? SIGKILL : 0;
      deadline = Clock::now() + std::chrono::seconds(10);
      continue;
    }
    pollfd readable{child.output, POLLIN, 0};
    const int ready = ::poll(&readable, 1, static_cast<int>(left));
    if (ready < 0 && errno != EINTR) break;
    if (ready > 0 && !read_some(child.output, result.output)) break;
  }
  ::close(child.output);
  result.exit_code = wait_for(child.pid);
  return result;
}

ProcessResult run_until_line_then_kill(const std::vector<std::string>& argv, const std::string& needle,
                                       int signal, bool* found) {
  Child child = spawn(argv);
  ProcessResult result;
  *found = false;
  std::size_t scanned = 0;
  while (read_some(child.output, result.output)) {
    // Only whole lines count: the needle must not match half a line.
    const std::size_t end = result.output.rfind('\n');
    if (end == std::string::npos || end < scanned) continue;
    if (result.output.substr(scanned, end - scanned).find(needle) != std::string::npos) {
      *found = true;
      ::kill(child.pid, signal);
      break;
    }
    scanned = end;
  }
  ::close(child.output);
  result.exit_code = wait_for(child.pid);
  return result;
}

}  // namespace ringtail_test
