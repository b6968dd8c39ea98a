#include "mpi_environment.h"

#include <cstdlib>
#include <mutex>

#include "ringtail/collectives/error.h"
#include "ringtail/collectives/log.h"

namespace ringtail::coll::mpi {
namespace {

void finalize_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

// ringtail calls MPI from its engine's thread (and a pipeline thread) while
// the program's threads may call it too: anything below MPI_THREAD_MULTIPLE
// (a program's own MPI_Init gives MPI_THREAD_SINGLE with Open MPI) makes that
// undefined, which shows up as corrupted messages or crashes much later.
void warn_unless_multiple_threads() {
  int provided = MPI_THREAD_SINGLE;
  if (MPI_Query_thread(&provided) != MPI_SUCCESS || provided >= MPI_THREAD_MULTIPLE) return;
  const char* level = provided == MPI_THREAD_SERIALIZED ? "MPI_THREAD_SERIALIZED"
                      : provided == MPI_THREAD_FUNNELED ? "MPI_THREAD_FUNNELED"
                                                        : "MPI_THREAD_SINGLE";
  log::warning("mpi: MPI runs at ", level, ", but ringtail calls MPI from its own threads and needs ",
               "MPI_THREAD_MULTIPLE: initialize MPI with MPI_Init_thread(..., MPI_THREAD_MULTIPLE, ...) ",
               "or let ringtail initialize it");
}

}  // namespace

void ensure_initialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      int provided = 0;
      check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided), "MPI_Init_thread");
      // Errors come back as return codes, which check() turns into exceptions,
      // instead of aborting the job from inside MPI.
      MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
      std::atexit(finalize_at_exit);
    }
    warn_unless_multiple_threads();
  });
}

void check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(rc, text, &length);
  throw Error(ErrorKind::backend, std::string("mpi: ") + what + " failed: " +
                                      std::string(text, static_cast<std::size_t>(length)));
}

}  // namespace ringtail::coll::mpi
