#pragma once
// Training checkpoints (.rtc). Rank 0 writes one at the end of every epoch:
// the model's parameters and buffers, the optimizer's state, the sampler's
// state, every rank's random generator state, the loss scaler, the epoch and
// step counts, the settings of the run and the last evaluation. `--resume`
// reads it back and continues as if the run had never stopped.
//
// File layout (little-endian):
//   magic    8 bytes  "RTCKPT\0\0"
//   version  u32      1
//   crc32    u32      zlib CRC-32 of the payload
//   size     u64      payload bytes
//   payload  a LibTorch serialize archive (zip) holding the fields below
// The explicit size and checksum turn a truncated or damaged file into a
// clear error instead of a confusing one from deep inside the zip reader.
// Files are written to a temporary name, flushed to disk, then renamed, so a
// run killed while saving leaves the previous checkpoint intact.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <torch/types.h>

#include "ringtail/pets/train/model_info.h"

namespace torch::nn {
class Module;
}
namespace torch::serialize {
class InputArchive;
class OutputArchive;
}  // namespace ::torch::serialize

namespace ringtail::pets::train {

inline constexpr const char* kCheckpointFile = "checkpoint.rtc";

struct Checkpoint {
  ModelInfo model;
  std::map<std::string, std::string> settings;  // TrainOptions::run_settings()
  std::int64_t epochs_done = 0;                 // completed epochs
  std::int64_t steps_done = 0;                  // optimizer steps taken
  std::vector<std::pair<std::string, ::torch::Tensor>> model_state;  // named_state() order, CPU
  std::string optimizer_state;  // the optimizer's own archive, as bytes
  std::string sampler_state;    // DistributedSampler::save(), as bytes
  ::torch::Tensor rng_states;     // uint8 [ranks, n]: row r is rank r's CPU generator state
  double loss_scale = 0.0;      // 0: no loss scaling
  std::int64_t loss_scale_good_steps = 0;
  // The last evaluation (NaN when none ran yet).
  double eval_accuracy = std::numeric_limits<double>::quiet_NaN();
  double eval_top5 = std::numeric_limits<double>::quiet_NaN();
  double eval_loss = std::numeric_limits<double>::quiet_NaN();
};

// Throws ringtail::Error naming the file if it cannot be written.
void save_checkpoint(const Checkpoint& checkpoint, const std::filesystem::path& file);

// Throws ringtail::Error naming the file for a missing, truncated, damaged
// (checksum), foreign or incomplete file.
Checkpoint load_checkpoint(const std::filesystem::path& file);

// Copies the checkpoint's model state into `model`, strictly by name, shape
// and dtype; throws ringtail::Error listing what does not match.
void restore_model(const Checkpoint& checkpoint, ::torch::nn::Module& model,
                   const std::filesystem::path& file);

// A model of the checkpoint's architecture holding its weights (CPU, eval mode).
Classifier model_from_checkpoint(const Checkpoint& checkpoint, const std::filesystem::path& file);

// The settings of `current` that differ from the checkpoint's, one per line
// ("--lr: 0.1 in the checkpoint, 0.2 now"); empty when the run can resume.
std::string settings_differences(const std::map<std::string, std::string>& in_checkpoint,
                                 const std::map<std::string, std::string>& current);

// The bytes of a LibTorch archive that `fill` writes, and back: how the
// optimizer's and the sampler's own save()/load() travel inside a checkpoint.
std::string archive_to_bytes(const std::function<void(::torch::serialize::OutputArchive&)>& fill);
void archive_from_bytes(const std::string& bytes,
                        const std::function<void(::torch::serialize::InputArchive&)>& read,
                        const std::string& what);

}  // namespace ringtail::pets::train
