#include "ringtail/pets/serve/torchscript_classifier.h"

#include <cstring>
#include <sstream>

#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <torch/script.h>
#include <torch/version.h>

#include "ringtail/collectives/error.h"
#include "torchscript_compat.h"

namespace ringtail::pets::serve {

struct TorchScriptClassifier::Impl {
  torch::jit::Module module;
  std::string path;
  std::int64_t classes = 0;
  std::int64_t size = 0;

  torch::Tensor logits(const torch::Tensor& images) {
    const torch::IValue out = module.forward({images});
    if (!out.isTensor()) {
      throw Error(ErrorKind::invalid_argument,
                  path + ": forward returned a " + out.tagKind() +
                      "; the contract is one tensor of logits, batch x classes");
    }
    torch::Tensor t = out.toTensor();
    const std::int64_t batch = images.size(0);
    if (t.dim() != 2 || t.size(0) != batch || t.size(1) != classes) {
      std::ostringstream shape;
      shape << t.sizes();
      throw Error(ErrorKind::invalid_argument,
                  path + ": forward on a batch of " + std::to_string(batch) + " returned shape " +
                      shape.str() + "; model.json lists " + std::to_string(classes) +
                      " classes, so it must be [" + std::to_string(batch) + ", " +
                      std::to_string(classes) + "]");
    }
    if (!t.is_floating_point()) {
      throw Error(ErrorKind::invalid_argument,
                  path + ": forward returned " + std::string(c10::toString(t.scalar_type())) +
                      " values; logits must be floating point");
    }
    return t;
  }
};

namespace {

// LibTorch's messages carry C++ and TorchScript tracebacks; the last line
// that is not blank says what went wrong.
std::string message_of(const std::exception& e) {
  const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
  std::string text = c10_error ? c10_error->what_without_backtrace() : e.what();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  const auto newline = text.rfind('\n');
  return newline == std::string::npos ? text : text.substr(newline + 1);
}

}  // namespace

TorchScriptClassifier::TorchScriptClassifier(const std::filesystem::path& model_dir,
                                             const ModelConfig& config, LoadOptions options)
    : impl_(std::make_unique<Impl>()) {
  at::internal::lazy_init_num_threads();  // as in classify(): this thread's OpenMP count
  impl_->path = (model_dir / config.model_file).string();
  impl_->classes = static_cast<std::int64_t>(config.classes.size());
  impl_->size = config.input_size;
  c10::InferenceMode inference;
  torch::jit::Module module;
  try {
    module = torch::jit::load(impl_->path, torch::kCPU);
  } catch (const std::exception& e) {
    throw Error(ErrorKind::invalid_argument,
                impl_->path + " is not a TorchScript module that LibTorch " TORCH_VERSION
                              " can load: " + message_of(e));
  }
  if (!module.find_method("forward")) {
    throw Error(ErrorKind::invalid_argument, impl_->path + " has no forward method");
  }
  try {
    impl_->module = prepare_for_inference(std::move(module), options.optimize);
  } catch (const std::exception& e) {
    throw Error(ErrorKind::invalid_argument,
                impl_->path + " could not be frozen and optimized for inference: " +
                    message_of(e));
  }
  // A batch of one and of two: the output width must match model.json, and a
  // module traced with a fixed batch size shows itself here, not under load.
  for (const std::int64_t batch : {1, 2}) {
    try {
      impl_->logits(torch::zeros({batch, 3, impl_->size, impl_->size}));
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      // c10::Error, or torch::jit::JITException from the interpreter.
      throw Error(ErrorKind::invalid_argument,
                  impl_->path + ": forward fails on a batch of " + std::to_string(batch) +
                      " (float32, shape [" + std::to_string(batch) + ", 3, " +
                      std::to_string(impl_->size) + ", " + std::to_string(impl_->size) +
                      "] from model.json's input_size): " + message_of(e));
    }
  }
}

TorchScriptClassifier::~TorchScriptClassifier() = default;

void TorchScriptClassifier::classify(const float* images, std::size_t count, float* probabilities) {
  // OpenMP keeps the thread count per thread: one that never ran an ATen
  // parallel loop (the batcher's worker) would let oneDNN's convolutions use
  // OpenMP's default, one thread per core, whatever --threads says.
  at::internal::lazy_init_num_threads();
  c10::InferenceMode inference;
  const auto n = static_cast<std::int64_t>(count);
  // from_blob does not copy; the batcher's buffer outlives the call.
  const torch::Tensor input = torch::from_blob(const_cast<float*>(images),
                                               {n, 3, impl_->size, impl_->size}, torch::kFloat32);
  const torch::Tensor p =
      torch::softmax(impl_->logits(input).to(torch::kFloat32), 1).contiguous();
  std::memcpy(probabilities, p.data_ptr<float>(),
              static_cast<std::size_t>(n * impl_->classes) * sizeof(float));
}

void set_intra_op_threads(int threads) {
  if (threads < 1) {
    throw Error(ErrorKind::invalid_argument,
                "intra-op threads must be at least 1, not " + std::to_string(threads));
  }
  at::set_num_threads(threads);
}

int intra_op_threads() { return at::get_num_threads(); }

}  // namespace ringtail::pets::serve
