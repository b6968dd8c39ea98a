#pragma once
// The negotiation messages. A Request says "this rank has submitted tensor
// <name> with this signature"; a Response says "every rank has it: run it"
// (or: it failed validation, or: shut down, or: a process-set change). Both
// travel in the slow path (controller.h); Responses also live in the response
// cache, which is why a Response carries the full signature.

#include <cstdint>
#include <string>
#include <vector>

#include "ringtail/collectives/data_type.h"
#include "ringtail/core/operation.h"
#include "ringtail/core/tensor.h"

namespace ringtail::core::detail {

// What must agree across ranks for one named operation.
struct Signature {
  OpType op = OpType::allreduce;
  coll::DataType dtype = coll::DataType::f32;
  // allgather and alltoall: only the dimensions after the first must agree.
  // add_process_set: the ranks of the new set.
  Shape shape;
  coll::ReduceOp reduce_op = coll::ReduceOp::sum;
  int root = 0;  // broadcast root; remove_process_set: the set's id
  Device device;
  double prescale = 1.0;
  double postscale = 1.0;
};

// Whether the first dimension may differ across ranks.
bool first_dimension_varies(OpType op);
// Equal in every field that must agree (the cache's hit test).
bool compatible(const Signature& a, const Signature& b);

struct Request {
  std::string name;
  Signature signature;
  std::string detail;  // shutdown: the reason
};

enum class ResponseKind : std::uint8_t {
  run,        // every rank that takes part has submitted it: run it
  error,      // validation failed: complete it with `message` (ErrorKind::mismatch)
  shutdown,   // stop the engine on every rank with `message`
};

struct Response {
  ResponseKind kind = ResponseKind::run;
  std::string name;
  Signature signature;  // the coordinator's copy (rank order: the lowest rank's)
  // How many ranks contributed data (joined ranks that had not submitted it
  // stand in with the reduction's identity); averages divide by it.
  std::int32_t contributors = 0;
  std::string message;
};

void encode(const std::vector<Request>& requests, std::vector<std::uint8_t>& out);
std::vector<Request> decode_requests(const std::uint8_t* data, std::size_t size);

void encode(const std::vector<Response>& responses, std::vector<std::uint8_t>& out);
std::vector<Response> decode_responses(const std::uint8_t* data, std::size_t size);

}  // namespace ringtail::core::detail
