#pragma once
// What the server runs a batch through. The TorchScript implementation is in
// torchscript_classifier.h; tests may plug in their own.

#include <cstddef>

namespace ringtail::pets::serve {

class Classifier {
 public:
  virtual ~Classifier() = default;
  // images: count x 3 x size x size floats (the evaluation transform's output);
  // probabilities: count x num_classes, each row summing to 1. Runs on one
  // thread at a time (the batcher's worker); may throw.
  virtual void classify(const float* images, std::size_t count, float* probabilities) = 0;
};

}  // namespace ringtail::pets::serve
