#include "ringtail/pets/train/torchscript_export.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/pooling.h>

#include "atomic_file.h"
#include "ringtail/collectives/error.h"

namespace fs = std::filesystem;
namespace nn = torch::nn;

namespace ringtail::pets::train {
namespace {

std::string list2(const ::torch::ExpandingArray<2>& a) {
  return "[" + std::to_string((*a)[0]) + ", " + std::to_string((*a)[1]) + "]";
}

std::string number(double value) {
  char buffer[32];
  std::string text(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";  // a float literal
  return text;
}

// Writes the forward pass of a model as TorchScript statements, registering
// each tensor it reads as an attribute of `module`.
class ScriptWriter {
 public:
  ScriptWriter(ClassifierImpl& model, ::torch::jit::Module* module) : module_(module) {
    for (const auto& item : model.named_modules("", /*include_self=*/false)) {
      modules_[item.key()] = item.value();
    }
  }

  bool has(const std::string& name) const { return modules_.count(name) != 0; }

  std::shared_ptr<nn::Module> get(const std::string& name) const {
    const auto it = modules_.find(name);
    if (it == modules_.end()) {
      throw Error(ErrorKind::unsupported, "export: the model has no module '" + name + "'");
    }
    return it->second;
  }

  // `out` = layer `name` applied to `in`, for the leaf layers the models use.
  void layer(const std::string& name, const std::string& in, const std::string& out) {
    const auto module = get(name);
    if (auto* conv = module->as<nn::Conv2d>()) {
      const auto& o = conv->options;
      const auto* padding = c10::get_if<::torch::ExpandingArray<2>>(&o.padding());
      if (padding == nullptr || o.padding_mode().index() != 0 || o.transposed()) {
        throw Error(ErrorKind::unsupported, "export: convolution '" + name +
                                                "' uses padding modes this export does not write");
      }
      const std::string bias = o.bias() ? attribute(name + ".bias", conv->bias, false) : "None";
      line(out + " = torch.conv2d(" + in + ", " + attribute(name + ".weight", conv->weight, false) +
           ", " + bias + ", " + list2(o.stride()) + ", " + list2(*padding) + ", " +
           list2(o.dilation()) + ", " + std::to_string(o.groups()) + ")");
    } else if (auto* bn = module->as<nn::BatchNorm2d>()) {
      const auto& o = bn->options;
      if (!o.track_running_stats()) {
        throw Error(ErrorKind::unsupported, "export: batch norm '" + name + "' keeps no running statistics");
      }
      const std::string weight = o.affine() ? attribute(name + ".weight", bn->weight, false) : "None";
      const std::string bias = o.affine() ? attribute(name + ".bias", bn->bias, false) : "None";
      // Inference form: the running statistics, never the batch's.
      line(out + " = torch.batch_norm(" + in + ", " + weight + ", " + bias + ", " +
           attribute(name + ".running_mean", bn->running_mean, true) + ", " +
           attribute(name + ".running_var", bn->running_var, true) + ", False, 0.1, " +
           number(o.eps()) + ", True)");
    } else if (module->as<nn::ReLU>() != nullptr) {
      line(out + " = torch.relu(" + in + ")");
    } else if (auto* pool = module->as<nn::MaxPool2d>()) {
      const auto& o = pool->options;
      max_pool(in, out, list2(o.kernel_size()), list2(o.stride()), list2(o.padding()),
               list2(o.dilation()), o.ceil_mode());
    } else if (module->as<nn::Dropout>() != nullptr) {
      if (in != out) line(out + " = " + in);  // identity in eval mode
    } else if (auto* linear = module->as<nn::Linear>()) {
      // What nn::Linear computes for a 2-d input with a bias.
      const std::string weight = attribute(name + ".weight", linear->weight, false);
      if (linear->options.bias()) {
        line(out + " = torch.addmm(" + attribute(name + ".bias", linear->bias, false) + ", " + in +
             ", " + weight + ".t())");
      } else {
        line(out + " = torch.mm(" + in + ", " + weight + ".t())");
      }
    } else if (auto* sequential = module->as<nn::Sequential>()) {
      std::string current = in;
      for (std::size_t i = 0; i < sequential->size(); ++i) {
        layer(name + "." + std::to_string(i), current, out);
        current = out;
      }
      if (sequential->size() == 0 && in != out) line(out + " = " + in);
    } else {
      throw Error(ErrorKind::unsupported, "export: layer '" + name + "' (" + module->name() +
                                              ") has no TorchScript form here");
    }
  }

  void max_pool(const std::string& in, const std::string& out, const std::string& kernel,
                const std::string& stride, const std::string& padding, const std::string& dilation,
                bool ceil) {
    line(out + " = torch.max_pool2d(" + in + ", " + kernel + ", " + stride + ", " + padding + ", " +
         dilation + ", " + (ceil ? "True" : "False") + ")");
  }

  void line(const std::string& text) { body_ += "    " + text + "\n"; }
  std::string source() const { return "def forward(self, x):\n" + body_; }

 private:
  // "self.layer1_0_conv1_weight", registered once.
  std::string attribute(const std::string& name, const ::torch::Tensor& tensor, bool buffer) {
    std::string key = name;
    for (char& c : key) c = c == '.' ? '_' : c;
    if (module_ != nullptr && !registered_.count(key)) {
      module_->register_parameter(key, tensor.detach().to(::torch::kCPU, ::torch::kFloat32).clone(), buffer);
      registered_[key] = true;
    }
    return "self." + key;
  }

  ::torch::jit::Module* module_;
  std::map<std::string, std::shared_ptr<nn::Module>> modules_;
  std::map<std::string, bool> registered_;
  std::string body_;
};

void write_resnet(ScriptWriter& w) {
  w.layer("conv1", "x", "x");
  w.layer("bn1", "x", "x");
  w.line("x = torch.relu(x)");
  // The stem's pooling is a fixed part of the architecture, not a registered module.
  w.max_pool("x", "x", "[3, 3]", "[2, 2]", "[1, 1]", "[1, 1]", false);
  for (int stage = 1; stage <= 4; ++stage) {
    for (int block = 0;; ++block) {
      const std::string p = "layer" + std::to_string(stage) + "." + std::to_string(block) + ".";
      if (!w.has(p + "conv1")) break;
      w.layer(p + "conv1", "x", "out");
      w.layer(p + "bn1", "out", "out");
      w.line("out = torch.relu(out)");
      w.layer(p + "conv2", "out", "out");
      w.layer(p + "bn2", "out", "out");
      if (w.has(p + "conv3")) {  // bottleneck
        w.line("out = torch.relu(out)");
        w.layer(p + "conv3", "out", "out");
        w.layer(p + "bn3", "out", "out");
      }
      if (w.has(p + "downsample")) {
        w.layer(p + "downsample", "x", "identity");
        w.line("x = torch.relu(out + identity)");
      } else {
        w.line("x = torch.relu(out + x)");
      }
    }
  }
  w.line("x = torch.flatten(torch.adaptive_avg_pool2d(x, [1, 1]), 1)");
  w.layer("fc", "x", "x");
  w.line("return x");
}

void write_small_cnn(ScriptWriter& w) {
  w.layer("features", "x", "x");
  w.line("x = torch.flatten(torch.adaptive_avg_pool2d(x, [1, 1]), 1)");
  w.layer("dropout", "x", "x");
  w.layer("fc", "x", "x");
  w.line("return x");
}

std::string write_forward(ClassifierImpl& model, ::torch::jit::Module* module) {
  ScriptWriter writer(model, module);
  const std::string& arch = model.arch();
  if (arch.rfind("resnet", 0) == 0) {
    write_resnet(writer);
  } else if (arch == "small_cnn") {
    write_small_cnn(writer);
  } else {
    throw Error(ErrorKind::unsupported, "export: no TorchScript writer for architecture '" + arch + "'");
  }
  return writer.source();
}

}  // namespace

std::string torchscript_source(ClassifierImpl& model) { return write_forward(model, nullptr); }

::torch::jit::Module to_torchscript(ClassifierImpl& model) {
  ::torch::jit::Module module("RingtailPetsClassifier");
  const std::string source = write_forward(model, &module);
  module.define(source);
  module.eval();
  return module;
}

std::string model_json_text(const ModelInfo& info, const JsonObject& extra_info) {
  const EvalTransform transform = info.eval_transform();
  const auto& n = transform.normalization;
  JsonObject doc;
  doc.add("format", "ringtail-pets/1")
      .add("model_file", "model.pt")
      .add("architecture", info.arch)
      .add("classes", info.class_names)
      .add("input_size", transform.size)
      .add("resize_size", transform.resize)
      .add("mean", std::vector<double>{n.mean[0], n.mean[1], n.mean[2]})
      .add("std", std::vector<double>{n.std[0], n.std[1], n.std[2]})
      .add("info", extra_info);
  return doc.str(2) + "\n";
}

ExportResult export_model(ClassifierImpl& model, const ModelInfo& info, const fs::path& dir,
                          const JsonObject& extra_info) {
  if (info.in_channels != 3) {
    throw Error(ErrorKind::invalid_argument,
                "export: the model takes " + std::to_string(info.in_channels) + "-channel " +
                    info.dataset + " images; the serving contract (docs/serving.md) is RGB pets images");
  }
  model.eval();
  ::torch::jit::Module module = to_torchscript(model);

  // The check: both forms on one random batch, before anything is written.
  ::torch::NoGradGuard no_grad;
  const ::torch::Generator generator = at::detail::createCPUGenerator(12345);
  const ::torch::Tensor batch = at::randn({2, 3, info.image_size, info.image_size}, generator);
  const ::torch::Tensor expected = model.forward(batch.to(model.parameters().front().device())).cpu();
  const ::torch::Tensor actual = module.forward({batch}).toTensor();
  ExportResult result;
  result.max_abs_difference = (expected - actual).abs().max().item<double>();
  if (!(result.max_abs_difference < 1e-4)) {
    throw Error(ErrorKind::backend, "export: the TorchScript module's logits differ from the model's by " +
                                        std::to_string(result.max_abs_difference) + " (max abs)");
  }

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir)) {
    throw Error(ErrorKind::invalid_argument, "export: cannot create the folder " + dir.string());
  }
  std::ostringstream bytes;
  module.save(bytes);
  result.model_file = dir / "model.pt";
  result.config_file = dir / "model.json";
  // model.pt first: a reader that finds model.json finds its model too.
  write_file_atomically(result.model_file, {bytes.str()}, "TorchScript model");
  write_file_atomically(result.config_file, {model_json_text(info, extra_info)}, "model.json");
  return result;
}

}  // namespace ringtail::pets::train
