#pragma once
// The collectives ringtail-bench measures, each a small record (as in
// nccl-tests): how a size in bytes becomes element counts, the bus-bandwidth
// factor, what every rank puts in, and what it must get back.

#include <cstddef>
#include <optional>
#include <string_view>

#include "ringtail/collectives/data_type.h"

namespace ringtail::bench {

enum class Collective { allreduce, allgather, broadcast, reducescatter, alltoall };

std::string_view to_string(Collective c);
std::optional<Collective> parse_collective(std::string_view name);

// One measured size of one collective on `ranks` ranks. `bytes` follows
// nccl-tests: the per-rank buffer for allreduce and broadcast, the whole
// gathered / scattered buffer for allgather, reducescatter and alltoall.
struct Shape {
  Collective op = Collective::allreduce;
  int ranks = 1;
  coll::DataType type = coll::DataType::f32;
  coll::ReduceOp reduce = coll::ReduceOp::sum;
  std::size_t count = 0;       // allreduce/broadcast: elements; others: elements per rank block
  std::size_t send_elems = 0;  // this rank's input
  std::size_t recv_elems = 0;  // this rank's output
  std::size_t bytes = 0;       // the size column, after rounding to whole elements

  static Shape make(Collective op, std::size_t bytes, int ranks, coll::DataType type,
                    coll::ReduceOp reduce);
  // busbw = algbw * bus_factor(): 2(n-1)/n for allreduce, (n-1)/n for allgather,
  // reducescatter and alltoall, 1 for broadcast.
  double bus_factor() const;
};

// Input of `rank` (the whole send buffer; for broadcast, the root's buffer).
// Small integers, so sums and products are exact in every dtype.
void fill_input(const Shape& s, int rank, void* send);
// Elements of `recv` that differ from the expected result beyond the dtype's
// rounding.
std::size_t count_wrong(const Shape& s, int rank, const void* recv);

}  // namespace ringtail::bench
