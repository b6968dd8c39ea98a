#pragma once
// DistributedOptimizer wraps any torch::optim::Optimizer. It registers a hook
// on every parameter's gradient accumulator, so each gradient's allreduce is
// submitted the moment backward has produced it and runs while backward goes
// on computing the gradients of earlier layers. step() waits for all of them
// and then calls the wrapped optimizer.
//
//   auto opt = std::make_shared<torch::optim::SGD>(model->parameters(), 0.1);
//   ringtail::torch::DistributedOptimizer dist(opt, model->named_parameters());
//   loss.backward();
//   dist.step();
//
// Gradients are named by their parameter names, so ranks match them by name.
// A parameter that got no gradient in a step is reduced as zeros (so every rank
// submits the same names and nothing hangs); one frozen (requires_grad false)
// since construction is skipped, as the wrapped optimizer skips it. Every
// parameter the optimizer trains must be in named_parameters (the constructor
// checks); a tensor listed under several names (tied weights) is reduced once.
// Construction is collective: the constructor compares the parameters of all
// ranks and throws Error(mismatch) naming one that differs, instead of step()
// waiting forever for a gradient another rank never sends. A sparse gradient
// (nn::Embedding with sparse(true)) is reduced as a dense one.

#include <torch/nn/pimpl.h>
#include <torch/optim/optimizer.h>
#include <torch/ordered_dict.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "ringtail/collectives/data_type.h"
#include "ringtail/torch/context.h"

namespace ringtail::torch {

enum class Compression { none, fp16, bf16 };

struct DistributedOptimizerOptions {
  coll::ReduceOp op = coll::ReduceOp::average;  // average or sum across ranks
  // Gradient accumulation: only every k-th backward communicates; the
  // accumulated gradient is divided by k, so k passes over batches of b
  // equal one pass over a batch of k*b.
  int backward_passes_per_step = 1;
  // Cast gradients to 16 bits for the allreduce and back afterwards.
  Compression compression = Compression::none;
  // Divide gradients by this before the allreduce and multiply after it
  // (keeps large sums of fp16 gradients in range).
  double gradient_predivide_factor = 1.0;
  std::string name_prefix = "grad.";
};

class DistributedOptimizer {
 public:
  using Options = DistributedOptimizerOptions;

  // One allreduce as the optimizer saw it: when its gradient was ready
  // (submitted) and when the reduced gradient was back (completed).
  struct Timing {
    std::string name;
    std::chrono::steady_clock::time_point submitted;
    std::chrono::steady_clock::time_point completed;
  };

  DistributedOptimizer(Context& context, std::shared_ptr<::torch::optim::Optimizer> optimizer,
                       const ::torch::OrderedDict<std::string, at::Tensor>& named_parameters,
                       Options options);
  DistributedOptimizer(Context& context, std::shared_ptr<::torch::optim::Optimizer> optimizer,
                       const ::torch::OrderedDict<std::string, at::Tensor>& named_parameters)
      : DistributedOptimizer(context, std::move(optimizer), named_parameters, Options{}) {}
  // On the default context.
  DistributedOptimizer(std::shared_ptr<::torch::optim::Optimizer> optimizer,
                       const ::torch::OrderedDict<std::string, at::Tensor>& named_parameters,
                       Options options = Options{});
  ~DistributedOptimizer();
  DistributedOptimizer(const DistributedOptimizer&) = delete;
  DistributedOptimizer& operator=(const DistributedOptimizer&) = delete;

  // Waits for every gradient's allreduce (submitting those whose hooks did not
  // fire), then steps the wrapped optimizer. Rethrows an engine error. After
  // synchronize() with no backward pass since, the gradients are not reduced
  // again (so they can be clipped in between).
  void step();
  // Waits for every gradient's allreduce without stepping.
  void synchronize();
  // Zeroes the gradients through the wrapped optimizer and restarts the count
  // of backward_passes_per_step. Throws Error(invalid_argument) while
  // allreduces are in flight (after backward(), before step()/synchronize()):
  // they write into those gradients.
  void zero_grad();

  ::torch::optim::Optimizer& optimizer() { return *optimizer_; }
  // The allreduces of the last synchronize(), in submission order.
  std::vector<Timing> last_timings() const;

 private:
  struct Impl;
  std::shared_ptr<::torch::optim::Optimizer> optimizer_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ringtail::torch
