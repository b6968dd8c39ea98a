#include "ringtail/torch/distributed_optimizer.h"

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/variable.h>
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <unordered_set>

#include "ringtail/collectives/error.h"
#include "ringtail/core/runtime.h"
#include "parameter_check.h"
#include "tensor_view.h"

namespace ringtail::torch {

using Clock = std::chrono::steady_clock;

// Per-parameter state. `reduced` is the tensor the engine reduces in place:
// the gradient itself, or a contiguous copy of it (a 16-bit one under
// compression, or one of a gradient in another layout, such as channels-last)
// that synchronize() copies back into `grad`.
struct Slot {
  std::string name;
  at::Tensor parameter;
  at::Tensor grad;
  at::Tensor reduced;
  core::Handle handle;
  int passes = 0;
  bool submitted = false;
  Clock::time_point submitted_at;
  // Written by the engine's completion callback, which may run just after
  // wait() returned: atomic, and 0 until written.
  std::shared_ptr<std::atomic<Clock::rep>> completed_at;
};

struct DistributedOptimizer::Impl {
  Context& context;
  Options options;
  std::vector<Slot> slots;
  // Grad accumulators are held so they outlive the hooks registered on them
  // (autograd keeps only a weak reference to a leaf's accumulator).
  std::vector<std::pair<std::shared_ptr<::torch::autograd::Node>, std::uintptr_t>> hooks;
  mutable std::mutex mutex;  // hooks may fire on autograd's device threads
  std::vector<Timing> timings;
  // Whether synchronize() reduced the gradients and no backward pass,
  // step() or zero_grad() came since: step() after synchronize() (clipping
  // in between) must not reduce them again.
  bool synchronized = false;

  std::weak_ptr<const void> context_alive;

  Impl(Context& c, Options o) : context(c), options(std::move(o)), context_alive(c.lifetime()) {}

  core::Runtime& runtime() const {
    if (context_alive.expired()) {
      throw Error(ErrorKind::shut_down,
                  "DistributedOptimizer: the ringtail context it was built with has ended "
                  "(ringtail::torch::shutdown(), or the Context was destroyed); build a new one after init()");
    }
    return context.runtime();
  }

  class GradientReadyHook;

  void on_gradient_ready(std::size_t index);
  void submit(Slot& slot);
  void synchronize();
  void zero_grad(::torch::optim::Optimizer& optimizer);
};

namespace {

at::ScalarType compressed_type(Compression c) {
  return c == Compression::fp16 ? at::kHalf : at::kBFloat16;
}

}  // namespace

// Runs after a parameter's gradient accumulator has added this pass's gradient.
class DistributedOptimizer::Impl::GradientReadyHook : public ::torch::autograd::FunctionPostHook {
 public:
  GradientReadyHook(Impl* impl, std::size_t index) : impl_(impl), index_(index) {}
  ::torch::autograd::variable_list operator()(const ::torch::autograd::variable_list& outputs,
                                              const ::torch::autograd::variable_list&) override {
    impl_->on_gradient_ready(index_);
    return outputs;
  }

 private:
  Impl* impl_;
  std::size_t index_;
};

void DistributedOptimizer::Impl::on_gradient_ready(std::size_t index) {
  std::lock_guard<std::mutex> lock(mutex);
  synchronized = false;
  Slot& slot = slots[index];
  if (slot.submitted) {
    throw Error(ErrorKind::invalid_argument,
                "DistributedOptimizer: gradient of '" + slot.name + "' was computed more than " +
                    std::to_string(options.backward_passes_per_step) +
                    " time(s) (backward_passes_per_step) before step()");
  }
  if (++slot.passes < options.backward_passes_per_step) return;
  submit(slot);
}

void DistributedOptimizer::Impl::submit(Slot& slot) {
  at::Tensor& parameter = slot.parameter;
  if (!parameter.grad().defined()) {
    parameter.mutable_grad() = at::zeros_like(parameter);
  } else if (parameter.grad().is_sparse()) {
    // A sparse gradient (nn::Embedding with sparse(true)) has no dense memory
    // to reduce, and ranks touch different rows: it is reduced as a dense one.
    parameter.mutable_grad() = parameter.grad().to_dense();
  }
  slot.grad = parameter.grad();
  // The engine needs contiguous memory; autograd gives a gradient the
  // parameter's strides, which are not contiguous for a channels-last weight.
  slot.reduced = options.compression == Compression::none
                     ? slot.grad.contiguous()
                     : slot.grad.to(compressed_type(options.compression), /*non_blocking=*/false,
                                    /*copy=*/false, at::MemoryFormat::Contiguous);
  core::Operation op;
  op.type = core::OpType::allreduce;
  op.name = slot.name;
  op.input = detail::view_of(slot.reduced, slot.name);
  op.reduce_op = options.op;
  op.prescale = 1.0 / options.gradient_predivide_factor;
  op.postscale = options.gradient_predivide_factor / options.backward_passes_per_step;
  slot.completed_at = std::make_shared<std::atomic<Clock::rep>>(0);
  // The callback holds the tensors the engine reads and writes, so they
  // outlive the operation even if the optimizer is destroyed first.
  op.on_complete = [done = slot.completed_at, grad = slot.grad, reduced = slot.reduced](std::exception_ptr) {
    done->store(Clock::now().time_since_epoch().count());
  };
  slot.submitted_at = Clock::now();
  slot.handle = runtime().enqueue(std::move(op));
  slot.submitted = true;
}

void DistributedOptimizer::Impl::synchronize() {
  std::lock_guard<std::mutex> lock(mutex);
  if (synchronized) return;
  for (Slot& slot : slots) {
    // A parameter frozen since construction gets no gradient on any rank; the
    // wrapped optimizer skips it, as it would in one process (a zero
    // gradient would let weight decay or momentum move it).
    if (!slot.submitted && slot.passes == 0 && !slot.parameter.requires_grad()) continue;
    if (!slot.submitted) submit(slot);
  }
  timings.clear();
  std::exception_ptr first_error;
  for (Slot& slot : slots) {
    if (!slot.submitted) continue;
    try {
      slot.handle.wait();
      if (!slot.reduced.is_same(slot.grad)) slot.grad.copy_(slot.reduced);
    } catch (...) {
      if (!first_error) first_error = std::current_exception();
    }
    // A callback that has not run yet counts as completing now, which can only
    // understate the overlap.
    const Clock::rep done = slot.completed_at->load();
    timings.push_back({slot.name, slot.submitted_at,
                       done ? Clock::time_point(Clock::duration(done)) : Clock::now()});
    slot.submitted = false;
    slot.passes = 0;
    slot.grad = at::Tensor();
    slot.reduced = at::Tensor();
    slot.handle = core::Handle();
  }
  // Every handle is waited for before an error is rethrown, so no operation
  // still writes into a gradient once the caller sees the error.
  if (first_error) std::rethrow_exception(first_error);
  synchronized = true;
}

void DistributedOptimizer::Impl::zero_grad(::torch::optim::Optimizer& optimizer) {
  std::lock_guard<std::mutex> lock(mutex);
  for (const Slot& slot : slots) {
    if (slot.submitted) {
      throw Error(ErrorKind::invalid_argument,
                  "DistributedOptimizer: zero_grad() called after backward() but before step() or "
                  "synchronize(): the allreduce of '" + slot.name +
                      "' is writing into that gradient (call step() or synchronize() first)");
    }
  }
  // Passes accumulated so far are discarded with their gradients, and the
  // next synchronize() reduces whatever comes next, on every rank alike.
  for (Slot& slot : slots) slot.passes = 0;
  synchronized = false;
  optimizer.zero_grad();
}

DistributedOptimizer::DistributedOptimizer(
    Context& context, std::shared_ptr<::torch::optim::Optimizer> optimizer,
    const ::torch::OrderedDict<std::string, at::Tensor>& named_parameters, Options options)
    : optimizer_(std::move(optimizer)), impl_(std::make_unique<Impl>(context, std::move(options))) {
  if (!optimizer_) throw Error(ErrorKind::invalid_argument, "DistributedOptimizer: null optimizer");
  if (impl_->options.backward_passes_per_step < 1) {
    throw Error(ErrorKind::invalid_argument,
                "DistributedOptimizer: backward_passes_per_step must be at least 1, not " +
                    std::to_string(impl_->options.backward_passes_per_step));
  }
  if (!(impl_->options.gradient_predivide_factor > 0)) {
    throw Error(ErrorKind::invalid_argument,
                "DistributedOptimizer: gradient_predivide_factor must be positive");
  }
  // A tensor listed under several names (a weight tied between modules:
  // LibTorch's named_parameters() keeps duplicates) is reduced once, under
  // its first name; every name would reduce the same gradient again.
  std::unordered_set<const void*> seen;
  for (const auto& item : named_parameters) {
    if (!item.value().requires_grad()) continue;
    if (!seen.insert(item.value().unsafeGetTensorImpl()).second) continue;
    detail::to_data_type(item.value().scalar_type(), impl_->options.name_prefix + item.key());
    Slot slot;
    slot.name = impl_->options.name_prefix + item.key();
    slot.parameter = item.value();
    impl_->slots.push_back(std::move(slot));
  }
  // A parameter the optimizer updates but nobody named would never be
  // reduced, and the ranks would drift apart.
  std::size_t unnamed = 0;
  std::string first_shape;
  for (const auto& group : optimizer_->param_groups()) {
    for (const auto& p : group.params()) {
      if (!p.requires_grad() || seen.count(p.unsafeGetTensorImpl())) continue;
      if (unnamed++ == 0) first_shape = c10::str(p.sizes());
    }
  }
  if (unnamed > 0) {
    throw Error(ErrorKind::invalid_argument,
                "DistributedOptimizer: " + std::to_string(unnamed) +
                    " parameter(s) of the optimizer are not in named_parameters (the first has shape " +
                    first_shape + "); their gradients would not be reduced. Pass every parameter the "
                    "optimizer updates, e.g. the named_parameters() of every model it trains");
  }
  std::vector<std::string> signature;
  for (const Slot& slot : impl_->slots) {
    signature.push_back(slot.name + " " + c10::toString(slot.parameter.scalar_type()) + " " +
                        c10::str(slot.parameter.sizes()));
  }
  detail::check_same_parameters(context, std::move(signature),
                                "DistributedOptimizer.check." + impl_->options.name_prefix);
  for (std::size_t i = 0; i < impl_->slots.size(); ++i) {
    auto accumulator = ::torch::autograd::impl::grad_accumulator(impl_->slots[i].parameter);
    const std::uintptr_t key =
        accumulator->add_post_hook(std::make_unique<Impl::GradientReadyHook>(impl_.get(), i));
    impl_->hooks.emplace_back(std::move(accumulator), key);
  }
}

DistributedOptimizer::DistributedOptimizer(
    std::shared_ptr<::torch::optim::Optimizer> optimizer,
    const ::torch::OrderedDict<std::string, at::Tensor>& named_parameters, Options options)
    : DistributedOptimizer(default_context(), std::move(optimizer), named_parameters,
                           std::move(options)) {}

DistributedOptimizer::~DistributedOptimizer() {
  // Operations still in flight write into gradients: let them finish (their
  // completion callbacks keep the memory alive if they outlast the wait, which
  // is one deadline for all, not a minute per parameter), and drop the hooks
  // so a later backward cannot call into a destroyed optimizer.
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  for (Slot& slot : impl_->slots) {
    if (!slot.submitted) continue;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    slot.handle.wait_for(std::max(left, std::chrono::milliseconds(0)));
  }
  for (auto& [accumulator, key] : impl_->hooks) accumulator->del_post_hook(key);
}

void DistributedOptimizer::synchronize() { impl_->synchronize(); }

void DistributedOptimizer::step() {
  impl_->synchronize();
  optimizer_->step();
  // The next step() reduces again even if no backward pass ran, as every
  // rank does: a rank without gradients in a step (after module->zero_grad(),
  // which this class does not see) must still take part.
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->synchronized = false;
}

void DistributedOptimizer::zero_grad() { impl_->zero_grad(*optimizer_); }

std::vector<DistributedOptimizer::Timing> DistributedOptimizer::last_timings() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->timings;
}

}  // namespace ringtail::torch
