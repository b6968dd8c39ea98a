#pragma once
// Where the rows of a sweep come from. Each adds the contenders it has for one
// collective; a peer that this build lacks adds none and says why once.

#include "contender.h"
#include "environment.h"

namespace ringtail::bench {

// ringtail: every --backends x --algorithms (x --segments), plus the backends'
// native broadcast, reducescatter and alltoall.
void add_ringtail_contenders(Collective op, Environment& env, Contenders& out);
// Open MPI called directly: MPI_Allreduce & co. on a duplicate of the job's
// communicator, and each forced coll_tuned algorithm on its own duplicate.
void add_mpi_contenders(Collective op, Environment& env, bool tuned, Contenders& out);
// Must run before MPI_Init: forced coll_tuned algorithms need dynamic rules on.
void prepare_mpi_tuned_environment();
// Gloo's own algorithms, called directly through libgloo.
void add_gloo_contenders(Collective op, Environment& env, Contenders& out);

}  // namespace ringtail::bench
