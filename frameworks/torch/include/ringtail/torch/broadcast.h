#pragma once
// Making ranks start from the same state: parameters and buffers, optimizer
// state, small values; and averaging metrics across ranks.

#include <ATen/core/ivalue.h>
#include <torch/optim/optimizer.h>
#include <torch/ordered_dict.h>

#include <string>
#include <vector>

#include "ringtail/torch/context.h"

namespace ringtail::torch {

// Overwrites every tensor with root's (in place, without recording autograd),
// e.g. model->named_parameters() and model->named_buffers(). Names must match
// across ranks.
void broadcast_parameters(Context& ctx, const ::torch::OrderedDict<std::string, at::Tensor>& tensors,
                          int root = 0);
void broadcast_parameters(const ::torch::OrderedDict<std::string, at::Tensor>& tensors, int root = 0);

// Makes every rank's optimizer state (per-parameter state such as momentum
// buffers and Adam moments, step counts, and the param groups' hyperparameters)
// equal to root's. Works for every LibTorch optimizer that serializes itself
// (SGD, Adam, AdamW, RMSprop, Adagrad): root's state travels in LibTorch's own
// archive format, so ranks without state yet (before their first step) get it.
void broadcast_optimizer_state(Context& ctx, ::torch::optim::Optimizer& optimizer, int root = 0);
void broadcast_optimizer_state(::torch::optim::Optimizer& optimizer, int root = 0);

// Root's bytes on every rank.
std::vector<char> broadcast_bytes(Context& ctx, const std::vector<char>& bytes, int root,
                                  const std::string& name);
// Root's value on every rank, for small serializable values (an epoch, a
// config): anything an IValue holds, pickled.
c10::IValue broadcast_object(Context& ctx, const c10::IValue& value, int root,
                             const std::string& name);
c10::IValue broadcast_object(const c10::IValue& value, int root, const std::string& name);

// The average of `value` over the ranks.
double metric_average(Context& ctx, double value, const std::string& name);
double metric_average(double value, const std::string& name);

}  // namespace ringtail::torch
