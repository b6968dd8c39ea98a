#include "ringtail/torch/distributed_optimizer.h"

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/variable.h>
#include <torch/torch.h>

#include <atomic>
#include <mutex>

#include "ringtail/collectives/error.h"
#include "ringtail/core/runtime.h"
#include "tensor_view.h"

namespace ringtail::torch {

using Clock = std::chrono::steady_clock;

// Per-parameter state. `reduced` is the tensor the engine reduces in place:
// the gradient itself, or its 16-bit copy under compression.
struct Slot {
  std::string name;
  at::Tensor parameter;
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

  Impl(Context& c, Options o) : context(c), options(std::move(o)) {}

  class GradientReadyHook;

  void on_gradient_ready(std::size_t index);
  void submit(Slot& slot);
  void synchronize();
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
  }
  at::Tensor grad = parameter.grad();
  slot.reduced = options.compression == Compression::none
                     ? grad
                     : grad.to(compressed_type(options.compression));
  core::Operation op;
  op.type = core::OpType::allreduce;
  op.name = slot.name;
  op.input = detail::view_of(slot.reduced, slot.name);
  op.reduce_op = options.op;
  op.prescale = 1.0 / options.gradient_predivide_factor;
  op.postscale = options.gradient_predivide_factor / options.backward_passes_per_step;
  slot.completed_at = std::make_shared<std::atomic<Clock::rep>>(0);
  op.on_complete = [done = slot.completed_at](std::exception_ptr) {
    done->store(Clock::now().time_since_epoch().count());
  };
  slot.submitted_at = Clock::now();
  slot.handle = context.runtime().enqueue(std::move(op));
  slot.submitted = true;
}

void DistributedOptimizer::Impl::synchronize() {
  std::lock_guard<std::mutex> lock(mutex);
  for (Slot& slot : slots) {
    if (!slot.submitted) submit(slot);
  }
  timings.clear();
  std::exception_ptr first_error;
  for (Slot& slot : slots) {
    try {
      slot.handle.wait();
      if (options.compression != Compression::none) slot.parameter.mutable_grad().copy_(slot.reduced);
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
    slot.reduced = at::Tensor();
    slot.handle = core::Handle();
  }
  // Every handle is waited for before an error is rethrown, so no operation
  // still writes into a gradient once the caller sees the error.
  if (first_error) std::rethrow_exception(first_error);
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
  for (const auto& item : named_parameters) {
    if (!item.value().requires_grad()) continue;
    Slot slot;
    slot.name = impl_->options.name_prefix + item.key();
    slot.parameter = item.value();
    impl_->slots.push_back(std::move(slot));
  }
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
  // Operations still in flight write into gradients: let them finish, and drop
  // the hooks so a later backward cannot call into a destroyed optimizer.
  for (Slot& slot : impl_->slots) {
    if (slot.submitted) slot.handle.wait_for(std::chrono::seconds(60));
  }
  for (auto& [accumulator, key] : impl_->hooks) accumulator->del_post_hook(key);
}

void DistributedOptimizer::synchronize() { impl_->synchronize(); }

void DistributedOptimizer::step() {
  impl_->synchronize();
  optimizer_->step();
}

void DistributedOptimizer::zero_grad() { optimizer_->zero_grad(); }

std::vector<DistributedOptimizer::Timing> DistributedOptimizer::last_timings() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->timings;
}

}  // namespace ringtail::torch
