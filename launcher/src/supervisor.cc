#include "ringtail/launcher/supervisor.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "ringtail/collectives/error.h"
#include "ringtail/launcher/process_table.h"

extern char** environ;

namespace ringtail::launcher {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

timespec to_timespec(Clock::duration d) {
  const auto ns = std::max<long long>(0, std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
  return timespec{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
}

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

// Everything below this process that has not exited.
std::vector<pid_t> live_descendants() {
  const auto table = read_process_table();
  std::vector<pid_t> out;
  for (pid_t pid : descendants_of(getpid(), table)) {
    const auto it = std::find_if(table.begin(), table.end(), [&](const ProcessEntry& e) { return e.pid == pid; });
    if (it != table.end() && it->state != 'Z' && it->state != 'X') out.push_back(pid);
  }
  return out;
}

std::vector<std::string> merged_environment(const EnvList& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    const bool replaced = std::any_of(extra.begin(), extra.end(), [&](const auto& kv) { return kv.first == name; });
    if (!replaced) env.push_back(entry);
  }
  for (const auto& [name, value] : extra) env.push_back(name + "=" + value);
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& words) {
  std::vector<char*> out;
  for (auto& w : words) out.push_back(w.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

Supervisor::Supervisor() {
  sigemptyset(&handled_);
  sigaddset(&handled_, SIGCHLD);
  for (int sig : kForwarded) sigaddset(&handled_, sig);
  sigset_t blocked = handled_;
  // A write to the stdin pipe of an ssh that died must fail with EPIPE, not
  // kill ringtail-run; children get the original mask back.
  sigaddset(&blocked, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &blocked, &old_mask_);
  // Orphans of the job (ranks whose mpirun died, say) become our children, so
  // they can be found and reaped.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
}

Supervisor::~Supervisor() {
  if (!live_.empty() || !live_descendants().empty()) {
    signal_group(SIGKILL);
    kill_descendants(SIGKILL);
  }
  for (auto& [pid, child] : live_) close_stdin(child);
  sweep(std::chrono::seconds(2));
  // Signals that arrived since the last wait (a SIGPIPE from a dead ssh's
  // stdin, a late SIGINT) belong to the job that ended; unblocked, they would
  // kill ringtail-run before it reports the job's exit code.
  sigset_t pending = handled_;
  sigaddset(&pending, SIGPIPE);
  const timespec now{0, 0};
  while (sigtimedwait(&pending, nullptr, &now) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

void Supervisor::close_stdin(Child& c) {
  if (c.stdin_fd >= 0) ::close(c.stdin_fd);
  c.stdin_fd = -1;
}

pid_t Supervisor::spawn(const SpawnSpec& spec) {
  if (spec.argv.empty()) throw Error(ErrorKind::invalid_argument, "nothing to run for " + spec.label);
  std::vector<std::string> argv = spec.argv;
  std::vector<std::string> env = merged_environment(spec.environment);
  std::vector<char*> argv_p = pointers(argv);
  std::vector<char*> env_p = pointers(env);
  // exec errors travel back on a close-on-exec pipe: no bytes means exec worked.
  int status_pipe[2];
  int input[2] = {-1, -1};
  if (pipe2(status_pipe, O_CLOEXEC) != 0 || (!spec.stdin_text.empty() && pipe2(input, O_CLOEXEC) != 0)) {
    throw Error(ErrorKind::backend, std::string("pipe failed: ") + std::strerror(errno));
  }
  const pid_t parent = getpid();
  const pid_t group = group_;
  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    for (int fd : {status_pipe[0], status_pipe[1], input[0], input[1]}) {
      if (fd >= 0) ::close(fd);
    }
    throw Error(ErrorKind::backend, "cannot start " + spec.label + ": fork failed: " + std::strerror(err));
  }
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec.
    setpgid(0, group);
    prctl(PR_SET_PDEATHSIG, SIGTERM);  // ringtail-run killed with SIGKILL: the job ends too
    if (getppid() != parent) _exit(126);
    const int in = input[0] >= 0 ? input[0] : ::open("/dev/null", O_RDONLY);
    if (in >= 0) dup2(in, STDIN_FILENO);
    sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
    execvpe(argv_p[0], argv_p.data(), env_p.data());
    const int err = errno;
    (void)!::write(status_pipe[1], &err, sizeof err);
    _exit(127);
  }
  setpgid(pid, group == 0 ? pid : group);  // also here, so it holds before either side runs on
  if (group_ == 0) group_ = pid;
  ::close(status_pipe[1]);
  int err = 0;
  ssize_t n;
  while ((n = ::read(status_pipe[0], &err, sizeof err)) < 0 && errno == EINTR) {
  }
  ::close(status_pipe[0]);
  if (input[0] >= 0) ::close(input[0]);
  if (n > 0) {
    if (input[1] >= 0) ::close(input[1]);
    waitpid(pid, nullptr, 0);
    throw Error(ErrorKind::invalid_argument,
                "cannot run '" + spec.argv[0] + "' for " + spec.label + ": " + std::strerror(err));
  }
  Child child;
  child.label = spec.label;
  if (input[1] >= 0) {
    // The secret is a line; a failed write shows up as the rank failing.
    const char* p = spec.stdin_text.data();
    std::size_t left = spec.stdin_text.size();
    while (left > 0) {
      const ssize_t w = ::write(input[1], p, left);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) break;
      p += w;
      left -= static_cast<std::size_t>(w);
    }
    child.stdin_fd = input[1];
  }
  live_.emplace(pid, std::move(child));
  return pid;
}

void Supervisor::signal_group(int sig) {
  if (group_ != 0) ::kill(-group_, sig);
}

void Supervisor::kill_descendants(int sig) {
  for (pid_t pid : live_descendants()) ::kill(pid, sig);
}

void Supervisor::begin_termination(const SupervisorPolicy& policy) {
  if (terminating_) return;
  terminating_ = true;
  signal_group(SIGTERM);
  kill_at_ = Clock::now() + policy.grace;
}

void Supervisor::reap(const SupervisorPolicy& policy) {
  int status = 0;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    const auto it = live_.find(pid);
    if (it == live_.end()) continue;  // an orphan of the job, adopted as subreaper
    ChildExit exit;
    exit.pid = pid;
    exit.label = it->second.label;
    exit.code = exit_code(status);
    exit.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    close_stdin(it->second);
    live_.erase(it);
    if (exit.code == 0 || terminating_) continue;
    if (!result_) {
      result_ = exit.code;
      if (policy.on_failure) policy.on_failure(exit);
    }
    if (policy.end_job_on_failure && !live_.empty()) begin_termination(policy);
  }
}

int Supervisor::run(const SupervisorPolicy& policy) {
  bool start_pending = policy.start_deadline.has_value() && static_cast<bool>(policy.at_start_deadline);
  reap(policy);  // children may have exited before run()
  while (!live_.empty()) {
    std::optional<Clock::time_point> next;
    if (start_pending) next = *policy.start_deadline;
    if (kill_at_) next = next ? std::min(*next, *kill_at_) : *kill_at_;
    siginfo_t info{};
    int sig;
    if (next) {
      const timespec wait = to_timespec(*next - Clock::now());
      sig = sigtimedwait(&handled_, &info, &wait);
    } else {
      sig = sigwaitinfo(&handled_, &info);
    }
    if (sig < 0) {
      if (errno != EAGAIN) continue;  // EINTR
      const auto now = Clock::now();
      if (start_pending && now >= *policy.start_deadline) {
        start_pending = false;
        if (!terminating_ && !policy.at_start_deadline()) {
          if (!result_) result_ = kStartTimeoutExitCode;
          begin_termination(policy);
        }
      }
      if (kill_at_ && now >= *kill_at_) {
        kill_at_.reset();
        signal_group(SIGKILL);
        kill_descendants(SIGKILL);
      }
      continue;
    }
    if (sig == SIGCHLD) {
      reap(policy);
      continue;
    }
    if (sig == SIGUSR1 || sig == SIGUSR2) {
      signal_group(sig);
      continue;
    }
    // SIGINT, SIGTERM, SIGHUP, SIGQUIT: pass it on, then end the job; a second
    // one means now.
    if (!result_) result_ = 128 + sig;
    if (terminating_) {
      signal_group(SIGKILL);
      kill_descendants(SIGKILL);
      continue;
    }
    signal_group(sig);
    terminating_ = true;
    kill_at_ = Clock::now() + policy.grace;
  }
  sweep(policy.grace);
  return result_.value_or(0);
}

void Supervisor::sweep(std::chrono::milliseconds grace) {
  // The children are gone; what is left below us was started by them. TERM,
  // then KILL at the deadline. Each death of a (possibly adopted) child raises
  // SIGCHLD, which is when the table is read again.
  bool termed = false;
  bool killed = false;
  auto deadline = Clock::now() + grace;
  while (true) {
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    const std::vector<pid_t> rest = live_descendants();
    if (rest.empty()) break;
    if (!termed) {
      for (pid_t pid : rest) ::kill(pid, SIGTERM);
      termed = true;
    }
    if (Clock::now() >= deadline) {
      if (killed) {
        std::fprintf(stderr, "ringtail-run: %zu processes of the job did not end even after SIGKILL\n", rest.size());
        break;
      }
      for (pid_t pid : rest) ::kill(pid, SIGKILL);
      killed = true;
      deadline = Clock::now() + std::chrono::seconds(2);
    }
    sigset_t child;
    sigemptyset(&child);
    sigaddset(&child, SIGCHLD);
    // A descendant that is not our child exits without SIGCHLD to us; its
    // parent does get one and is in `rest` too, so its death wakes us. The short
    // bound covers a descendant reaped by a parent that lives on.
    const timespec wait = to_timespec(std::min<Clock::duration>(deadline - Clock::now(), std::chrono::milliseconds(200)));
    siginfo_t info{};
    sigtimedwait(&child, &info, &wait);
  }
}

}  // namespace ringtail::launcher
