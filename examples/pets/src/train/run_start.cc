#include "run_start.h"

#include <torch/serialize/input-archive.h>

#include "ringtail/collectives/error.h"
#include "ringtail/pets/train/checkpoint.h"
#include "ringtail/pets/train/rng_state.h"
#include "ringtail/torch/ringtail.h"
#include "data_agreement.h"

namespace fs = std::filesystem;
namespace rt = ringtail::torch;

namespace ringtail::pets::train {

void agree_or_throw(rt::Context& ctx, const std::string& error_on_rank0, const std::string& name) {
  std::string error = error_on_rank0;
  if (ctx.size() > 1) error = rt::broadcast_object(ctx, c10::IValue(error), 0, name).toStringRef();
  if (!error.empty()) throw Error(ErrorKind::invalid_argument, error);
}

std::optional<ResumeState> prepare_start(rt::Context& ctx, const TrainOptions& options,
                                         const std::map<std::string, std::string>& settings,
                                         const ModelInfo& info, ClassifierImpl& model,
                                         ::torch::optim::Optimizer& optimizer, std::ostream& out) {
  const fs::path file = options.output / kCheckpointFile;
  std::string error;
  std::optional<Checkpoint> checkpoint;
  if (ctx.rank() == 0) {
    try {
      std::error_code ec;
      fs::create_directories(options.output, ec);
      if (!fs::is_directory(options.output)) {
        throw Error(ErrorKind::invalid_argument, "--output " + options.output.string() +
                                                     ": cannot create the folder");
      }
      if (options.resume) {
        checkpoint = load_checkpoint(file);
        std::map<std::string, std::string> current = settings;
        // A checkpoint from before the listing was recorded resumes unchecked.
        if (checkpoint->settings.count(kImagesSetting) == 0) current.erase(kImagesSetting);
        const std::string differences = settings_differences(checkpoint->settings, current);
        if (!differences.empty()) {
          throw Error(ErrorKind::invalid_argument,
                      "--resume: checkpoint " + file.string() +
                          " was written by a run with other settings; resume it with the same "
                          "ones:\n" + differences);
        }
        if (checkpoint->model.class_names != info.class_names) {
          throw Error(ErrorKind::invalid_argument,
                      "--resume: checkpoint " + file.string() + " was trained on " +
                          std::to_string(checkpoint->model.class_names.size()) +
                          " classes that differ from this data set's " +
                          std::to_string(info.class_names.size()));
        }
        restore_model(*checkpoint, model, file);
        archive_from_bytes(
            checkpoint->optimizer_state,
            [&](::torch::serialize::InputArchive& archive) { optimizer.load(archive); },
            "checkpoint " + file.string() + ": optimizer state");
        out << "resuming from " << file.string() << " after epoch " << checkpoint->epochs_done
            << "/" << options.epochs << "\n";
      } else if (fs::exists(file) && !options.overwrite) {
        throw Error(ErrorKind::invalid_argument,
                    file.string() + " exists from an earlier run: pass --resume to continue it, "
                                    "--overwrite to start over, or another --output");
      }
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  agree_or_throw(ctx, error, "pets.start.status");
  if (!options.resume) return std::nullopt;

  // Counters as one small tensor; the sampler and RNG states as bytes.
  ResumeState state;
  ::torch::Tensor counters = ::torch::zeros({9}, ::torch::kFloat64);
  ::torch::Tensor rng;
  if (checkpoint) {
    counters = ::torch::tensor({static_cast<double>(checkpoint->epochs_done),
                              static_cast<double>(checkpoint->steps_done), checkpoint->loss_scale,
                              static_cast<double>(checkpoint->loss_scale_good_steps),
                              checkpoint->eval_accuracy, checkpoint->eval_top5, checkpoint->eval_loss,
                              static_cast<double>(checkpoint->rng_states.size(0)),
                              static_cast<double>(checkpoint->rng_states.dim() == 2 ? checkpoint->rng_states.size(1) : 0)},
                             ::torch::kFloat64);
    state.sampler_state = checkpoint->sampler_state;
    rng = checkpoint->rng_states;
  }
  if (ctx.size() > 1) {
    rt::broadcast_(ctx, counters, 0, "pets.resume.counters");
    std::vector<char> sampler(state.sampler_state.begin(), state.sampler_state.end());
    sampler = rt::broadcast_bytes(ctx, sampler, 0, "pets.resume.sampler");
    state.sampler_state.assign(sampler.begin(), sampler.end());
    // Rows as long as rank 0's: a CUDA run's rows hold the CUDA state too.
    const auto state_size = static_cast<std::int64_t>(counters[8].item<double>());
    if (!rng.defined()) rng = ::torch::zeros({static_cast<std::int64_t>(ctx.size()), state_size}, ::torch::kUInt8);
    const bool rng_matches = rng.dim() == 2 && rng.size(0) == ctx.size();
    agree_or_throw(ctx,
                   ctx.rank() == 0 && !rng_matches
                       ? "--resume: checkpoint " + file.string() + " has random states for " +
                             std::to_string(rng.dim() == 2 ? rng.size(0) : 0) + " ranks, not " +
                             std::to_string(ctx.size())
                       : std::string(),
                   "pets.resume.rng_status");
    rng = rng.contiguous();
    rt::broadcast_(ctx, rng, 0, "pets.resume.rng");
  }
  const auto c = counters.accessor<double, 1>();
  state.epochs_done = static_cast<int>(c[0]);
  state.steps_done = static_cast<std::int64_t>(c[1]);
  state.loss_scale = c[2];
  state.loss_scale_good_steps = static_cast<std::int64_t>(c[3]);
  state.last_eval.accuracy = c[4];
  state.last_eval.top5 = c[5];
  state.last_eval.loss = c[6];
  state.rng_states = rng;
  return state;
}

}  // namespace ringtail::pets::train
