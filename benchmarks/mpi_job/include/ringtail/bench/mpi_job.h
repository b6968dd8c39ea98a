#pragma once
// What the MPI-launched benchmarks (ringtail-bench collectives,
// ringtail-engine-bench) share: MPI itself for timing and peers, a scratch
// directory every rank knows, and ringtail worlds of any backend inside the
// job (gloo meets through a file store in that directory).

#include <memory>
#include <string>

#include "ringtail/collectives/communicator.h"
#include "ringtail/collectives/world_options.h"

namespace ringtail::bench {

// MPI_Init_thread(MPI_THREAD_MULTIPLE) for the program's lifetime; for a
// program that uses MPI before any ringtail world exists.
class MpiSession {
 public:
  MpiSession();
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
};

// A directory rank 0 makes and sends the name of over MPI; rank 0 removes it
// after a barrier. Collective, construction and destruction alike.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Options for a world of `backend` over the MPI job: rank and size from MPI,
// gloo on loopback meeting in `<scratch>/<backend>-store` (made here; the call
// is collective). Callers adjust the rest before coll::create_world.
coll::WorldOptions job_world_options(const std::string& backend, const ScratchDir& scratch);

}  // namespace ringtail::bench
