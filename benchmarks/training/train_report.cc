#include "train_report.h"

#include <algorithm>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <ostream>

namespace ringtail::bench {
namespace {

double total_images_per_second(const TrainReport& r) {
  double total = 0;
  for (const RankResult& x : r.ranks) total += x.images_per_second;
  return total;
}

// Phase means over ranks: every rank runs the same step, so the mean is the
// typical step and the per-rank rows show any straggler.
RankResult mean_over_ranks(const TrainReport& r) {
  RankResult m;
  if (r.ranks.empty()) return m;
  for (const RankResult& x : r.ranks) {
    m.images_per_second += x.images_per_second;
    m.step_ms += x.step_ms;
    m.forward_ms += x.forward_ms;
    m.backward_ms += x.backward_ms;
    m.wait_ms += x.wait_ms;
    m.optimizer_ms += x.optimizer_ms;
    m.overlap += x.overlap;
  }
  const double n = double(r.ranks.size());
  m.images_per_second /= n;
  m.step_ms /= n;
  m.forward_ms /= n;
  m.backward_ms /= n;
  m.wait_ms /= n;
  m.optimizer_ms /= n;
  m.overlap /= n;
  return m;
}

double share(double part, double whole) { return whole > 0 ? part / whole : 0; }

}  // namespace

std::vector<double> to_fields(const RankResult& r) {
  return {r.images_per_second, r.step_ms, r.forward_ms, r.backward_ms, r.wait_ms, r.optimizer_ms, r.overlap};
}

RankResult from_fields(const double* f) {
  return RankResult{f[0], f[1], f[2], f[3], f[4], f[5], f[6]};
}

void print_table(std::ostream& out, const TrainReport& r) {
  const TrainOptions& o = r.options;
  out << "ringtail-bench train: " << o.model << ", " << r.parameters << " parameters, " << o.classes
      << " classes, input 3x" << o.image_size << "x" << o.image_size << ", batch " << o.batch_size
      << " per rank, " << o.threads << " intra-op thread(s) per rank\n"
      << "  ranks " << r.world << ", backend " << r.engine.backend << ", allreduce " << r.engine.allreduce
      << ", fusion threshold " << r.engine.fusion_threshold_bytes << " B, cycle " << r.engine.cycle_time_ms
      << " ms" << (r.engine.autotune == "off" ? "" : " (chosen by the autotuner)") << ", compression "
      << o.compression << "\n"
      << "  warm-up " << o.warmup_steps << " steps, timed " << o.steps << " steps, SGD lr " << o.learning_rate
      << " momentum 0.9, synthetic data\n\n";
  out << std::fixed;
  out << "  rank   img/s   step ms  forward  backward  comm wait  optimizer  overlap\n";
  for (std::size_t i = 0; i < r.ranks.size(); ++i) {
    const RankResult& x = r.ranks[i];
    out << std::setw(6) << i << std::setprecision(2) << std::setw(8) << x.images_per_second
        << std::setprecision(1) << std::setw(10) << x.step_ms << std::setw(9) << x.forward_ms
        << std::setw(10) << x.backward_ms << std::setw(11) << x.wait_ms << std::setw(11) << x.optimizer_ms
        << std::setprecision(0) << std::setw(8) << 100 * x.overlap << "%\n";
  }
  const RankResult m = mean_over_ranks(r);
  out << std::setprecision(2) << "\n  total " << total_images_per_second(r) << " img/s (" << m.images_per_second
      << " per rank)\n"
      << std::setprecision(1) << "  step " << m.step_ms << " ms = forward " << 100 * share(m.forward_ms, m.step_ms)
      << "% + backward " << 100 * share(m.backward_ms, m.step_ms) << "% + comm wait "
      << 100 * share(m.wait_ms, m.step_ms) << "% + optimizer " << 100 * share(m.optimizer_ms, m.step_ms)
      << "% (+ loop " << 100 * share(m.step_ms - m.forward_ms - m.backward_ms - m.wait_ms - m.optimizer_ms, m.step_ms)
      << "%)\n"
      << "  engine per step: " << r.collectives_per_step << " collectives for " << r.tensors_per_step
      << " tensors\n";
  out.unsetf(std::ios::floatfield);
}

void print_json(std::ostream& out, const TrainReport& r) {
  const TrainOptions& o = r.options;
  const RankResult m = mean_over_ranks(r);
  std::vector<double> per_rank;
  for (const RankResult& x : r.ranks) per_rank.push_back(x.images_per_second);
  nlohmann::json j = {
      {"stack", "ringtail"},
      {"world", r.world},
      {"model", o.model},
      {"parameters", r.parameters},
      {"image_size", o.image_size},
      {"classes", o.classes},
      {"batch_size", o.batch_size},
      {"threads", o.threads},
      {"warmup_steps", o.warmup_steps},
      {"steps", o.steps},
      {"compression", o.compression},
      {"backend", r.engine.backend},
      {"allreduce", r.engine.allreduce},
      {"fusion_threshold_bytes", r.engine.fusion_threshold_bytes},
      {"cycle_time_ms", r.engine.cycle_time_ms},
      {"autotune", r.engine.autotune},
      {"img_per_s", total_images_per_second(r)},
      {"img_per_s_per_rank", per_rank},
      {"step_ms", m.step_ms},
      {"forward_ms", m.forward_ms},
      {"backward_ms", m.backward_ms},
      {"comm_wait_ms", m.wait_ms},
      {"optimizer_ms", m.optimizer_ms},
      {"comm_wait_fraction", share(m.wait_ms, m.step_ms)},
      {"overlap", m.overlap},
      {"collectives_per_step", r.collectives_per_step},
      {"tensors_per_step", r.tensors_per_step},
  };
  out << j.dump() << std::endl;
}

}  // namespace ringtail::bench
