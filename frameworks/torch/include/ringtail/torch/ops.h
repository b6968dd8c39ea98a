#pragma once
// Collectives on at::Tensor. Every call names its tensor: ranks match
// operations by name, so the same tensor must carry the same name on every
// rank. Tensors of every dtype the collectives layer has (f16, bf16, f32, f64,
// i8, u8, i32, i64) on the CPU, and on CUDA when the build has the NCCL backend.
// Errors from the engine (a mismatch across ranks, a lost peer, a shutdown)
// are rethrown as ringtail::Error carrying the engine's message.
//
// Each function has a form taking a Context and one using the default context.

#include <ATen/Tensor.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "ringtail/collectives/data_type.h"
#include "ringtail/core/handle.h"
#include "ringtail/torch/context.h"

namespace ringtail::torch {

// An operation in flight. It keeps the tensors it reads and writes alive until
// it completes.
class Handle {
 public:
  Handle() = default;
  bool valid() const { return state_ != nullptr; }
  const std::string& name() const;

  struct State;  // defined in ops.cc

 private:
  friend class HandleAccess;
  std::shared_ptr<State> state_;
};

// The result of `handle` once it completed (blocks until then); rethrows its error.
at::Tensor synchronize(const Handle& handle);
// Whether `handle` completed. Never blocks.
bool poll(const Handle& handle);

// Allreduce into a new tensor (the input is not changed).
at::Tensor allreduce(Context& ctx, const at::Tensor& tensor, const std::string& name,
                     coll::ReduceOp op = coll::ReduceOp::average, double prescale = 1.0,
                     double postscale = 1.0);
Handle allreduce_async(Context& ctx, const at::Tensor& tensor, const std::string& name,
                       coll::ReduceOp op = coll::ReduceOp::average, double prescale = 1.0,
                       double postscale = 1.0);
// In place: `tensor` holds the result when the handle completes.
Handle allreduce_async_(Context& ctx, at::Tensor& tensor, const std::string& name,
                        coll::ReduceOp op = coll::ReduceOp::average, double prescale = 1.0,
                        double postscale = 1.0);
// Several allreduces negotiated, fused and completed together; results in order.
std::vector<at::Tensor> grouped_allreduce(Context& ctx, const std::vector<at::Tensor>& tensors,
                                          const std::vector<std::string>& names,
                                          coll::ReduceOp op = coll::ReduceOp::average);
// Concatenation of every rank's tensor along the first dimension (ranks may
// have different first dimensions).
at::Tensor allgather(Context& ctx, const at::Tensor& tensor, const std::string& name);
Handle allgather_async(Context& ctx, const at::Tensor& tensor, const std::string& name);
// `root`'s tensor, on every rank (a new tensor; the input is not changed).
at::Tensor broadcast(Context& ctx, const at::Tensor& tensor, int root, const std::string& name);
// In place.
void broadcast_(Context& ctx, at::Tensor& tensor, int root, const std::string& name);
// Rows of the first dimension go to each rank as `splits` says (empty: evenly);
// the result concatenates what arrived, in rank order. `received_splits`, when
// given, receives how many rows came from each rank.
at::Tensor alltoall(Context& ctx, const at::Tensor& tensor, const std::string& name,
                    const std::vector<std::int64_t>& splits = {},
                    std::vector<std::int64_t>* received_splits = nullptr);
// The reduction of every rank's tensor, split along the first dimension; this
// rank gets its part.
at::Tensor reducescatter(Context& ctx, const at::Tensor& tensor, const std::string& name,
                         coll::ReduceOp op = coll::ReduceOp::average);
void barrier(Context& ctx, const std::string& name = "barrier");
// This rank has no more data; returns the last rank to join once all have.
int join(Context& ctx);

// The same on the default context.
at::Tensor allreduce(const at::Tensor& tensor, const std::string& name,
                     coll::ReduceOp op = coll::ReduceOp::average);
Handle allreduce_async(const at::Tensor& tensor, const std::string& name,
                       coll::ReduceOp op = coll::ReduceOp::average);
std::vector<at::Tensor> grouped_allreduce(const std::vector<at::Tensor>& tensors,
                                          const std::vector<std::string>& names,
                                          coll::ReduceOp op = coll::ReduceOp::average);
at::Tensor allgather(const at::Tensor& tensor, const std::string& name);
at::Tensor broadcast(const at::Tensor& tensor, int root, const std::string& name);
void broadcast_(at::Tensor& tensor, int root, const std::string& name);
at::Tensor alltoall(const at::Tensor& tensor, const std::string& name,
                    const std::vector<std::int64_t>& splits = {},
                    std::vector<std::int64_t>* received_splits = nullptr);
at::Tensor reducescatter(const at::Tensor& tensor, const std::string& name,
                         coll::ReduceOp op = coll::ReduceOp::average);
void barrier(const std::string& name = "barrier");
int join();

}  // namespace ringtail::torch
