// A small LibTorch training loop on one process: an MLP learns a fixed linear
// map from random inputs. train_distributed.cc is this file with ringtail
// added; `diff train_single.cc train_distributed.cc` shows every change.
#include <torch/torch.h>

#include <cstdio>

int main() {
  torch::manual_seed(0);
  auto model = torch::nn::Sequential(torch::nn::Linear(32, 64), torch::nn::ReLU(),
                                     torch::nn::Linear(64, 8));
  auto optimizer = std::make_shared<torch::optim::SGD>(model->parameters(),
                                                       torch::optim::SGDOptions(0.01).momentum(0.9));
  auto& opt = *optimizer;
  const torch::Tensor target_map = torch::arange(256, torch::kFloat).reshape({32, 8}).sin();
  double first_loss = 0, loss_value = 0;
  for (int step = 0; step < 200; ++step) {
    const torch::Tensor x = torch::randn({64, 32});
    const torch::Tensor loss = torch::mse_loss(model->forward(x), x.matmul(target_map));
    opt.zero_grad();
    loss.backward();
    opt.step();
    loss_value = loss.item<double>();
    if (step == 0) first_loss = loss_value;
    if (step % 50 == 0 || step == 199) std::printf("step %d loss %.4f\n", step, loss_value);
  }
  return loss_value < 0.5 * first_loss ? 0 : 1;  // the loss must have fallen
}
