#pragma once
// Evaluation over all ranks: rank r of n evaluates examples r, r + n, ... of
// the split (no padding, so nothing is counted twice), and the sums (loss,
// correct, top-5 correct, the confusion matrix) are allreduced, so every rank
// returns the same global numbers.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "ringtail/pets/loader.h"
#include "ringtail/pets/models.h"
#include "ringtail/pets/train/precision.h"
#include "ringtail/torch/context.h"

namespace ringtail::pets::train {

struct EvalResult {
  double loss = 0;      // mean cross-entropy (no label smoothing)
  double accuracy = 0;  // fraction, 0..1
  double top5 = 0;      // fraction whose label is among the 5 (or all, if fewer) top logits
  std::int64_t count = 0;
  ::torch::Tensor confusion;  // int64 [C, C]: row = true class, column = predicted class

  // Correct / total per class (NaN for a class without examples).
  std::vector<double> per_class_accuracy() const;
};

class Evaluator {
 public:
  // `context` may be null: one process, nothing to combine.
  Evaluator(ringtail::torch::Context* context, std::shared_ptr<const ExampleSource> source,
            std::int64_t num_classes, const LoaderOptions& loader);

  // Puts `model` in eval mode (the caller switches back to train).
  EvalResult run(ClassifierImpl& model, const ::torch::Device& device, Precision precision);

  std::size_t size() const { return source_->size(); }

 private:
  ringtail::torch::Context* context_;
  std::shared_ptr<const ExampleSource> source_;
  std::int64_t num_classes_;
  Loader loader_;
  std::vector<std::size_t> shard_;
};

// Averages the floating-point buffers (BatchNorm running mean and variance)
// over the ranks. Each rank's statistics come from its own batches; averaged,
// every rank evaluates and checkpoints the same model.
void average_buffers(ringtail::torch::Context& context, ::torch::nn::Module& model);

// CSV: a header "true \ predicted,<names>", then one row per true class.
void write_confusion_csv(const std::filesystem::path& file, const ::torch::Tensor& confusion,
                         const std::vector<std::string>& class_names);

// A table of per-class accuracy, worst first: "  82.5%  Bengal (33/40)".
std::string per_class_table(const EvalResult& result, const std::vector<std::string>& class_names);

}  // namespace ringtail::pets::train
