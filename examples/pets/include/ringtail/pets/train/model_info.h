#pragma once
// What it takes to rebuild a trained classifier and feed it: the architecture,
// its input, the class names in class-id order and the preprocessing. A
// checkpoint carries it, and export writes it into model.json.

#include <cstdint>
#include <string>
#include <vector>

#include "ringtail/pets/models.h"
#include "ringtail/pets/transforms.h"

namespace ringtail::pets::train {

struct ModelInfo {
  std::string arch;
  std::string dataset;                   // "pets" or "fashion-mnist"
  std::int64_t in_channels = 3;
  int image_size = 224;                  // evaluation centre crop (pets); 28 for Fashion-MNIST
  std::vector<std::string> class_names;  // class-id order; the model's output width

  std::int64_t num_classes() const { return static_cast<std::int64_t>(class_names.size()); }
  ModelSpec spec() const { return {arch, num_classes(), in_channels}; }
  // The evaluation (and serving) preprocessing of pets images.
  EvalTransform eval_transform() const { return EvalTransform::for_size(image_size); }
};

}  // namespace ringtail::pets::train
