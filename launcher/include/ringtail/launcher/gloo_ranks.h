#pragma once
// Gloo mode: what ringtail-run executes for each rank. Ranks on this machine
// are executed directly with their variables added to the launcher's
// environment; ranks on other hosts through ssh (or --rsh-agent) running a
// small sh wrapper. The rendezvous secret is in none of this: the launcher adds
// it to a local rank's environment, and writes it as the first line of a remote
// rank's standard input, where the wrapper reads it. That keeps it off every
// command line, here and on the remote host.

#include <string>
#include <vector>

#include "ringtail/launcher/environment.h"
#include "ringtail/launcher/layout.h"

namespace ringtail::launcher {

struct RankLaunch {
  int rank = 0;
  const HostPlan* host = nullptr;
  bool remote = false;
  std::vector<std::string> argv;  // what ringtail-run executes
  EnvList environment;            // added to ringtail-run's environment (local ranks)
};

struct GlooInputs {
  std::string rendezvous_address;   // host:port the ranks connect to
  std::string job_id;               // RINGTAIL_JOB_ID
  EnvList variables;                // framework, network and -x variables: every rank
  EnvList remote_variables;         // PATH, LD_LIBRARY_PATH, -x VAR values: remote ranks
  std::string network_interface;    // RINGTAIL_GLOO_IFACE when given
  std::vector<std::string> remote_shell;  // "ssh -o BatchMode=yes ..." or the agent, before the host
  std::string working_directory;    // remote ranks start here
  std::vector<std::string> command;
};

// The remote shell words: the --rsh-agent split into words, or ssh with the
// port and identity file.
std::vector<std::string> remote_shell_words(const std::string& rsh_agent, int ssh_port,
                                            const std::string& identity_file);

// The sh program a remote rank runs under: reads the secret from standard
// input, runs the rank, and ends it when standard input closes (ringtail-run
// ended or killed ssh), so no remote rank outlives its job.
const std::string& remote_rank_script();

// RINGTAIL_RANK, RINGTAIL_SIZE, RINGTAIL_RENDEZVOUS_ADDR, RINGTAIL_JOB_ID,
// RINGTAIL_HOSTNAME (the host's name in the layout, so the ranks' topology
// matches it) and RINGTAIL_GLOO_IFACE for one rank, then `variables`.
EnvList rank_environment(int rank, const Layout& layout, const HostPlan& host, const GlooInputs& in);

std::vector<RankLaunch> plan_gloo_ranks(const Layout& layout, const GlooInputs& in);

}  // namespace ringtail::launcher
