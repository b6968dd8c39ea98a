#pragma once
// Runs a job described by the command line: plans the layout, prints it, and
// starts mpirun (MPI mode) or the ranks and the rendezvous server (Gloo mode)
// under a Supervisor. The pure parts live in layout.h, environment.h,
// mpirun_command.h and gloo_ranks.h; this file is where they meet the system.

#include <cstdio>

#include "ringtail/launcher/options.h"

namespace ringtail::launcher {

// Returns the job's exit code. Throws ringtail::Error when the job cannot be
// started (bad hosts, an unknown interface, a program that does not exist).
// The dry-run output goes to `out`, the layout and messages to stderr.
int launch(const LaunchOptions& options, std::FILE* out);

}  // namespace ringtail::launcher
