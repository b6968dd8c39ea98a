#pragma once
// `ringtail-pets export`: a trained classifier as the model directory that
// `ringtail-pets serve` loads (docs/serving.md):
//   model.pt    TorchScript; forward(float32 N x 3 x S x S) -> N x C logits
//   model.json  format, model file, architecture, class names, input and
//               resize size, normalization mean and std (and "info")
//
// LibTorch 1.13 cannot trace or script a C++ module, so the TorchScript is
// generated: the model's tensors become attributes of a torch::jit::Module and
// its forward pass is written out as TorchScript source (conv2d, batch_norm in
// inference form, max_pool2d, relu, residual additions, linear) from the
// architecture and each layer's options, then compiled by define(). The
// generated module computes what the C++ model computes in eval mode; the
// export checks that on a random batch before it writes anything.

#include <filesystem>
#include <string>

#include <torch/script.h>

#include "ringtail/pets/models.h"
#include "ringtail/pets/train/json_object.h"
#include "ringtail/pets/train/model_info.h"

namespace ringtail::pets::train {

// The TorchScript source of `model`'s eval-mode forward pass and the module
// holding copies of its tensors (names with '.' replaced by '_').
std::string torchscript_source(ClassifierImpl& model);
::torch::jit::Module to_torchscript(ClassifierImpl& model);

struct ExportResult {
  std::filesystem::path model_file;   // DIR/model.pt
  std::filesystem::path config_file;  // DIR/model.json
  double max_abs_difference = 0;      // TorchScript vs C++ on the check batch
};

// Writes DIR/model.pt and DIR/model.json (creating DIR). `info` goes into
// model.json's free-form "info" object. Throws ringtail::Error if the model
// cannot be served (not RGB), or if the TorchScript module's logits differ
// from the C++ model's by 1e-4 or more.
ExportResult export_model(ClassifierImpl& model, const ModelInfo& info, const std::filesystem::path& dir,
                          const JsonObject& extra_info = {});

// model.json's text for `info` (pretty-printed, newline-terminated).
std::string model_json_text(const ModelInfo& info, const JsonObject& extra_info);

}  // namespace ringtail::pets::train
