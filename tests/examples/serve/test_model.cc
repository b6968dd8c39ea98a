#include "test_model.h"

#include <torch/script.h>
#include <torch/torch.h>

#include "ringtail/pets/breeds.h"

namespace ringtail_test {

std::vector<std::string> breed_names(int classes) {
  std::vector<std::string> names;
  for (int i = 0; i < classes; ++i) {
    names.emplace_back(ringtail::pets::oxford_breeds().at(static_cast<std::size_t>(i)).name);
  }
  return names;
}

ringtail::pets::serve::ModelConfig write_tiny_model(const std::filesystem::path& dir, int classes,
                                                     int input_size, int resize_size,
                                                     TinyModelKind kind, std::uint64_t seed) {
  torch::manual_seed(seed);
  const int outputs = kind == TinyModelKind::wrong_width ? classes + 3 : classes;
  torch::jit::Module module("TinyPetNet");
  module.register_parameter("conv_w", torch::randn({8, 3, 3, 3}) * 0.5, false);
  module.register_parameter("conv_b", torch::randn({8}) * 0.1, false);
  module.register_parameter("fc_w", torch::randn({outputs, 32}) * 0.5, false);
  module.register_parameter("fc_b", torch::randn({outputs}) * 0.1, false);
  const std::string features = R"(
    y = torch.conv2d(x, self.conv_w, self.conv_b, [2, 2], [1, 1])
    y = torch.relu(y)
    y = torch.adaptive_avg_pool2d(y, [2, 2])
)";
  std::string body;
  switch (kind) {
    case TinyModelKind::classifier:
    case TinyModelKind::wrong_width:
      body = features + "    return torch.addmm(self.fc_b, torch.flatten(y, 1), self.fc_w.t())\n";
      break;
    case TinyModelKind::returns_tuple:
      body = features +
             "    z = torch.addmm(self.fc_b, torch.flatten(y, 1), self.fc_w.t())\n"
             "    return (z, z)\n";
      break;
    case TinyModelKind::fixed_batch:
      body = features + "    return torch.addmm(self.fc_b, y.reshape([1, 32]), self.fc_w.t())\n";
      break;
  }
  module.define("def forward(self, x):\n" + body);
  std::filesystem::create_directories(dir);
  module.save((dir / "model.pt").string());

  ringtail::pets::serve::ModelConfig config;
  config.architecture = "tiny_test_cnn";
  config.classes = breed_names(classes);
  config.input_size = input_size;
  config.resize_size = resize_size;
  ringtail::pets::serve::write_model_config(dir, config);
  return config;
}

std::vector<double> reference_probabilities(const std::filesystem::path& dir,
                                            const std::vector<float>& image) {
  torch::jit::Module module = torch::jit::load((dir / "model.pt").string());
  module.eval();
  module.to(torch::kFloat64);
  const auto side = static_cast<std::int64_t>(std::lround(std::sqrt(image.size() / 3.0)));
  torch::Tensor input = torch::from_blob(const_cast<float*>(image.data()), {1, 3, side, side},
                                         torch::kFloat32)
                            .to(torch::kFloat64);
  torch::NoGradGuard no_grad;
  const torch::Tensor p = torch::softmax(module.forward({input}).toTensor(), 1).contiguous();
  return std::vector<double>(p.data_ptr<double>(), p.data_ptr<double>() + p.numel());
}

}  // namespace ringtail_test
