#include "launcher_run.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include "ringtail/launcher/process_table.h"

namespace ringtail::launcher_test {
namespace {

using Clock = std::chrono::steady_clock;

std::string command_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::replace(text.begin(), text.end(), '\0', ' ');
  return text;
}

// Everything that belongs to the job: below the test, or in the session and
// process group ringtail-run started.
std::vector<pid_t> job_processes(pid_t session) {
  const auto table = launcher::read_process_table();
  std::set<pid_t> found;
  for (pid_t p : launcher::descendants_of(getpid(), table)) found.insert(p);
  for (const auto& e : table) {
    if (e.session == session || e.group == session) found.insert(e.pid);
  }
  return std::vector<pid_t>(found.begin(), found.end());
}

void read_available(int& fd, std::string& into) {
  if (fd < 0) return;
  char buffer[4096];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  if (n > 0) {
    into.append(buffer, static_cast<std::size_t>(n));
  } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
    ::close(fd);
    fd = -1;
  }
}

}  // namespace

std::vector<std::string> lines_with(const std::string& text, const std::string& part) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(part) != std::string::npos) out.push_back(line);
  }
  return out;
}

RunResult run_launcher(const std::vector<std::string>& args, const RunOptions& options) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  RunResult result;
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) return result;
  std::vector<std::string> argv_words = {RINGTAIL_RUN_PATH};
  argv_words.insert(argv_words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& w : argv_words) argv.push_back(w.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    setsid();
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  int out_fd = out_pipe[0];
  int err_fd = err_pipe[0];
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  const auto deadline = Clock::now() + options.deadline;
  std::optional<Clock::time_point> marker_seen;
  bool signalled = false;
  while (!result.finished) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) break;
    pollfd fds[3] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}, {pidfd, POLLIN, 0}};
    ::poll(fds, 3, static_cast<int>(left));
    if (fds[0].revents) read_available(out_fd, result.out);
    if (fds[1].revents) read_available(err_fd, result.err);
    if (!options.marker.empty() && !marker_seen &&
        (result.out.find(options.marker) != std::string::npos ||
         result.err.find(options.marker) != std::string::npos)) {
      marker_seen = Clock::now();
      if (options.signal != 0 && !signalled) {
        ::kill(pid, options.signal);
        signalled = true;
      }
    }
    if (fds[2].revents) {
      int status = 0;
      waitpid(pid, &status, 0);
      result.finished = true;
      result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      if (marker_seen) {
        result.seconds_after_marker = std::chrono::duration<double>(Clock::now() - *marker_seen).count();
      }
    }
  }
  // What is still there now was left behind by ringtail-run (or, past the
  // deadline, is the stuck job): record it, then kill it so later tests start clean.
  if (!result.finished) {
    ::kill(-pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  for (pid_t p : job_processes(pid)) {
    result.leftovers.push_back("pid " + std::to_string(p) + " (" + command_of(p) + ")");
    ::kill(p, SIGKILL);
  }
  // Killed leftovers become our children (subreaper) once their parents die.
  const auto reap_until = Clock::now() + std::chrono::seconds(5);
  while (!job_processes(pid).empty() && Clock::now() < reap_until) {
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    usleep(10000);  // cleanup after a failure only
  }
  // The rest of the output; killed leftovers no longer hold the pipes open.
  const auto drain_until = Clock::now() + std::chrono::seconds(5);
  while ((out_fd >= 0 || err_fd >= 0) && Clock::now() < drain_until) {
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    ::poll(fds, 2, 100);
    if (fds[0].revents) read_available(out_fd, result.out);
    if (fds[1].revents) read_available(err_fd, result.err);
  }
  for (int fd : {out_fd, err_fd, pidfd}) {
    if (fd >= 0) ::close(fd);
  }
  return result;
}

}  // namespace ringtail::launcher_test
