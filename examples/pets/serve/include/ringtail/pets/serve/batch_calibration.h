#pragma once
// How large a batch is worth gathering for this model on this CPU. Dynamic
// batching only pays where a pass over several images costs less per image
// than one image alone; some models are as efficient at batch 1 (their
// feature maps already fill the vector units) and slower per image in
// batches (the batch's activations fall out of cache). The server times the
// model once at load and gathers no more images than the smallest batch that
// runs within a few percent of the best time per image, so batching never
// makes a model slower (docs/serving.md).

#include <cstddef>
#include <vector>

#include "ringtail/pets/serve/classifier.h"

namespace ringtail::pets::serve {

struct BatchTiming {
  std::size_t batch = 0;
  double seconds_per_image = 0;
};

// The smallest batch whose time per image is within `tolerance` (a fraction)
// of the best one; `timings` in increasing batch order, not empty.
std::size_t choose_batch_limit(const std::vector<BatchTiming>& timings, double tolerance = 0.05);

// Times `classifier` on zero images at batch 1, 2, 4, ... and `max_batch`:
// one untimed pass per size (first passes build the kernels for that shape),
// then the fastest of `repeats` passes.
std::vector<BatchTiming> time_batches(Classifier& classifier, std::size_t image_floats,
                                      std::size_t num_classes, std::size_t max_batch,
                                      int repeats = 3);

}  // namespace ringtail::pets::serve
