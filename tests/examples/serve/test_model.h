#pragma once
// Small TorchScript models written the way `ringtail-pets export` will write a
// model directory (model.pt + model.json), built in C++ (no Python needed),
// plus the float64 reference of the evaluation path for one image.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "test_images.h"

#include "ringtail/pets/serve/model_config.h"

namespace ringtail_test {

enum class TinyModelKind {
  classifier,    // conv -> relu -> 2x2 average pool -> linear: N x classes logits
  wrong_width,   // like classifier, but with `classes + 3` outputs
  returns_tuple, // (logits, logits)
  fixed_batch,   // reshapes with a hard-coded batch of 1
};

// The first `classes` Oxford-IIIT Pet breed names.
std::vector<std::string> breed_names(int classes);

// Writes model.pt (seeded random weights) and model.json into `dir`; returns the config.
ringtail::pets::serve::ModelConfig write_tiny_model(const std::filesystem::path& dir,
                                                     int classes = 37, int input_size = 32,
                                                     int resize_size = 36,
                                                     TinyModelKind kind = TinyModelKind::classifier,
                                                     std::uint64_t seed = 1);

// Probabilities of `dir`'s model for one preprocessed image (3 x S x S), in
// float64: the model converted to double, softmax in double.
std::vector<double> reference_probabilities(const std::filesystem::path& dir,
                                            const std::vector<float>& image);

}  // namespace ringtail_test
