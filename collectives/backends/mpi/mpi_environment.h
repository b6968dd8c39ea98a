#pragma once
// MPI may be initialized once per process. The environment initializes it on
// first use (unless the program did), asking for MPI_THREAD_MULTIPLE so the
// engine's background thread may call MPI while the program also does, and
// finalizes it at process exit if ringtail was the one to initialize it.

#include <mpi.h>

#include <string>

namespace ringtail::coll::mpi {

void ensure_initialized();

// Throws ringtail::Error(backend) with MPI's error string when rc is not MPI_SUCCESS.
void check(int rc, const char* what);

}  // namespace ringtail::coll::mpi
