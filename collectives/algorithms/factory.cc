// The public entry points: pick the concrete algorithm by kind.
#include <string>

#include "implementations.h"
#include "ringtail/collectives/error.h"

namespace ringtail::coll {

namespace detail {

void require_host_memory(const Communicator& comm, const char* algorithm) {
  if (comm.memory() != MemoryKind::host) {
    throw Error(ErrorKind::unsupported,
                std::string(algorithm) + " reduces in host memory, but the '" +
                    std::string(comm.backend()) + "' communicator holds " +
                    std::string(to_string(comm.memory())) +
                    " buffers; use the native algorithm or a native phase method");
  }
}

}  // namespace detail

std::unique_ptr<AllreduceAlgorithm> make_allreduce(AllreduceKind kind, Communicator& world,
                                                   std::shared_ptr<HostLayout> hosts,
                                                   const AlgorithmOptions& options) {
  if (hosts && hosts->topology().size != world.size()) {
    throw Error(ErrorKind::invalid_argument,
                "make_allreduce: the host layout spans " + std::to_string(hosts->topology().size) +
                    " ranks but the world has " + std::to_string(world.size()));
  }
  switch (kind) {
    case AllreduceKind::native: return detail::make_native_allreduce(world);
    case AllreduceKind::ring: return detail::make_ring_allreduce(world, options);
    case AllreduceKind::hierarchical: return detail::make_hierarchical_allreduce(std::move(hosts), options);
    case AllreduceKind::automatic: return detail::make_automatic_allreduce(world, std::move(hosts), options);
    case AllreduceKind::shm:
      if (hosts && hosts->num_hosts() > 1) {
        throw Error(ErrorKind::invalid_argument,
                    "make_allreduce: the shared-memory allreduce runs on one host, but the layout has " +
                        std::to_string(hosts->num_hosts()) + " hosts");
      }
      return detail::make_shm_allreduce(world, options);
  }
  throw Error(ErrorKind::invalid_argument, "make_allreduce: unknown algorithm kind");
}

std::unique_ptr<AllgatherAlgorithm> make_allgather(AllgatherKind kind, Communicator& world,
                                                   std::shared_ptr<HostLayout> hosts,
                                                   const AlgorithmOptions& options) {
  if (hosts && hosts->topology().size != world.size()) {
    throw Error(ErrorKind::invalid_argument,
                "make_allgather: the host layout spans " + std::to_string(hosts->topology().size) +
                    " ranks but the world has " + std::to_string(world.size()));
  }
  switch (kind) {
    case AllgatherKind::native: return detail::make_native_allgather(world);
    case AllgatherKind::ring: return detail::make_ring_allgather(world);
    case AllgatherKind::hierarchical: return detail::make_hierarchical_allgather(std::move(hosts), options);
    case AllgatherKind::automatic: return detail::make_automatic_allgather(world, std::move(hosts), options);
  }
  throw Error(ErrorKind::invalid_argument, "make_allgather: unknown algorithm kind");
}

}  // namespace ringtail::coll
