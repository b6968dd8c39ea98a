#pragma once
// Moves a model's parameters and buffers to and from the weights file format
// (weights_file.h), by name. Loading is strict: every tensor of the model must
// be in the file with the same shape and dtype and the file may hold nothing
// else; the one exception, on request, is a classifier head of another size
// (torchvision's 1000 ImageNet classes when the model has 37), which keeps its
// fresh initialisation.

#include <filesystem>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/types.h>

#include "ringtail/pets/weights_file.h"

namespace ringtail::pets {

struct LoadWeightsOptions {
  // Skip tensors under `head_prefix` whose shape differs from the model's.
  bool replace_mismatched_head = false;
  std::string head_prefix = "fc.";
};

struct LoadWeightsReport {
  std::size_t loaded = 0;
  std::vector<std::string> skipped;  // "fc.weight: [1000, 512] in the file, [37, 512] in the model"
};

// Throws ringtail::Error listing the missing, unexpected or mismatched names.
LoadWeightsReport load_weights(::torch::nn::Module& model, const std::filesystem::path& file,
                               const LoadWeightsOptions& options = {});
LoadWeightsReport load_weights(::torch::nn::Module& model, const std::vector<NamedArray>& arrays,
                               const std::string& source, const LoadWeightsOptions& options = {});

void save_weights(const ::torch::nn::Module& model, const std::filesystem::path& file);

// The model's parameters, then its buffers, as (name, tensor) with torchvision's names.
std::vector<std::pair<std::string, ::torch::Tensor>> named_state(const ::torch::nn::Module& model);

// Conversions between a tensor (any device; copied to CPU) and a NamedArray.
NamedArray to_named_array(const std::string& name, const ::torch::Tensor& tensor);
::torch::Tensor to_tensor(const NamedArray& array);  // owns a copy of the data

}  // namespace ringtail::pets
