// Built against the installed package: allreduces a tensor across the ranks
// and checks the average.
#include <ringtail/torch/ringtail.h>
#include <torch/torch.h>

#include <cstdio>

int main() {
  ringtail::torch::init();
  const int n = ringtail::torch::size();
  const torch::Tensor t = torch::full({4}, static_cast<float>(ringtail::torch::rank()));
  const torch::Tensor avg = ringtail::torch::allreduce(t, "consumer.check");
  const float expected = (n - 1) / 2.0f;
  const bool ok = torch::allclose(avg, torch::full({4}, expected));
  std::printf("rank %d of %d: average %.2f (expected %.2f) %s\n", ringtail::torch::rank(), n,
              avg[0].item<float>(), expected, ok ? "ok" : "WRONG");
  ringtail::torch::shutdown();
  return ok ? 0 : 1;
}
