#pragma once
// The model directory that `ringtail-pets export` writes and `ringtail-pets
// serve` reads (docs/serving.md is the contract):
//
//   model.pt    TorchScript module; forward(float32 N x 3 x S x S) -> N x C logits
//   model.json  {"format": "ringtail-pets/1", "model_file": "model.pt",
//                "architecture": "resnet18", "classes": [C names in class-id order],
//                "input_size": 224, "resize_size": 256,
//                "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
//
// The file is validated strictly: a missing or mistyped key, an unknown key
// (free-form extras go under "info"), or a value out of range is an error that
// names the file and the key, so a bad export fails at start, not at the first
// request. The preprocessing the server applies comes from here, through the
// same eval_transform() that evaluation uses.

#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "ringtail/pets/transforms.h"

namespace ringtail::pets::serve {

inline constexpr const char* kModelFormat = "ringtail-pets/1";
inline constexpr const char* kModelConfigFile = "model.json";

struct ModelConfig {
  std::string model_file = "model.pt";  // a file name inside the model directory
  std::string architecture;             // informational, e.g. "resnet18"
  std::vector<std::string> classes;     // class-id order; the model's output width
  int input_size = 224;                 // centre crop, input_size x input_size
  int resize_size = 256;                // shorter side resized to this first
  std::array<float, 3> mean{0.485f, 0.456f, 0.406f};  // RGB
  std::array<float, 3> std{0.229f, 0.224f, 0.225f};

  EvalTransform eval_transform() const;
};

// Reads and validates `directory`/model.json and checks that the model file
// exists. Throws ringtail::Error (invalid_argument) naming what is wrong.
ModelConfig load_model_config(const std::filesystem::path& directory);

// Validates JSON text; `source` names it in error messages.
ModelConfig parse_model_config(const std::string& text, const std::string& source);

std::string to_json_text(const ModelConfig& config);  // pretty-printed, newline-terminated
// Writes `directory`/model.json (the directory must exist). For export and tests.
void write_model_config(const std::filesystem::path& directory, const ModelConfig& config);

}  // namespace ringtail::pets::serve
