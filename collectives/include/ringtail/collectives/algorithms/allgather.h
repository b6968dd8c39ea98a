#pragma once
// Allgather algorithms, built like the allreduce ones (allreduce.h): once per
// (communicator, layout), collectively and in the same order on every rank,
// run() many times.

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "ringtail/collectives/algorithms/host_layout.h"
#include "ringtail/collectives/algorithms/options.h"
#include "ringtail/collectives/communicator.h"
#include "ringtail/collectives/data_type.h"

namespace ringtail::coll {

class AllgatherAlgorithm {
 public:
  virtual ~AllgatherAlgorithm();
  AllgatherAlgorithm(const AllgatherAlgorithm&) = delete;
  AllgatherAlgorithm& operator=(const AllgatherAlgorithm&) = delete;

  virtual std::string_view name() const noexcept = 0;

  // As Communicator::allgatherv: recv_counts[r] elements from rank r, packed in
  // rank order; send has recv_counts[rank] elements and may be this rank's slot
  // of recv.
  void run(const void* send, void* recv, const std::vector<std::size_t>& recv_counts,
           DataType type);
  // count elements from every rank.
  void run(const void* send, void* recv, std::size_t count, DataType type);

 protected:
  AllgatherAlgorithm() = default;
  virtual int world_size() const noexcept = 0;
  virtual int world_rank() const noexcept = 0;
  virtual void do_run(const void* send, void* recv, const std::vector<std::size_t>& recv_counts,
                      DataType type) = 0;

 private:
  std::vector<std::size_t> equal_counts_;  // run(count): reused, not reallocated
};

std::unique_ptr<AllgatherAlgorithm> make_allgather(AllgatherKind kind, Communicator& world,
                                                   std::shared_ptr<HostLayout> hosts = nullptr,
                                                   const AlgorithmOptions& options = {});

}  // namespace ringtail::coll
