#pragma once
// The communicator the engine benchmarks run the engine on. MPI starts the job
// and times it whatever the backend; a gloo world meets through a file store
// in a scratch directory that rank 0 makes and removes.

#include <memory>
#include <string>

#include "ringtail/collectives/communicator.h"

namespace ringtail::bench {

// MPI for the benchmark's own timing and peers, whatever the engine runs on.
class MpiSession {
 public:
  MpiSession();
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
};

// A directory every rank knows (rank 0 makes it and sends its name over MPI);
// removed by rank 0 after a barrier.
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

std::unique_ptr<coll::Communicator> make_world(const std::string& backend, const std::string& scratch);

}  // namespace ringtail::bench
