#pragma once
// The optimizer of a training run: SGD with momentum or AdamW, in two
// parameter groups so that weight decay applies to convolution and linear
// weights but not to biases and normalization parameters (decaying those only
// hurts; the usual practice since Goyal et al.).

#include <memory>

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include "ringtail/pets/train/train_options.h"

namespace ringtail::pets::train {

std::shared_ptr<::torch::optim::Optimizer> make_optimizer(const TrainOptions& options,
                                                        const ::torch::nn::Module& model);

void set_learning_rate(::torch::optim::Optimizer& optimizer, double lr);

}  // namespace ringtail::pets::train
