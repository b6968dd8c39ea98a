#pragma once
// How a training run starts on every rank: fresh, or from rank 0's
// checkpoint (--resume). Only rank 0 touches the output folder and reads the
// checkpoint (the other ranks need no access to its file system); what every
// rank needs from it is broadcast.

#include <map>
#include <optional>
#include <ostream>
#include <string>

#include <torch/optim/optimizer.h>

#include "ringtail/pets/models.h"
#include "ringtail/pets/train/evaluation.h"
#include "ringtail/pets/train/model_info.h"
#include "ringtail/pets/train/train_options.h"
#include "ringtail/torch/context.h"

namespace ringtail::pets::train {

// What a resumed run takes over from the checkpoint, on every rank.
struct ResumeState {
  int epochs_done = 0;
  std::int64_t steps_done = 0;
  double loss_scale = 0;
  std::int64_t loss_scale_good_steps = 0;
  std::string sampler_state;
  ::torch::Tensor rng_states;  // [ranks, n]
  EvalResult last_eval;
};

// Rank 0 checks the output folder; with --resume it reads and checks the
// checkpoint and loads it into `model` and `optimizer` (the caller's
// broadcasts then hand those to the other ranks). Returns, on every rank, the
// rest of the checkpoint's state, or nothing for a fresh run. Throws the same
// ringtail::Error on every rank when rank 0 finds a problem. `settings` are
// the run's (TrainOptions::run_settings plus the data listing) that the
// checkpoint's must equal.
std::optional<ResumeState> prepare_start(ringtail::torch::Context& ctx, const TrainOptions& options,
                                         const std::map<std::string, std::string>& settings,
                                         const ModelInfo& info, ClassifierImpl& model,
                                         ::torch::optim::Optimizer& optimizer, std::ostream& out);

// A failure that only rank 0 can detect (its files) must stop every rank, not
// leave the others waiting in the next collective: rank 0's message is
// broadcast and every rank throws it.
void agree_or_throw(ringtail::torch::Context& ctx, const std::string& error_on_rank0, const std::string& name);

}  // namespace ringtail::pets::train
