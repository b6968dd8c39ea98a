#include "ringtail/pets/train/train_options.h"

#include <charconv>

#include "ringtail/collectives/error.h"
#include "ringtail/pets/models.h"

namespace ringtail::pets::train {
namespace {

[[noreturn]] void bad(const std::string& what) { throw Error(ErrorKind::invalid_argument, what); }

// The shortest text that reads back as the same double ("0.1", not "0.10000000000000001").
std::string text(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

}  // namespace

void TrainOptions::validate() const {
  if (dataset != "pets" && dataset != "fashion-mnist") {
    bad("--dataset must be pets or fashion-mnist, not '" + dataset + "'");
  }
  if (dataset == "pets" && data.empty()) bad("--data is required for --dataset pets");
  bool known_arch = false;
  for (const auto& name : model_names()) known_arch = known_arch || name == arch;
  if (!known_arch) bad("--arch '" + arch + "' is not one of resnet18, resnet34, resnet50, small_cnn");
  if (optimizer != "sgd" && optimizer != "adamw") {
    bad("--optimizer must be sgd or adamw, not '" + optimizer + "'");
  }
  if (!(lr > 0)) bad("--lr must be positive");
  if (!(momentum >= 0 && momentum < 1)) bad("--momentum must be in [0, 1)");
  if (!(weight_decay >= 0)) bad("--weight-decay must not be negative");
  if (!(label_smoothing >= 0 && label_smoothing < 1)) bad("--label-smoothing must be in [0, 1)");
  if (epochs < 1) bad("--epochs must be at least 1");
  if (!(warmup_epochs >= 0) || warmup_epochs >= epochs) {
    bad("--warmup-epochs must be at least 0 and less than --epochs");
  }
  if (!(final_lr_fraction >= 0 && final_lr_fraction <= 1)) bad("--final-lr-fraction must be in [0, 1]");
  if (batch_size < 1) bad("--batch-size must be at least 1");
  if (accumulate < 1) bad("--accumulate must be at least 1");
  if (compression != "none" && compression != "fp16" && compression != "bf16") {
    bad("--compression must be none, fp16 or bf16, not '" + compression + "'");
  }
  if (image_size < 8) bad("--image-size must be at least 8");
  if (!(crop_scale > 0 && crop_scale <= 1)) bad("--crop-scale must be in (0, 1]");
  if (!(val_fraction >= 0 && val_fraction < 1)) bad("--val-fraction must be in [0, 1)");
  // Scoring images the model trains on would report training accuracy as
  // held-out accuracy.
  if (splits_share_images(train_split, eval_split)) {
    bad("--eval-split " + eval_split + " shares images with --train-split " + train_split +
        " (trainval is train plus val): evaluate on held-out images, e.g. --train-split train "
        "--eval-split val, or --eval-split test");
  }
  if (device != "cpu" && device != "cuda") bad("--device must be cpu or cuda, not '" + device + "'");
  if (threads < 1) bad("--threads must be at least 1");
  if (workers < 0) bad("--workers must not be negative");
  if (prefetch < 1) bad("--prefetch must be at least 1");
  if (progress != "auto" && progress != "bar" && progress != "lines" && progress != "none") {
    bad("--progress must be auto, bar, lines or none, not '" + progress + "'");
  }
  if (eval_every < 1) bad("--eval-every must be at least 1");
  if (resume && overwrite) bad("--resume and --overwrite contradict each other");
}

bool splits_share_images(const std::string& a, const std::string& b) {
  const auto part_of = [](const std::string& part, const std::string& whole) {
    return whole == "trainval" && (part == "train" || part == "val");
  };
  return a == b || part_of(a, b) || part_of(b, a);
}

std::map<std::string, std::string> TrainOptions::run_settings(int world_size) const {
  // Threads, workers, output paths and progress do not change the numbers and
  // may differ between the original run and its resumption.
  return {
      {"dataset", dataset},
      {"train-split", train_split},
      {"eval-split", eval_split},
      {"val-fraction", text(val_fraction)},
      {"image-size", std::to_string(image_size)},
      {"crop-scale", text(crop_scale)},
      {"augment", augment ? "yes" : "no"},
      {"arch", arch},
      {"optimizer", optimizer},
      {"lr", text(lr)},
      {"scale-lr", scale_lr ? "yes" : "no"},
      {"momentum", text(momentum)},
      {"nesterov", nesterov ? "yes" : "no"},
      {"weight-decay", text(weight_decay)},
      {"label-smoothing", text(label_smoothing)},
      {"epochs", std::to_string(epochs)},
      {"warmup-epochs", text(warmup_epochs)},
      {"final-lr-fraction", text(final_lr_fraction)},
      {"batch-size", std::to_string(batch_size)},
      {"accumulate", std::to_string(accumulate)},
      {"compression", compression},
      {"precision", precision},
      {"seed", std::to_string(seed)},
      {"ranks", std::to_string(world_size)},
  };
}

}  // namespace ringtail::pets::train
