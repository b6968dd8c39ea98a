// A program that initializes MPI itself with MPI_Init (MPI_THREAD_SINGLE with
// Open MPI) and then builds ringtail's mpi world: ringtail must warn that its
// threads need MPI_THREAD_MULTIPLE. ctest checks the warning's text and that
// the world still works for this one thread.
#include <mpi.h>

#include <cstdio>

#include "ringtail/collectives/registry.h"

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  ringtail::coll::WorldOptions options;
  options.backend = "mpi";
  auto world = ringtail::coll::create_world(options);
  int value = 1;
  world->allreduce(&value, 1, ringtail::coll::DataType::i32, ringtail::coll::ReduceOp::sum);
  const int size = world->size();
  world.reset();
  MPI_Finalize();
  // ctest ignores the exit status when it matches the output, hence the line.
  if (value != size) return 1;
  std::printf("probe ok\n");
  return 0;
}
