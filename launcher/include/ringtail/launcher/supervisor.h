#pragma once
// Runs a job's processes and guarantees how it ends. ringtail-run's children
// (mpirun, or the gloo ranks and their ssh clients) form one process group;
// signals sent to ringtail-run are forwarded to it; the first child that fails
// ends the job (gloo mode), and its exit code is the job's. When the job ends,
// whatever it left behind is terminated, then killed: ringtail-run is a child
// subreaper, so processes that moved to other process groups (Open MPI puts
// each rank in its own) or lost their parent are still found, as descendants.
//
// Signals are taken synchronously (sigtimedwait), not by handlers: the
// constructor blocks them, so it must run before any other thread starts.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <signal.h>

#include "ringtail/launcher/environment.h"

namespace ringtail::launcher {

// The job's exit code when ranks did not reach the rendezvous in time (as
// timeout(1) reports a timeout).
constexpr int kStartTimeoutExitCode = 124;

struct SpawnSpec {
  std::vector<std::string> argv;
  EnvList environment;     // added to ringtail-run's environment (replacing same names)
  std::string stdin_text;  // not empty: written to the child's standard input, which
                           // then stays open until the child exits; else /dev/null
  std::string label;       // "rank 3 on node2", for messages
};

struct ChildExit {
  pid_t pid = 0;
  std::string label;
  int code = 0;  // exit status, or 128 + signal number
  int signal = 0;
};

struct SupervisorPolicy {
  // Gloo mode: a child that fails ends the job. (mpirun does this itself.)
  bool end_job_on_failure = true;
  // Called once at the deadline while the job runs; returning false ends the job
  // with kStartTimeoutExitCode.
  std::optional<std::chrono::steady_clock::time_point> start_deadline;
  std::function<bool()> at_start_deadline;
  // After SIGTERM, how long the job's processes have before SIGKILL.
  std::chrono::milliseconds grace{std::chrono::seconds(5)};
  // Called for the first child that fails (not for those ended by the launcher).
  std::function<void(const ChildExit&)> on_failure;
};

class Supervisor {
 public:
  Supervisor();
  // Kills and reaps whatever is left; never throws.
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Starts a child in the job's process group. Throws ringtail::Error naming the
  // program when it cannot be executed.
  pid_t spawn(const SpawnSpec& spec);

  // Waits until every child has exited and nothing is left of the job; returns
  // the job's exit code: the first failing child's, 128 + signal when
  // ringtail-run was signalled, kStartTimeoutExitCode, or 0.
  int run(const SupervisorPolicy& policy);

 private:
  struct Child {
    std::string label;
    int stdin_fd = -1;
  };

  void reap(const SupervisorPolicy& policy);
  void begin_termination(const SupervisorPolicy& policy);
  void signal_group(int sig);
  void kill_descendants(int sig);
  void sweep(std::chrono::milliseconds grace);
  void close_stdin(Child& c);

  sigset_t handled_{};    // the signals run() waits for
  sigset_t old_mask_{};   // restored in children and at the end
  pid_t group_ = 0;       // the job's process group (the first child's pid)
  std::map<pid_t, Child> live_;
  std::optional<int> result_;
  bool terminating_ = false;
  std::optional<std::chrono::steady_clock::time_point> kill_at_;
};

}  // namespace ringtail::launcher
