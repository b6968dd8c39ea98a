#pragma once
// Internal to the harness: main() hands it the parsed options and, under
// mpirun, the MPI world.
#include "ringtail_test/ranks.h"

namespace ringtail::test {
void set_harness(const HarnessOptions& options, coll::Communicator* mpi_world);
}
