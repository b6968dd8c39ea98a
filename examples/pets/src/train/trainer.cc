#include "ringtail/pets/train/trainer.h"

#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <cstdarg>
#include <cmath>
#include <cstdio>
#include <optional>

#include <opencv2/core/utility.hpp>
#include <torch/cuda.h>
#include <torch/nn/functional/loss.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include "ringtail/collectives/error.h"
#include "ringtail/pets/batch_tensor.h"
#include "ringtail/pets/model_weights.h"
#include "ringtail/pets/train/checkpoint.h"
#include "ringtail/pets/train/loss_scaler.h"
#include "ringtail/pets/train/lr_schedule.h"
#include "ringtail/pets/train/metrics_log.h"
#include "ringtail/pets/train/optimizer_setup.h"
#include "ringtail/pets/train/precision.h"
#include "ringtail/pets/train/progress.h"
#include "ringtail/pets/train/rng_state.h"
#include "ringtail/pets/train/training_data.h"
#include "ringtail/torch/ringtail.h"
#include "data_agreement.h"
#include "run_start.h"

namespace fs = std::filesystem;
namespace rt = ringtail::torch;

namespace ringtail::pets::train {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string format(const char* pattern, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* pattern, ...) {
  char text[1024];
  va_list args;
  va_start(args, pattern);
  std::vsnprintf(text, sizeof text, pattern, args);
  va_end(args);
  return text;
}

::torch::Device training_device(const std::string& name, int local_rank) {
  if (name == "cpu") return ::torch::kCPU;
  if (!::torch::cuda::is_available()) {
    throw Error(ErrorKind::unsupported, "--device cuda: this LibTorch or machine has no CUDA device");
  }
  const int count = static_cast<int>(::torch::cuda::device_count());
  return ::torch::Device(::torch::kCUDA, static_cast<c10::DeviceIndex>(local_rank % count));
}

// Everything one epoch's training pass adds up, summed over ranks at its end.
struct EpochTotals {
  double loss_sum = 0;
  double correct = 0;
  double count = 0;
};

std::string describe_run(const TrainOptions& o, const TrainingData& data, std::size_t train_size,
                         std::size_t eval_size, int ranks, double peak_lr, const ::torch::Device& device) {
  const int global_batch = o.batch_size * ranks * o.accumulate;
  std::string text = format(
      "ringtail-pets train: %s on %s%s%s, %zu classes; %zu training images (%s), %zu evaluation images (%s)\n",
      o.arch.c_str(), o.dataset.c_str(), o.data.empty() ? "" : " ", o.data.string().c_str(),
      data.class_names().size(), train_size, o.train_split.c_str(), eval_size, o.eval_split.c_str());
  text += format("  %d rank%s x batch %d x %d pass%s = global batch %d; %s lr %g -> %g (warm-up %g epochs, "
                 "cosine), weight decay %g, label smoothing %g\n",
                 ranks, ranks == 1 ? "" : "s", o.batch_size, o.accumulate, o.accumulate == 1 ? "" : "es",
                 global_batch, o.optimizer.c_str(), o.lr, peak_lr, o.warmup_epochs, o.weight_decay,
                 o.label_smoothing);
  text += format("  %s on %s, %d thread%s and %d loader worker%s per rank, %d epochs, seed %llu\n",
                 o.precision.c_str(), device.str().c_str(), o.threads, o.threads == 1 ? "" : "s",
                 o.workers, o.workers == 1 ? "" : "s", o.epochs, static_cast<unsigned long long>(o.seed));
  return text;
}

JsonObject eval_json(const EvalResult& r) {
  JsonObject j;
  j.add("accuracy", r.accuracy).add("top5", r.top5).add("loss", r.loss).add("count", r.count);
  return j;
}

}  // namespace

std::string weights_digest(const ::torch::nn::Module& model) {
  uLong crc = crc32(0L, Z_NULL, 0);
  for (const auto& [name, tensor] : named_state(model)) {
    const ::torch::Tensor t = tensor.detach().cpu().contiguous();
    const auto* bytes = static_cast<const Bytef*>(t.data_ptr());
    std::size_t size = static_cast<std::size_t>(t.numel()) * t.element_size();
    while (size > 0) {
      const auto chunk = static_cast<uInt>(std::min<std::size_t>(size, 1u << 30));
      crc = crc32(crc, bytes, chunk);
      bytes += chunk;
      size -= chunk;
    }
  }
  return format("%08lx", static_cast<unsigned long>(crc));
}

TrainSummary run_training(const TrainOptions& options, std::ostream& out) {
  options.validate();
  // One thread per rank by default: ranks share the cores, and a rank's
  // loader workers and ringtail's engine thread need some too. OpenCV's own
  // pool would oversubscribe them further.
  at::set_num_threads(options.threads);
  cv::setNumThreads(1);
  rt::init();
  rt::Context& ctx = rt::default_context();
  const int rank = ctx.rank();
  const int ranks = ctx.size();
  const bool lead = rank == 0;
  const ::torch::Device device = training_device(options.device, ctx.local_rank());
  const Precision precision = parse_precision(options.precision);
  check_precision(precision, device);

  // Data: every rank opens the set (its shard is chosen per epoch).
  DataSpec spec;
  spec.dataset = options.dataset;
  spec.data = options.data;
  spec.image_size = options.image_size;
  spec.crop_scale = options.crop_scale;
  spec.val_fraction = options.val_fraction;
  spec.split_seed = options.seed;
  // A rank that cannot open the data, or lists other images or was given other
  // options than the rest, stops every rank here (data_agreement.h).
  std::optional<TrainingData> opened;
  std::shared_ptr<const ExampleSource> train_source, eval_source;
  std::string data_error;
  std::uint32_t fingerprint = 0;
  try {
    opened.emplace(spec);
    train_source = opened->source(options.train_split, options.augment);
    eval_source = opened->source(options.eval_split, /*augment=*/false);
    fingerprint = data_fingerprint(options.run_settings(ranks), opened->class_names(),
                                   {train_source.get(), eval_source.get()});
  } catch (const std::exception& e) {
    data_error = e.what();
  }
  agree_on_data(ctx, data_error, fingerprint, train_source ? train_source->size() : 0,
                eval_source ? eval_source->size() : 0);
  const TrainingData& data = *opened;
  std::map<std::string, std::string> settings = options.run_settings(ranks);
  settings[kImagesSetting] = images_setting(data.class_names(), *train_source, *eval_source);
  if (lead && !data.report().empty()) out << data.report();
  ModelInfo info;
  info.arch = options.arch;
  info.dataset = options.dataset;
  info.in_channels = data.in_channels();
  info.image_size = data.image_size();
  info.class_names = data.class_names();
  const auto num_classes = info.num_classes();

  // Model and optimizer. The same seed on every rank, and the broadcast below
  // makes sure all start from rank 0's weights anyway.
  ::torch::manual_seed(options.seed);
  const Classifier model = make_model(info.spec());
  if (!options.pretrained.empty() && !options.resume) {
    // Rank 0 reads the file and the broadcast below hands its weights to the
    // others: like a checkpoint, the file need only be on rank 0's machine, and
    // every rank stops with rank 0's error if it cannot be read.
    std::string error;
    if (lead) {
      try {
        LoadWeightsOptions load;
        load.replace_mismatched_head = true;
        load.head_prefix = model->head_prefix();
        const LoadWeightsReport report = load_weights(*model, options.pretrained, load);
        out << "loaded " << report.loaded << " tensors from " << options.pretrained.string();
        for (const auto& skipped : report.skipped) out << "; new head: " << skipped;
        out << "\n";
      } catch (const std::exception& e) {
        error = e.what();
      }
    }
    agree_or_throw(ctx, error, "pets.start.pretrained");
  }
  model->to(device);
  const auto optimizer = make_optimizer(options, *model);

  // The schedule. The per-batch rate is scaled by the batches one optimizer
  // step averages over (Goyal et al.'s linear scaling rule).
  rt::DistributedSampler::Options sampler_options;
  sampler_options.seed = options.seed;
  rt::DistributedSampler sampler(train_source->size(), rank, ranks, sampler_options);
  const std::size_t batches = sampler.samples_per_rank() / static_cast<std::size_t>(options.batch_size);
  const std::int64_t steps_per_epoch = static_cast<std::int64_t>(batches) / options.accumulate;
  if (steps_per_epoch < 1) {
    throw Error(ErrorKind::invalid_argument,
                "the training split has " + std::to_string(train_source->size()) +
                    " images, fewer than one step needs (ranks x --batch-size x --accumulate = " +
                    std::to_string(ranks * options.batch_size * options.accumulate) + ")");
  }
  const double scale = options.scale_lr ? static_cast<double>(ranks) * options.accumulate : 1.0;
  LrSchedule schedule;
  schedule.peak = options.lr * scale;
  schedule.warmup_start = schedule.peak * 0.1;
  schedule.warmup_steps = static_cast<std::int64_t>(std::llround(options.warmup_epochs * steps_per_epoch));
  schedule.total_steps = steps_per_epoch * options.epochs;
  schedule.final_fraction = options.final_lr_fraction;

  if (lead) {
    out << describe_run(options, data, train_source->size(), eval_source->size(), ranks, schedule.peak, device)
        << std::flush;
  }

  // Start: from rank 0's checkpoint when resuming, then everyone takes rank 0's state.
  const std::optional<ResumeState> resumed = prepare_start(ctx, options, settings, info, *model, *optimizer, out);
  rt::broadcast_parameters(ctx, model->named_parameters(), 0);
  rt::broadcast_parameters(ctx, model->named_buffers(), 0);
  rt::broadcast_optimizer_state(ctx, *optimizer, 0);
  int first_epoch = 0;
  std::int64_t steps_done = 0;
  std::optional<LossScaler> scaler;
  if (precision == Precision::fp16) scaler.emplace();
  EvalResult last_eval;
  last_eval.accuracy = last_eval.top5 = last_eval.loss = std::nan("");
  if (resumed) {
    first_epoch = resumed->epochs_done;
    steps_done = resumed->steps_done;
    if (scaler && resumed->loss_scale > 0) scaler->restore(resumed->loss_scale, resumed->loss_scale_good_steps);
    archive_from_bytes(
        resumed->sampler_state, [&](::torch::serialize::InputArchive& a) { sampler.load(a); },
        "checkpoint sampler state");
    set_generator_state(device, resumed->rng_states[rank]);
    last_eval = resumed->last_eval;
  }

  rt::DistributedOptimizer::Options dist_options;
  dist_options.backward_passes_per_step = options.accumulate;
  dist_options.compression = options.compression == "fp16"   ? rt::Compression::fp16
                             : options.compression == "bf16" ? rt::Compression::bf16
                                                             : rt::Compression::none;
  rt::DistributedOptimizer dist(ctx, optimizer, model->named_parameters(), dist_options);
  std::vector<::torch::Tensor> parameters = model->parameters();

  LoaderOptions train_loading;
  train_loading.batch_size = static_cast<std::size_t>(options.batch_size);
  train_loading.workers = options.workers;
  train_loading.prefetch = static_cast<std::size_t>(options.prefetch);
  train_loading.drop_last = true;
  train_loading.seed = options.seed;
  Loader loader(train_source, train_loading);
  LoaderOptions eval_loading = train_loading;
  eval_loading.drop_last = false;
  Evaluator evaluator(&ctx, eval_source, num_classes, eval_loading);

  MetricsLog metrics(options.metrics, rank);
  {
    JsonObject start;
    start.add("ranks", ranks).add("arch", options.arch).add("dataset", options.dataset)
        .add("epochs", options.epochs).add("first_epoch", first_epoch + 1)
        .add("steps_per_epoch", steps_per_epoch).add("global_batch", options.batch_size * ranks * options.accumulate)
        .add("peak_lr", schedule.peak).add("resumed", resumed.has_value())
        .add("train_images", static_cast<std::int64_t>(train_source->size()))
        .add("eval_images", static_cast<std::int64_t>(eval_source->size()));
    metrics.write("start", start);
  }

  Progress progress(resolve_progress_mode(options.progress, rank, STDOUT_FILENO), out, options.epochs,
                    steps_per_epoch * (options.epochs - first_epoch));
  const fs::path checkpoint_file = options.output / kCheckpointFile;
  const auto smoothing = ::torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(options.label_smoothing);
  const std::size_t used_per_epoch =
      static_cast<std::size_t>(steps_per_epoch * options.accumulate * options.batch_size);
  TrainSummary summary;
  summary.resumed = resumed.has_value();
  summary.first_epoch = first_epoch;
  summary.epochs_done = first_epoch;
  const Clock::time_point run_start = Clock::now();

  for (int epoch = first_epoch; epoch < options.epochs; ++epoch) {
    const Clock::time_point epoch_start = Clock::now();
    sampler.set_epoch(static_cast<std::uint64_t>(epoch));
    std::vector<std::size_t> indices = sampler.indices();
    indices.resize(used_per_epoch);  // whole optimizer steps only; the same count on every rank
    loader.start_epoch(std::move(indices), static_cast<std::uint64_t>(epoch));
    progress.start_epoch(epoch + 1, steps_per_epoch);
    model->train();
    EpochTotals totals;
    double lr = schedule.at(steps_done);
    for (std::int64_t step = 0; step < steps_per_epoch; ++step) {
      lr = schedule.at(steps_done);
      set_learning_rate(*optimizer, lr);
      for (int pass = 0; pass < options.accumulate; ++pass) {
        std::optional<Batch> batch = loader.next();
        if (!batch) throw Error(ErrorKind::backend, "training loader ended its epoch early");
        BatchTensors t = to_tensors(std::move(*batch));
        const ::torch::Tensor images = t.images.to(device);
        const ::torch::Tensor labels = t.labels.to(device);
        ::torch::Tensor logits;
        {
          AutocastGuard autocast(precision, device);
          logits = model->forward(images);
        }
        logits = logits.to(::torch::kFloat32);
        const ::torch::Tensor loss = ::torch::nn::functional::cross_entropy(logits, labels, smoothing);
        (scaler ? scaler->scale_loss(loss) : loss).backward();
        const auto n = static_cast<double>(labels.size(0));
        totals.loss_sum += loss.item<double>() * n;
        totals.correct += logits.argmax(1).eq(labels).sum().item<double>();
        totals.count += n;
      }
      if (scaler) {
        dist.synchronize();  // reduced (still scaled) gradients, the same on every rank
        const bool finite = scaler->unscale_(parameters);
        if (finite) optimizer->step();
        scaler->update(finite);
      } else {
        dist.step();
      }
      dist.zero_grad();
      ++steps_done;
      progress.update(step + 1, totals.loss_sum / totals.count,
                      totals.count * ranks / seconds_since(epoch_start));
    }
    const double train_seconds = seconds_since(epoch_start);

    // The epoch's numbers over all ranks, then the same model everywhere.
    ::torch::Tensor sums = ::torch::tensor({totals.loss_sum, totals.correct, totals.count}, ::torch::kFloat64);
    if (ranks > 1) sums = rt::allreduce(ctx, sums, "pets.train.sums", coll::ReduceOp::sum);
    const auto s = sums.accessor<double, 1>();
    const double train_loss = s[0] / s[2];
    const double train_accuracy = s[1] / s[2];
    const double images_per_second = s[2] / train_seconds;
    average_buffers(ctx, *model);

    const bool last = epoch + 1 == options.epochs;
    const bool evaluate_now = last || (epoch + 1) % options.eval_every == 0;
    if (evaluate_now) last_eval = evaluator.run(*model, device, precision);

    // Checkpoint: every rank's generator state goes to rank 0.
    ::torch::Tensor rng = generator_state(device).unsqueeze(0);
    if (ranks > 1) rng = rt::allgather(ctx, rng, "pets.checkpoint.rng");
    std::string error;
    if (lead) {
      try {
        Checkpoint checkpoint;
        checkpoint.model = info;
        checkpoint.settings = settings;
        checkpoint.epochs_done = epoch + 1;
        checkpoint.steps_done = steps_done;
        checkpoint.model_state = named_state(*model);
        checkpoint.optimizer_state =
            archive_to_bytes([&](::torch::serialize::OutputArchive& a) { optimizer->save(a); });
        checkpoint.sampler_state = archive_to_bytes([&](::torch::serialize::OutputArchive& a) { sampler.save(a); });
        checkpoint.rng_states = rng;
        if (scaler) {
          checkpoint.loss_scale = scaler->scale();
          checkpoint.loss_scale_good_steps = scaler->good_steps();
        }
        checkpoint.eval_accuracy = last_eval.accuracy;
        checkpoint.eval_top5 = last_eval.top5;
        checkpoint.eval_loss = last_eval.loss;
        save_checkpoint(checkpoint, checkpoint_file);
      } catch (const std::exception& e) {
        error = e.what();
      }
    }
    agree_or_throw(ctx, error, "pets.checkpoint.status");
    const double epoch_seconds = seconds_since(epoch_start);
    summary.epochs_done = epoch + 1;

    std::string line = format("epoch %d/%d  train loss %.4f acc %.1f%%", epoch + 1, options.epochs, train_loss,
                              100.0 * train_accuracy);
    if (evaluate_now) {
      line += format("  %s loss %.4f acc %.2f%% top-5 %.1f%%", options.eval_split.c_str(), last_eval.loss,
                     100.0 * last_eval.accuracy, 100.0 * last_eval.top5);
    }
    line += format("  lr %.4g  %.1f img/s  %.1f s", lr, images_per_second, epoch_seconds);
    progress.line(line);
    JsonObject record;
    record.add("epoch", epoch + 1).add("epochs", options.epochs).add("steps", steps_done).add("lr", lr)
        .add("train_loss", train_loss).add("train_accuracy", train_accuracy)
        .add("images_per_second", images_per_second).add("epoch_seconds", epoch_seconds);
    if (evaluate_now) record.add("eval", eval_json(last_eval));
    if (scaler) record.add("loss_scale", scaler->scale());
    metrics.write("epoch", record);
  }
  summary.seconds = seconds_since(run_start);

  // A resumed run that had already finished trains nothing: evaluate what it has.
  if (!last_eval.confusion.defined()) last_eval = evaluator.run(*model, device, precision);
  summary.final_eval = last_eval;

  // The ranks must hold the same model; a difference means a broken reduction.
  summary.weights_digest = weights_digest(*model);
  bool ranks_agree = true;
  if (ranks > 1) {
    const auto mine = static_cast<std::int64_t>(std::stoul(summary.weights_digest, nullptr, 16));
    const ::torch::Tensor all = rt::allgather(ctx, ::torch::tensor({mine}, ::torch::kInt64), "pets.final.digest");
    ranks_agree = all.eq(all[0]).all().item<bool>();
  }

  JsonObject final_record;
  final_record.add("epochs", summary.epochs_done).add("seconds", summary.seconds)
      .add("eval", eval_json(last_eval)).add("per_class_accuracy", last_eval.per_class_accuracy())
      .add("weights_digest", summary.weights_digest).add("ranks_agree", ranks_agree);
  metrics.write("final", final_record);
  if (lead) {
    out << "per-class " << options.eval_split << " accuracy (worst first):\n"
        << per_class_table(last_eval, info.class_names);
    out << format("final %s accuracy %.2f%% (top-5 %.2f%%, loss %.4f) on %lld images after %d epochs; "
                  "checkpoint %s\n",
                  options.eval_split.c_str(), 100.0 * last_eval.accuracy, 100.0 * last_eval.top5,
                  last_eval.loss, static_cast<long long>(last_eval.count), summary.epochs_done,
                  checkpoint_file.string().c_str())
        << std::flush;
  }
  if (!ranks_agree) {
    throw Error(ErrorKind::mismatch, "the ranks ended with different weights (digests differ); "
                                     "the gradient or buffer reduction is broken");
  }
  return summary;
}

}  // namespace ringtail::pets::train
