#pragma once
// The concrete algorithms, each in its own file; make_allreduce/make_allgather
// (factory.cc) pick among them. Internal to the algorithms.

#include <memory>

#include "ringtail/collectives/algorithms/allgather.h"
#include "ringtail/collectives/algorithms/allreduce.h"

namespace ringtail::coll::detail {

std::unique_ptr<AllreduceAlgorithm> make_native_allreduce(Communicator& world);
std::unique_ptr<AllreduceAlgorithm> make_ring_allreduce(Communicator& world,
                                                        const AlgorithmOptions& options);
std::unique_ptr<AllreduceAlgorithm> make_shm_allreduce(Communicator& world,
                                                       const AlgorithmOptions& options);
std::unique_ptr<AllreduceAlgorithm> make_hierarchical_allreduce(std::shared_ptr<HostLayout> hosts,
                                                                const AlgorithmOptions& options);
std::unique_ptr<AllreduceAlgorithm> make_automatic_allreduce(Communicator& world,
                                                             std::shared_ptr<HostLayout> hosts,
                                                             const AlgorithmOptions& options);

std::unique_ptr<AllgatherAlgorithm> make_native_allgather(Communicator& world);
std::unique_ptr<AllgatherAlgorithm> make_ring_allgather(Communicator& world);
std::unique_ptr<AllgatherAlgorithm> make_hierarchical_allgather(std::shared_ptr<HostLayout> hosts,
                                                                const AlgorithmOptions& options);
std::unique_ptr<AllgatherAlgorithm> make_automatic_allgather(Communicator& world,
                                                             std::shared_ptr<HostLayout> hosts,
                                                             const AlgorithmOptions& options);

// Algorithms that reduce on this CPU refuse device memory up front.
void require_host_memory(const Communicator& comm, const char* algorithm);

}  // namespace ringtail::coll::detail
