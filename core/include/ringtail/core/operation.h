#pragma once
// The description of one collective a framework thread hands to the engine.
// Every operation has a name; ranks match operations by name (never by call
// order), so the same tensor must carry the same name on every rank.

#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "ringtail/collectives/data_type.h"
#include "ringtail/core/tensor.h"

namespace ringtail::core {

enum class OpType : std::uint8_t {
  allreduce,
  allgather,
  broadcast,
  alltoall,
  reducescatter,
  barrier,
  // Control operations: submitted by the Runtime itself (join(),
  // add_process_set(), remove_process_set(), shutdown()), never in an Operation.
  join,
  add_process_set,
  remove_process_set,
  shutdown,
};

const char* to_string(OpType type);

// The operations a caller submits (everything before `join`). They are the
// ones the response cache holds: control operations always take the slow path.
constexpr bool is_collective(OpType type) { return type < OpType::join; }

using ProcessSetId = std::int32_t;
inline constexpr ProcessSetId kGlobalProcessSet = 0;

// Called on the engine's background thread once the size of a result is known
// (allgather, alltoall, reducescatter: it depends on what the other ranks
// sent); returns memory for at least num_elements(shape) elements of the
// input's dtype. It must not block. Without one, the result lives in the
// handle (Handle::output()).
using OutputAllocator = std::function<void*(const Shape& shape)>;

// Called on the background thread when the operation completed; `error` is null
// on success. It must be quick and must not wait on other handles; an exception
// it throws is logged and dropped.
using CompletionCallback = std::function<void(std::exception_ptr error)>;

struct Operation {
  OpType type = OpType::allreduce;
  // Required. Unique among the operations of its process set that have not
  // completed yet: submitting a name again before it completes is an error.
  std::string name;
  TensorView input;
  // allreduce and broadcast: where the result goes; an empty view (null data)
  // means in place, into `input`. Same dtype and shape as the input.
  TensorView output;
  coll::ReduceOp reduce_op = coll::ReduceOp::sum;  // allreduce, reducescatter
  int root = 0;                                    // broadcast: a rank of the process set
  // allreduce and reducescatter: the input is multiplied by `prescale` before
  // the reduction and the result by `postscale` after it. `average` is a sum
  // with a postscale of 1 / (ranks that took part).
  double prescale = 1.0;
  double postscale = 1.0;
  // alltoall: how many rows (first-dimension entries) go to each rank; empty
  // splits the first dimension evenly.
  std::vector<std::int64_t> splits;
  ProcessSetId process_set = kGlobalProcessSet;
  OutputAllocator allocate_output;
  CompletionCallback on_complete;
};

}  // namespace ringtail::core
