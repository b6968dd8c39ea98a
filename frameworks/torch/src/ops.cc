#include "ringtail/torch/ops.h"

#include <ATen/ATen.h>

#include "ringtail/collectives/error.h"
#include "tensor_view.h"
#include "wait_all.h"

namespace ringtail::torch {

// What a Handle carries: the engine's handle, the tensors the operation reads
// and writes (alive until it completes), and where the result ends up. The
// result slot is shared with the output allocator, which the engine may call
// on its background thread; the slot holds no reference back to the handle,
// so there is no ownership cycle.
struct Handle::State {
  core::Handle engine;
  std::vector<at::Tensor> keep_alive;
  at::Tensor result;                          // known at submission (allreduce, broadcast)
  std::shared_ptr<at::Tensor> allocated;      // filled by the allocator (allgather, ...)
  std::shared_ptr<std::vector<std::int64_t>> received_splits;
};

class HandleAccess {
 public:
  static Handle make(std::shared_ptr<Handle::State> state) {
    Handle h;
    h.state_ = std::move(state);
    return h;
  }
  static Handle::State& state(const Handle& h) {
    if (!h.state_) throw Error(ErrorKind::invalid_argument, "ringtail::torch: empty handle");
    return *h.state_;
  }
};

namespace {

using detail::view_of;

// An allocator that makes an at::Tensor of the input's dtype and device with the
// shape the engine reports, and keeps it in `slot`.
core::OutputAllocator tensor_allocator(const at::Tensor& like, std::shared_ptr<at::Tensor> slot) {
  const auto options = like.options();
  return [options, slot](const core::Shape& shape) -> void* {
    *slot = at::empty(at::IntArrayRef(shape.data(), shape.size()), options);
    return slot->data_ptr();
  };
}

Handle submit(Context& ctx, core::Operation op, std::shared_ptr<Handle::State> state) {
  // The engine's copy of the operation holds the tensors too, so a Handle
  // dropped before completion does not free memory the engine still uses.
  op.on_complete = [keep_alive = state->keep_alive, result = state->result](std::exception_ptr) {};
  state->engine = ctx.runtime().enqueue(std::move(op));
  return HandleAccess::make(std::move(state));
}

core::Operation reduction(const at::Tensor& input, const at::Tensor& output, const std::string& name,
                          coll::ReduceOp op, double prescale, double postscale) {
  core::Operation operation;
  operation.type = core::OpType::allreduce;
  operation.name = name;
  operation.input = view_of(input, name);
  if (output.data_ptr() != input.data_ptr()) operation.output = view_of(output, name);
  operation.reduce_op = op;
  operation.prescale = prescale;
  operation.postscale = postscale;
  return operation;
}

}  // namespace

const std::string& Handle::name() const { return HandleAccess::state(*this).engine.name(); }

at::Tensor synchronize(const Handle& handle) {
  auto& state = HandleAccess::state(handle);
  state.engine.wait();
  if (state.allocated && state.allocated->defined()) return *state.allocated;
  return state.result;
}

bool poll(const Handle& handle) { return HandleAccess::state(handle).engine.test(); }

Handle allreduce_async(Context& ctx, const at::Tensor& tensor, const std::string& name,
                       coll::ReduceOp op, double prescale, double postscale) {
  auto state = std::make_shared<Handle::State>();
  const at::Tensor input = tensor.contiguous();
  state->result = at::empty_like(input);
  state->keep_alive = {input};
  return submit(ctx, reduction(input, state->result, name, op, prescale, postscale), state);
}

Handle allreduce_async_(Context& ctx, at::Tensor& tensor, const std::string& name,
                        coll::ReduceOp op, double prescale, double postscale) {
  auto state = std::make_shared<Handle::State>();
  state->result = tensor;
  return submit(ctx, reduction(tensor, tensor, name, op, prescale, postscale), state);
}

at::Tensor allreduce(Context& ctx, const at::Tensor& tensor, const std::string& name,
                     coll::ReduceOp op, double prescale, double postscale) {
  return synchronize(allreduce_async(ctx, tensor, name, op, prescale, postscale));
}

std::vector<at::Tensor> grouped_allreduce(Context& ctx, const std::vector<at::Tensor>& tensors,
                                          const std::vector<std::string>& names,
                                          coll::ReduceOp op) {
  if (tensors.size() != names.size()) {
    throw Error(ErrorKind::invalid_argument,
                "grouped_allreduce: " + std::to_string(tensors.size()) + " tensors but " +
                    std::to_string(names.size()) + " names");
  }
  std::vector<core::Operation> operations;
  std::vector<at::Tensor> inputs;
  std::vector<at::Tensor> results;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    inputs.push_back(tensors[i].contiguous());
    results.push_back(at::empty_like(inputs.back()));
    operations.push_back(reduction(inputs.back(), results.back(), names[i], op, 1.0, 1.0));
  }
  detail::wait_all(ctx.runtime().enqueue_group(std::move(operations)));
  return results;
}

Handle allgather_async(Context& ctx, const at::Tensor& tensor, const std::string& name) {
  auto state = std::make_shared<Handle::State>();
  const at::Tensor input = tensor.contiguous();
  state->keep_alive = {input};
  state->allocated = std::make_shared<at::Tensor>();
  core::Operation op;
  op.type = core::OpType::allgather;
  op.name = name;
  op.input = view_of(input, name);
  op.allocate_output = tensor_allocator(input, state->allocated);
  return submit(ctx, std::move(op), state);
}

at::Tensor allgather(Context& ctx, const at::Tensor& tensor, const std::string& name) {
  return synchronize(allgather_async(ctx, tensor, name));
}

void broadcast_(Context& ctx, at::Tensor& tensor, int root, const std::string& name) {
  if (!tensor.is_contiguous()) {
    throw Error(ErrorKind::invalid_argument,
                "broadcast_: tensor '" + name + "' must be contiguous to be written in place");
  }
  core::Operation op;
  op.type = core::OpType::broadcast;
  op.name = name;
  op.input = view_of(tensor, name);
  op.root = root;
  ctx.runtime().enqueue(std::move(op)).wait();
}

at::Tensor broadcast(Context& ctx, const at::Tensor& tensor, int root, const std::string& name) {
  at::Tensor copy = tensor.contiguous().clone();
  broadcast_(ctx, copy, root, name);
  return copy;
}

at::Tensor alltoall(Context& ctx, const at::Tensor& tensor, const std::string& name,
                    const std::vector<std::int64_t>& splits,
                    std::vector<std::int64_t>* received_splits) {
  auto state = std::make_shared<Handle::State>();
  const at::Tensor input = tensor.contiguous();
  state->keep_alive = {input};
  state->allocated = std::make_shared<at::Tensor>();
  core::Operation op;
  op.type = core::OpType::alltoall;
  op.name = name;
  op.input = view_of(input, name);
  op.splits = splits;
  op.allocate_output = tensor_allocator(input, state->allocated);
  Handle handle = submit(ctx, std::move(op), state);
  at::Tensor result = synchronize(handle);
  if (received_splits) *received_splits = state->engine.received_splits();
  return result;
}

at::Tensor reducescatter(Context& ctx, const at::Tensor& tensor, const std::string& name,
                         coll::ReduceOp op) {
  auto state = std::make_shared<Handle::State>();
  const at::Tensor input = tensor.contiguous();
  state->keep_alive = {input};
  state->allocated = std::make_shared<at::Tensor>();
  core::Operation operation;
  operation.type = core::OpType::reducescatter;
  operation.name = name;
  operation.input = view_of(input, name);
  operation.reduce_op = op;
  operation.allocate_output = tensor_allocator(input, state->allocated);
  return synchronize(submit(ctx, std::move(operation), state));
}

void barrier(Context& ctx, const std::string& name) { ctx.runtime().barrier(name).wait(); }

int join(Context& ctx) { return ctx.runtime().join(); }

at::Tensor allreduce(const at::Tensor& tensor, const std::string& name, coll::ReduceOp op) {
  return allreduce(default_context(), tensor, name, op);
}
Handle allreduce_async(const at::Tensor& tensor, const std::string& name, coll::ReduceOp op) {
  return allreduce_async(default_context(), tensor, name, op);
}
std::vector<at::Tensor> grouped_allreduce(const std::vector<at::Tensor>& tensors,
                                          const std::vector<std::string>& names,
                                          coll::ReduceOp op) {
  return grouped_allreduce(default_context(), tensors, names, op);
}
at::Tensor allgather(const at::Tensor& tensor, const std::string& name) {
  return allgather(default_context(), tensor, name);
}
at::Tensor broadcast(const at::Tensor& tensor, int root, const std::string& name) {
  return broadcast(default_context(), tensor, root, name);
}
void broadcast_(at::Tensor& tensor, int root, const std::string& name) {
  broadcast_(default_context(), tensor, root, name);
}
at::Tensor alltoall(const at::Tensor& tensor, const std::string& name,
                    const std::vector<std::int64_t>& splits,
                    std::vector<std::int64_t>* received_splits) {
  return alltoall(default_context(), tensor, name, splits, received_splits);
}
at::Tensor reducescatter(const at::Tensor& tensor, const std::string& name, coll::ReduceOp op) {
  return reducescatter(default_context(), tensor, name, op);
}
void barrier(const std::string& name) { barrier(default_context(), name); }
int join() { return join(default_context()); }

}  // namespace ringtail::torch
