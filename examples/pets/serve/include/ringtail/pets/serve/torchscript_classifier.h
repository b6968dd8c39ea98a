#pragma once
// The model of a model directory: model.pt loaded with torch::jit::load, put in
// eval mode, frozen and optimized for inference, and checked against model.json
// (forward on a 1- and a 2-image batch must return N x classes logits). LibTorch
// stays inside the .cc file, so the server compiles without its headers.

#include <filesystem>
#include <memory>

#include "ringtail/pets/serve/classifier.h"
#include "ringtail/pets/serve/model_config.h"

namespace ringtail::pets::serve {

struct LoadOptions {
  bool optimize = true;  // freeze + optimize_for_inference; off only to compare
};

class TorchScriptClassifier : public Classifier {
 public:
  // Throws ringtail::Error naming the file and what is wrong.
  TorchScriptClassifier(const std::filesystem::path& model_dir, const ModelConfig& config,
                        LoadOptions options = {});
  ~TorchScriptClassifier() override;

  void classify(const float* images, std::size_t count, float* probabilities) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// LibTorch's intra-op thread count for this process (the forward pass).
void set_intra_op_threads(int threads);
int intra_op_threads();

}  // namespace ringtail::pets::serve
