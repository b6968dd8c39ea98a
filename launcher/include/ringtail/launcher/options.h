#pragma once
// ringtail-run's command line (Boost.Program_options). Launcher options come
// first; the program and its arguments follow "--" or the first word that is
// not an option, and are never parsed as launcher options.

#include <optional>
#include <string>
#include <vector>

namespace ringtail::launcher {

// Flags that become RINGTAIL_* variables for every rank (environment.h).
struct FrameworkFlags {
  std::optional<std::string> backend;
  std::optional<std::string> allreduce;
  std::optional<double> fusion_threshold_mb;
  std::optional<double> cycle_time_ms;
  std::optional<long long> cache_capacity;
  std::optional<std::string> timeline;
  std::optional<double> stall_check_seconds;
  std::optional<double> stall_shutdown_seconds;
  std::optional<std::string> log_level;
  bool autotune = false;
  std::optional<std::string> autotune_log;
};

struct LaunchOptions {
  std::optional<int> np;
  std::optional<std::string> hosts;     // -H
  std::optional<std::string> hostfile;  // --hostfile
  std::string instance;                 // --instance: for hosts without one
  std::string network_interface;
  bool gloo = false;
  bool oversubscribe = false;
  bool dry_run = false;
  bool verbose = false;
  std::string mpi_args;
  std::vector<std::string> forward;     // -x VAR or -x VAR=VALUE
  double start_timeout_seconds = 60;
  std::string mpirun = "mpirun";
  std::string rsh_agent;                // replaces ssh for remote hosts
  int ssh_port = 0;
  std::string ssh_identity_file;
  FrameworkFlags framework;
  std::vector<std::string> command;     // the program and its arguments

  bool help = false;
  bool list_instances = false;
};

// `args` excludes argv[0]. Throws ringtail::Error (invalid_argument) with a
// message naming the option on a bad command line.
LaunchOptions parse_command_line(const std::vector<std::string>& args);

std::string usage();

}  // namespace ringtail::launcher
