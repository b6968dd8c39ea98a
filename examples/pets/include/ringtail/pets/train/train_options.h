#pragma once
// Everything `ringtail-pets train` can be told, with its defaults. The command
// line fills it (cli/train_command.cc); tests fill it directly.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace ringtail::pets::train {

struct TrainOptions {
  // Data.
  std::string dataset = "pets";       // "pets" (Oxford layout) or "fashion-mnist"
  std::filesystem::path data;         // pets: required; fashion-mnist: default Debian's folder
  std::string train_split = "trainval";
  std::string eval_split = "test";
  double val_fraction = 0.1;          // pets: carved from trainval for train/val
  int image_size = 224;               // pets: training crop and evaluation centre crop
  double crop_scale = 0.08;           // pets: smallest random-resized-crop area fraction
  bool augment = true;                // false: train on the evaluation preprocessing

  // Model.
  std::string arch = "resnet18";
  std::filesystem::path pretrained;   // .rtw weights (tools/export_torchvision.py)

  // Optimisation. `lr` is the rate for one batch of `batch_size`; it is scaled
  // by the number of batches in an optimizer step (ranks x accumulate) unless
  // scale_lr is false.
  std::string optimizer = "sgd";      // "sgd" or "adamw"
  double lr = 0.1;
  bool scale_lr = true;
  double momentum = 0.9;              // sgd
  bool nesterov = false;              // sgd
  double weight_decay = 1e-4;         // on conv and linear weights, not on biases or norms
  double label_smoothing = 0.0;
  int epochs = 10;
  double warmup_epochs = 1.0;
  double final_lr_fraction = 0.0;     // cosine decay ends at this fraction of the peak
  int batch_size = 32;                // per rank and per backward pass
  int accumulate = 1;                 // backward passes per optimizer step
  std::string compression = "none";   // gradients on the wire: "none", "fp16" or "bf16"

  // Device and precision.
  std::string device = "cpu";         // "cpu" or "cuda" (one GPU per rank: cuda:local_rank)
  std::string precision = "fp32";     // "fp32", "bf16" (autocast) or "fp16" (CUDA, loss scaling)

  // Run.
  std::uint64_t seed = 0;
  int threads = 1;                    // LibTorch intra-op threads per rank
  int workers = 1;                    // loader threads per rank
  int prefetch = 4;                   // batches in flight per loader
  std::filesystem::path output = "pets-run";  // checkpoint.rtc goes here
  bool resume = false;
  bool overwrite = false;             // start over although output has a checkpoint
  std::filesystem::path metrics;      // JSON lines; "{rank}" in the name is replaced
  std::string progress = "auto";      // "auto", "bar", "lines" or "none"
  int eval_every = 1;                 // epochs between evaluations (the last always evaluates)

  // Throws ringtail::Error naming the first option that is out of range.
  void validate() const;

  // The settings a resumed run must share with the run that wrote the
  // checkpoint (model, data, schedule, batch, seed, world size), as text.
  std::map<std::string, std::string> run_settings(int world_size) const;
};

// Whether two splits hold images in common: the same split, or trainval and a
// part of it (train, val; Fashion-MNIST's train is its trainval).
bool splits_share_images(const std::string& a, const std::string& b);

}  // namespace ringtail::pets::train
