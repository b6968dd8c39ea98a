#include "ringtail/pets/train/optimizer_setup.h"

#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>

#include "ringtail/collectives/error.h"

namespace ringtail::pets::train {

std::shared_ptr<::torch::optim::Optimizer> make_optimizer(const TrainOptions& options,
                                                        const ::torch::nn::Module& model) {
  std::vector<::torch::Tensor> decay;
  std::vector<::torch::Tensor> no_decay;
  for (const auto& parameter : model.parameters()) {
    if (!parameter.requires_grad()) continue;
    (parameter.dim() > 1 ? decay : no_decay).push_back(parameter);
  }
  std::vector<::torch::optim::OptimizerParamGroup> groups;
  if (options.optimizer == "sgd") {
    auto sgd = [&](double weight_decay) {
      return std::make_unique<::torch::optim::SGDOptions>(::torch::optim::SGDOptions(options.lr)
                                                            .momentum(options.momentum)
                                                            .nesterov(options.nesterov)
                                                            .weight_decay(weight_decay));
    };
    groups.emplace_back(decay, sgd(options.weight_decay));
    groups.emplace_back(no_decay, sgd(0.0));
    return std::make_shared<::torch::optim::SGD>(groups, ::torch::optim::SGDOptions(options.lr));
  }
  if (options.optimizer == "adamw") {
    auto adamw = [&](double weight_decay) {
      return std::make_unique<::torch::optim::AdamWOptions>(
          ::torch::optim::AdamWOptions(options.lr).weight_decay(weight_decay));
    };
    groups.emplace_back(decay, adamw(options.weight_decay));
    groups.emplace_back(no_decay, adamw(0.0));
    return std::make_shared<::torch::optim::AdamW>(groups, ::torch::optim::AdamWOptions(options.lr));
  }
  throw Error(ErrorKind::invalid_argument, "--optimizer must be sgd or adamw, not '" + options.optimizer + "'");
}

void set_learning_rate(::torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

}  // namespace ringtail::pets::train
