// `ringtail-bench train`, in the spirit of Horovod's synthetic benchmark: one
// fixed random batch per rank, so the measurement is the model's compute plus
// ringtail's gradient exchange and nothing of the input pipeline.
#include <torch/torch.h>

#include <chrono>
#include <fstream>
#include <iostream>

#include "ringtail/bench/train_command.h"
#include "ringtail/collectives/error.h"
#include "ringtail/core/config.h"
#include "ringtail/pets/models.h"
#include "ringtail/torch/ringtail.h"
#include "train_options.h"
#include "train_report.h"

namespace ringtail::bench {
namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

struct StepMarks {
  Clock::time_point start, forward_done, backward_done, wait_done, optimizer_done;
};

// Share of the allreduces' lifetimes that lay inside backward.
double overlap_of(const std::vector<torch::DistributedOptimizer::Timing>& timings, const StepMarks& m) {
  double total = 0, hidden = 0;
  for (const auto& t : timings) {
    total += ms_between(t.submitted, t.completed);
    hidden += std::max(0.0, ms_between(t.submitted, std::min(t.completed, m.backward_done)));
  }
  return total > 0 ? hidden / total : 1.0;
}

void write_trace(const std::string& path, const StepMarks& m,
                 const std::vector<torch::DistributedOptimizer::Timing>& timings) {
  std::ofstream out(path);
  if (!out) throw Error(ErrorKind::invalid_argument, "ringtail-bench train: cannot write --trace " + path);
  out << "kind,name,start_ms,end_ms\n";
  out << "phase,forward,0," << ms_between(m.start, m.forward_done) << "\n";
  out << "phase,backward," << ms_between(m.start, m.forward_done) << "," << ms_between(m.start, m.backward_done) << "\n";
  out << "phase,comm wait," << ms_between(m.start, m.backward_done) << "," << ms_between(m.start, m.wait_done) << "\n";
  out << "phase,optimizer," << ms_between(m.start, m.wait_done) << "," << ms_between(m.start, m.optimizer_done) << "\n";
  for (const auto& t : timings) {
    out << "allreduce," << t.name << "," << ms_between(m.start, t.submitted) << "," << ms_between(m.start, t.completed)
        << "\n";
  }
}

int run(const TrainOptions& o) {
  at::set_num_threads(o.threads);
  ringtail::torch::init();
  auto& ctx = ringtail::torch::default_context();
  const core::Config config = core::Config::from_environment();

  ::torch::manual_seed(ctx.rank());
  pets::Classifier model = pets::make_model({o.model, o.classes, 3});
  model->train();
  auto sgd = std::make_shared<::torch::optim::SGD>(
      model->parameters(), ::torch::optim::SGDOptions(o.learning_rate).momentum(0.9));
  torch::DistributedOptimizerOptions dopt;
  dopt.compression = o.compression == "fp16"   ? torch::Compression::fp16
                     : o.compression == "bf16" ? torch::Compression::bf16
                                               : torch::Compression::none;
  torch::broadcast_parameters(ctx, model->named_parameters());
  torch::broadcast_parameters(ctx, model->named_buffers());
  torch::DistributedOptimizer optimizer(ctx, sgd, model->named_parameters(), dopt);

  const at::Tensor images = ::torch::randn({o.batch_size, 3, o.image_size, o.image_size});
  const at::Tensor labels = ::torch::randint(o.classes, {o.batch_size}, ::torch::kLong);

  RankResult sums;
  StepMarks marks;
  auto one_step = [&] {
    marks.start = Clock::now();
    optimizer.zero_grad();
    at::Tensor loss = ::torch::nn::functional::cross_entropy(model->forward(images), labels);
    marks.forward_done = Clock::now();
    loss.backward();
    marks.backward_done = Clock::now();
    optimizer.synchronize();
    marks.wait_done = Clock::now();
    optimizer.optimizer().step();
    marks.optimizer_done = Clock::now();
  };

  for (int i = 0; i < o.warmup_steps; ++i) one_step();
  // With RINGTAIL_AUTOTUNE the timed steps measure the setting the tuner
  // chose: warm up until it is done on every rank (agreed by an allreduce, so
  // every rank runs the same number of steps).
  const auto tuned_everywhere = [&] {
    const double done = ctx.runtime().tuned_parameters().state == core::AutotuneState::done ? 1.0 : 0.0;
    return torch::allreduce(ctx, ::torch::tensor({done}, ::torch::kFloat64), "bench.train.tuned", coll::ReduceOp::min)
               .item<double>() == 1.0;
  };
  if (config.autotune) {
    constexpr int kMaxTuningSteps = 1000;
    for (int extra = 0; !tuned_everywhere(); ++extra) {
      if (extra == kMaxTuningSteps) {
        throw Error(ErrorKind::timeout, "ringtail-bench train: autotuning did not finish within " +
                                            std::to_string(kMaxTuningSteps) + " warm-up steps");
      }
      one_step();
    }
  }
  torch::barrier(ctx, "bench.train.start");
  const core::Counters before = ctx.runtime().counters();
  const Clock::time_point t0 = Clock::now();
  for (int i = 0; i < o.steps; ++i) {
    one_step();
    sums.forward_ms += ms_between(marks.start, marks.forward_done);
    sums.backward_ms += ms_between(marks.forward_done, marks.backward_done);
    sums.wait_ms += ms_between(marks.backward_done, marks.wait_done);
    sums.optimizer_ms += ms_between(marks.wait_done, marks.optimizer_done);
    sums.overlap += overlap_of(optimizer.last_timings(), marks);
  }
  // Before the closing barrier, which is an engine operation too.
  const core::Counters after = ctx.runtime().counters();
  torch::barrier(ctx, "bench.train.end");
  const double seconds = ms_between(t0, Clock::now()) / 1000;
  if (!o.trace_path.empty() && ctx.rank() == 0) write_trace(o.trace_path, marks, optimizer.last_timings());

  RankResult mine;
  mine.images_per_second = double(o.batch_size) * o.steps / seconds;
  mine.step_ms = seconds * 1000 / o.steps;
  mine.forward_ms = sums.forward_ms / o.steps;
  mine.backward_ms = sums.backward_ms / o.steps;
  mine.wait_ms = sums.wait_ms / o.steps;
  mine.optimizer_ms = sums.optimizer_ms / o.steps;
  mine.overlap = sums.overlap / o.steps;
  const std::vector<double> fields = to_fields(mine);
  const at::Tensor all = torch::allgather(
      ctx, ::torch::tensor(fields, ::torch::kFloat64).view({1, kRankResultFields}), "bench.train.results");

  if (ctx.rank() == 0) {
    TrainReport report;
    report.options = o;
    report.world = ctx.size();
    // What ran (the tuner's choice with RINGTAIL_AUTOTUNE, else the configuration).
    const core::TunedParameters ran = ctx.runtime().tuned_parameters();
    report.engine = {config.world.backend, core::to_string(ran.allreduce), ran.fusion_threshold_bytes,
                     std::chrono::duration<double, std::milli>(ran.cycle_time).count(),
                     core::to_string(ran.state)};
    for (const at::Tensor& p : model->parameters()) report.parameters += p.numel();
    const at::Tensor rows = all.contiguous();
    for (int r = 0; r < ctx.size(); ++r) report.ranks.push_back(from_fields(rows[r].data_ptr<double>()));
    report.collectives_per_step = double(after.collectives - before.collectives) / o.steps;
    report.tensors_per_step = double(after.tensors - before.tensors) / o.steps;
    if (o.json) {
      print_json(std::cout, report);
    } else {
      print_table(std::cout, report);
    }
  }
  ringtail::torch::shutdown();
  return 0;
}

}  // namespace

int run_train(int argc, char** argv) {
  try {
    const TrainOptions options = parse_train_options(argc, argv);
    if (options.help) {
      std::cout << train_usage();
      return 0;
    }
    return run(options);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}

}  // namespace ringtail::bench
