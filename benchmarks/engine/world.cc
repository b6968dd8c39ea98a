#include "world.h"

#include <mpi.h>
#include <stdlib.h>

#include <array>
#include <filesystem>
#include <stdexcept>

#include "ringtail/collectives/registry.h"
#include "ringtail/collectives/world_options.h"

namespace ringtail::bench {

MpiSession::MpiSession() {
  int provided = 0;
  if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided) != MPI_SUCCESS) {
    throw std::runtime_error("MPI_Init_thread failed");
  }
}

MpiSession::~MpiSession() { MPI_Finalize(); }

ScratchDir::ScratchDir() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  std::array<char, 4096> name{};
  if (rank == 0) {
    std::string pattern = (std::filesystem::temp_directory_path() / "ringtail-engine-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
    pattern.copy(name.data(), name.size() - 1);
  }
  MPI_Bcast(name.data(), static_cast<int>(name.size()), MPI_CHAR, 0, MPI_COMM_WORLD);
  path_ = name.data();
}

ScratchDir::~ScratchDir() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Barrier(MPI_COMM_WORLD);
  std::error_code ignored;
  if (rank == 0) std::filesystem::remove_all(path_, ignored);
}

std::unique_ptr<coll::Communicator> make_world(const std::string& backend, const std::string& scratch) {
  coll::WorldOptions wo;
  wo.backend = backend;
  MPI_Comm_rank(MPI_COMM_WORLD, &wo.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &wo.size);
  wo.gloo_interface = "127.0.0.1";
  wo.file_store_path = scratch + "/" + backend + "-store";
  if (wo.rank == 0) std::filesystem::create_directories(wo.file_store_path);
  MPI_Barrier(MPI_COMM_WORLD);
  return coll::create_world(wo);
}

}  // namespace ringtail::bench
