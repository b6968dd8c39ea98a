#pragma once
// The mpirun command line of MPI mode, built from the layout and the
// environment, and nothing else: no process is started here.

#include <string>
#include <vector>

#include "ringtail/launcher/environment.h"
#include "ringtail/launcher/layout.h"

namespace ringtail::launcher {

struct MpirunInputs {
  std::string mpirun = "mpirun";
  bool running_as_root = false;
  bool oversubscribe = false;             // --oversubscribe was given
  std::string network_interface;
  std::string rsh_agent;
  int ssh_port = 0;
  std::string ssh_identity_file;
  std::vector<std::string> mpi_args;      // --mpi-args, split into words
  EnvList variables;                      // -x NAME=VALUE (framework, network, -x VAR=VALUE)
  std::vector<std::string> forward_by_name;  // -x NAME: mpirun passes its own value on
  std::vector<std::string> command;
};

// mpirun [--allow-run-as-root] -np N -H host:ranks,... --bind-to none
//   --map-by slot [--oversubscribe] [--mca mpi_yield_when_idle 1]
//   [interface filters] [rsh agent] -x ... [--mpi-args] program args...
// Throws ringtail::Error (invalid_argument) for a host name Open MPI cannot use.
std::vector<std::string> build_mpirun_command(const Layout& layout, const MpirunInputs& in);

}  // namespace ringtail::launcher
