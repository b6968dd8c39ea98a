#include "ringtail/bench/mpi_job.h"

#include <mpi.h>
#include <stdlib.h>

#include <array>
#include <filesystem>
#include <stdexcept>

namespace ringtail::bench {
namespace {

int job_rank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

}  // namespace

MpiSession::MpiSession() {
  int provided = 0;
  if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided) != MPI_SUCCESS) {
    throw std::runtime_error("MPI_Init_thread failed");
  }
}

MpiSession::~MpiSession() { MPI_Finalize(); }

ScratchDir::ScratchDir() {
  std::array<char, 4096> name{};
  if (job_rank() == 0) {
    std::string pattern = (std::filesystem::temp_directory_path() / "ringtail-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
    pattern.copy(name.data(), name.size() - 1);
  }
  MPI_Bcast(name.data(), static_cast<int>(name.size()), MPI_CHAR, 0, MPI_COMM_WORLD);
  path_ = name.data();
}

ScratchDir::~ScratchDir() {
  MPI_Barrier(MPI_COMM_WORLD);
  std::error_code ignored;
  if (job_rank() == 0) std::filesystem::remove_all(path_, ignored);
}

coll::WorldOptions job_world_options(const std::string& backend, const ScratchDir& scratch) {
  coll::WorldOptions wo;
  wo.backend = backend;
  MPI_Comm_rank(MPI_COMM_WORLD, &wo.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &wo.size);
  wo.gloo_interface = "127.0.0.1";
  wo.file_store_path = scratch.path() + "/" + backend + "-store";
  if (wo.rank == 0) std::filesystem::create_directories(wo.file_store_path);
  MPI_Barrier(MPI_COMM_WORLD);
  return wo;
}

}  // namespace ringtail::bench
