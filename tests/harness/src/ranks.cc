#include "ringtail_test/ranks.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include "ringtail/collectives/registry.h"
#include "ringtail_test/world.h"

namespace ringtail::test {
namespace {

HarnessOptions g_options;
coll::Communicator* g_mpi_world = nullptr;

void run_body_reporting(const Body& body, coll::Communicator& world) {
  try {
    body(world);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "rank " << world.rank() << " threw: " << e.what();
  }
}

// MPI mode: every process runs the body on the shared world, then the ranks
// agree on whether any of them failed, so a failure on one is seen by all.
void run_under_mpi(const Body& body) {
  coll::Communicator& world = *g_mpi_world;
  run_body_reporting(body, world);
  std::int32_t failed = ::testing::Test::HasFailure() ? 1 : 0;
  std::int32_t any_failed = failed;
  world.allreduce(&any_failed, 1, coll::DataType::i32, coll::ReduceOp::max);
  if (any_failed && !failed) ADD_FAILURE() << "another rank failed this test";
}

// Gloo mode: fork one child per rank; each exits 0 on success, 1 on failure.
void run_forked(const Body& body, const RunOptions& options) {
  const int n = g_options.ranks;
  const std::string store = make_temp_dir("gloo-store");
  std::fflush(stdout);
  std::fflush(stderr);
  std::vector<pid_t> children;
  for (int rank = 0; rank < n; ++rank) {
    const pid_t pid = fork();
    if (pid < 0) {
      ADD_FAILURE() << "fork failed for rank " << rank;
      break;
    }
    if (pid == 0) {
      int code = 0;
      try {
        coll::WorldOptions wo = gloo_world_options(rank, n, store, options.operation_timeout);
        if (options.configure) options.configure(rank, wo);
        auto world = coll::create_world(wo);
        run_body_reporting(body, *world);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "rank " << rank << " could not run: " << e.what();
      }
      code = ::testing::Test::HasFailure() ? 1 : 0;
      std::fflush(stdout);
      std::fflush(stderr);
      std::_Exit(code);
    }
    children.push_back(pid);
  }

  const auto deadline = std::chrono::steady_clock::now() + options.deadline;
  std::vector<bool> done(children.size(), false);
  std::size_t remaining = children.size();
  while (remaining > 0) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      for (std::size_t r = 0; r < children.size(); ++r) {
        if (children[r] != pid) continue;
        done[r] = true;
        --remaining;
        const bool may_exit = options.ranks_that_may_exit.count(static_cast<int>(r)) != 0;
        if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && !may_exit) {
          ADD_FAILURE() << "rank " << r << " failed (exit code " << WEXITSTATUS(status) << ")";
        } else if (WIFSIGNALED(status) && !may_exit) {
          ADD_FAILURE() << "rank " << r << " was killed by signal " << WTERMSIG(status);
        }
      }
      continue;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      for (std::size_t r = 0; r < children.size(); ++r) {
        if (done[r]) continue;
        ADD_FAILURE() << "rank " << r << " did not finish within " << options.deadline.count()
                      << " s; killed";
        kill(children[r], SIGKILL);
        waitpid(children[r], nullptr, 0);
      }
      break;
    }
    // Children finish on their own; a short sleep between reaps keeps the parent
    // off the cores the ranks need.
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  remove_tree(store);
}

}  // namespace

const HarnessOptions& harness_options() { return g_options; }

int world_size() { return g_mpi_world ? g_mpi_world->size() : g_options.ranks; }

void run_on_ranks(const Body& body, const RunOptions& options) {
  if (g_mpi_world) {
    run_under_mpi(body);
  } else {
    run_forked(body, options);
  }
}

coll::WorldOptions gloo_world_options(int rank, int size, const std::string& store_dir,
                                      std::chrono::milliseconds timeout) {
  coll::WorldOptions wo;
  wo.backend = "gloo";
  wo.rank = rank;
  wo.size = size;
  wo.file_store_path = store_dir;
  wo.timeout = timeout;
  wo.gloo_interface = "127.0.0.1";
  return wo;
}

std::string make_temp_dir(const std::string& tag) {
  std::string pattern = (std::filesystem::temp_directory_path() / ("ringtail-" + tag + "-XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed for " + pattern);
  }
  return pattern;
}

void remove_tree(const std::string& path) {
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
}

// Called by main() (world.h).
void set_harness(const HarnessOptions& options, coll::Communicator* mpi_world) {
  g_options = options;
  g_mpi_world = mpi_world;
}

}  // namespace ringtail::test
