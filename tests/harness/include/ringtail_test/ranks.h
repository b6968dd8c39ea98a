#pragma once
// One harness that runs a test body on N ranks, whatever the backend:
//   --backend=mpi            the binary was started by mpirun; every process is
//                            one rank and runs every test body on the MPI world.
//   --backend=gloo --ranks=N every test body forks N processes, each builds a gloo
//                            world over a fresh file store, and the parent waits
//                            (bounded) and fails the test if any rank failed.
// A failure on any rank fails the test on every rank. Test bodies use gtest's
// EXPECT_*/ASSERT_* as usual.

#include <chrono>
#include <functional>
#include <set>
#include <string>

#include "ringtail/collectives/communicator.h"
#include "ringtail/collectives/world_options.h"

namespace ringtail::test {

struct HarnessOptions {
  std::string backend = "gloo";
  int ranks = 2;  // gloo mode only; under mpirun the world decides
};

// The options main() parsed from the command line.
const HarnessOptions& harness_options();

// The number of ranks a test body will see.
int world_size();

struct RunOptions {
  // How long every rank may take before the test fails (gloo mode kills them).
  std::chrono::seconds deadline{120};
  // gloo mode: timeout of each blocking gloo operation.
  std::chrono::milliseconds operation_timeout{std::chrono::seconds(30)};
  // Ranks that may exit on their own (tests of a lost peer).
  std::set<int> ranks_that_may_exit;
  // gloo mode: called for each rank before its world is built (for example to
  // give ranks different host names).
  std::function<void(int rank, coll::WorldOptions&)> configure;
};

using Body = std::function<void(coll::Communicator& world)>;

void run_on_ranks(const Body& body, const RunOptions& options = {});

// Builds the options of a gloo world of `size` ranks over the file store in
// `store_dir` (for tests that build worlds themselves).
coll::WorldOptions gloo_world_options(int rank, int size, const std::string& store_dir,
                                      std::chrono::milliseconds timeout);

// A fresh, empty temporary directory, removed by remove_tree().
std::string make_temp_dir(const std::string& tag);
void remove_tree(const std::string& path);

}  // namespace ringtail::test
