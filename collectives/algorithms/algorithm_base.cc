// The validating entry points of the algorithm objects and the algorithm names.
#include <numeric>
#include <string>

#include "ringtail/collectives/algorithms/allgather.h"
#include "ringtail/collectives/algorithms/allreduce.h"
#include "ringtail/collectives/error.h"
#include "ringtail/collectives/reduce_kernels.h"

namespace ringtail::coll {
namespace {

// Messages are built only on failure: run() is the hot path.
[[noreturn]] void invalid(std::string_view algorithm, const char* collective,
                          const std::string& message) {
  throw Error(ErrorKind::invalid_argument,
              std::string(algorithm) + " " + collective + ": " + message);
}

}  // namespace

AllreduceAlgorithm::~AllreduceAlgorithm() = default;

void AllreduceAlgorithm::run(const void* send, void* recv, std::size_t count, DataType type,
                             ReduceOp op) {
  if (count != 0 && send == nullptr) invalid(name(), "allreduce", "send buffer is null but count is " + std::to_string(count));
  if (count != 0 && recv == nullptr) invalid(name(), "allreduce", "recv buffer is null but count is " + std::to_string(count));
  if (!supports(type, op)) {
    invalid(name(), "allreduce", "op " + std::string(to_string(op)) + " is not defined for " +
                      std::string(to_string(type)));
  }
  do_run(send, recv, count, type, op);
}

AllgatherAlgorithm::~AllgatherAlgorithm() = default;

void AllgatherAlgorithm::run(const void* send, void* recv,
                             const std::vector<std::size_t>& recv_counts, DataType type) {
  const int n = world_size();
  if (recv_counts.size() != static_cast<std::size_t>(n)) {
    invalid(name(), "allgather", "recv_counts has " + std::to_string(recv_counts.size()) +
                      " entries; the world has " + std::to_string(n) + " ranks");
  }
  const std::size_t total = std::accumulate(recv_counts.begin(), recv_counts.end(), std::size_t{0});
  const std::size_t mine = recv_counts[static_cast<std::size_t>(world_rank())];
  if (mine != 0 && send == nullptr) {
    invalid(name(), "allgather", "send buffer is null but this rank sends " + std::to_string(mine) + " elements");
  }
  if (total != 0 && recv == nullptr) invalid(name(), "allgather", "recv buffer is null but " + std::to_string(total) + " elements arrive");
  do_run(send, recv, recv_counts, type);
}

void AllgatherAlgorithm::run(const void* send, void* recv, std::size_t count, DataType type) {
  equal_counts_.assign(static_cast<std::size_t>(world_size()), count);
  run(send, recv, equal_counts_, type);
}

std::string_view to_string(AllreduceKind kind) {
  switch (kind) {
    case AllreduceKind::native: return "native";
    case AllreduceKind::ring: return "ring";
    case AllreduceKind::hierarchical: return "hierarchical";
    case AllreduceKind::automatic: return "auto";
    case AllreduceKind::shm: return "shm";
  }
  return "?";
}

std::string_view to_string(AllgatherKind kind) {
  switch (kind) {
    case AllgatherKind::native: return "native";
    case AllgatherKind::ring: return "ring";
    case AllgatherKind::hierarchical: return "hierarchical";
    case AllgatherKind::automatic: return "auto";
  }
  return "?";
}

std::string_view to_string(PhaseMethod method) {
  switch (method) {
    case PhaseMethod::ring: return "ring";
    case PhaseMethod::native: return "native";
    case PhaseMethod::shm: return "shm";
  }
  return "?";
}

std::optional<AllreduceKind> parse_allreduce_kind(std::string_view name) {
  for (AllreduceKind k : {AllreduceKind::native, AllreduceKind::ring, AllreduceKind::hierarchical,
                          AllreduceKind::automatic, AllreduceKind::shm}) {
    if (name == to_string(k)) return k;
  }
  return std::nullopt;
}

std::optional<AllgatherKind> parse_allgather_kind(std::string_view name) {
  if (name == "flat") return AllgatherKind::native;
  for (AllgatherKind k : {AllgatherKind::native, AllgatherKind::ring, AllgatherKind::hierarchical,
                          AllgatherKind::automatic}) {
    if (name == to_string(k)) return k;
  }
  return std::nullopt;
}

std::optional<PhaseMethod> parse_phase_method(std::string_view name) {
  if (name == "ring") return PhaseMethod::ring;
  if (name == "native") return PhaseMethod::native;
  if (name == "shm") return PhaseMethod::shm;
  return std::nullopt;
}

}  // namespace ringtail::coll
