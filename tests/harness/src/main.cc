// main() of every multi-rank test binary: parses --backend and --ranks, builds
// the MPI world once under mpirun, and keeps the output of ranks other than 0
// to their failures.
#include <gtest/gtest.h>

#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include "ringtail/collectives/error.h"
#include "ringtail/collectives/registry.h"
#include "ringtail_test/world.h"

namespace {

class FailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit FailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::cout << "[rank " << rank_ << "] " << (result.file_name() ? result.file_name() : "?")
              << ":" << result.line_number() << ": " << result.summary() << std::endl;
  }

 private:
  int rank_;
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ringtail::test::HarnessOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--backend=", 0) == 0) {
      options.backend = arg.substr(10);
    } else if (arg.rfind("--ranks=", 0) == 0) {
      options.ranks = std::stoi(arg.substr(8));
    } else {
      std::cerr << "unknown argument " << arg << " (expected --backend=mpi|gloo, --ranks=N)\n";
      return 2;
    }
  }
  std::unique_ptr<ringtail::coll::Communicator> mpi_world;
  if (options.backend == "mpi") {
    ringtail::coll::WorldOptions wo;
    wo.backend = "mpi";
    mpi_world = ringtail::coll::create_world(wo);
    options.ranks = mpi_world->size();
    if (mpi_world->rank() != 0) {
      auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
      delete listeners.Release(listeners.default_result_printer());
      listeners.Append(new FailurePrinter(mpi_world->rank()));
    }
  } else if (options.backend != "gloo") {
    std::cerr << "--backend must be mpi or gloo, not '" << options.backend << "'\n";
    return 2;
  }
  ringtail::test::set_harness(options, mpi_world.get());
  const int result = RUN_ALL_TESTS();
  ringtail::test::set_harness(options, nullptr);
  mpi_world.reset();
  return result;
}
