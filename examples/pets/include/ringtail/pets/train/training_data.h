#pragma once
// The data sets of training and evaluation, opened once: the Oxford-IIIT Pet
// layout (the synthetic set or the real one) or Fashion-MNIST. Hands out an
// ExampleSource per split, with the training augmentation or the evaluation
// preprocessing (eval_transform, the one serving uses too).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ringtail/pets/example_source.h"
#include "ringtail/pets/fashion_mnist.h"
#include "ringtail/pets/oxford_pets.h"

namespace ringtail::pets::train {

struct DataSpec {
  std::string dataset = "pets";    // "pets" or "fashion-mnist"
  std::filesystem::path data;      // empty for fashion-mnist: Debian's folder
  int image_size = 224;            // pets: crop size
  double crop_scale = 0.08;        // pets: smallest random-resized-crop area
  double val_fraction = 0.1;       // pets: validation draw from trainval
  std::uint64_t split_seed = 0;
};

class TrainingData {
 public:
  // Throws ringtail::Error naming the folder, file or line that is wrong.
  explicit TrainingData(const DataSpec& spec);

  // pets: trainval, train, val, test; fashion-mnist: train (or trainval), test.
  // `augment` gives the training transform, otherwise the evaluation one.
  std::shared_ptr<const ExampleSource> source(const std::string& split, bool augment) const;

  const std::vector<std::string>& class_names() const { return class_names_; }
  int in_channels() const { return spec_.dataset == "pets" ? 3 : 1; }
  // The evaluation input side (the pets crop, or 28 for Fashion-MNIST).
  int image_size() const;
  // Skipped and converted files (pets), for rank 0 to print once; empty otherwise.
  std::string report() const;

 private:
  DataSpec spec_;
  std::unique_ptr<OxfordPets> pets_;
  std::shared_ptr<const FashionMnist> mnist_train_, mnist_test_;
  std::vector<std::string> class_names_;
};

}  // namespace ringtail::pets::train
