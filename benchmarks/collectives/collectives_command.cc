#include "collectives_command.h"

#include <mpi.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <sstream>

#include "contenders.h"
#include "ringtail/collectives/algorithms/options.h"
#include "environment.h"
#include "machine.h"
#include "ringtail/bench/mpi_job.h"
#include "predict.h"
#include "report.h"
#include "sweep.h"

namespace ringtail::bench {
namespace {

bool wants(const Options& o, const std::string& peer) {
  return std::find(o.peers.begin(), o.peers.end(), peer) != o.peers.end();
}

// A size the row's name carries after `key` (" area=", " chunk="), or `fallback`.
double size_in_name(const std::string& contender, const char* key, double fallback) {
  const std::size_t at = contender.find(key);
  if (at == std::string::npos) return fallback;
  const std::size_t begin = at + std::string(key).size();
  return static_cast<double>(parse_bytes(contender.substr(begin, contender.find(' ', begin) - begin)));
}

// How many pipeline chunks the hierarchical row of `contender` cut `bytes`
// into: its " chunk=" suffix or the default size, and none where both phases
// run on Open MPI (the algorithm does not pipeline there).
double hierarchical_chunks_of(const std::string& contender, double bytes, const Options& o) {
  const std::string backend = contender.substr(9, contender.find('/', 9) - 9);  // "ringtail/<backend>/"
  const std::string local = o.local_backend.empty() ? backend : o.local_backend;
  const std::string cross = o.cross_backend.empty() ? backend : o.cross_backend;
  if (local == "mpi" && cross == "mpi") return 1;
  return hierarchical_chunks(
      bytes, size_in_name(contender, " chunk=", static_cast<double>(coll::kDefaultPipelineChunkBytes)));
}

// How a hierarchical row ran its phases inside hosts: its " local=" suffix,
// the one method the run was given, or the built-in default.
LocalPhases local_phases_of(const std::string& contender, const Options& o) {
  coll::PhaseMethod method = coll::AlgorithmOptions{}.local_method;
  if (o.local_methods.size() == 1) method = o.local_methods.front();
  if (const std::size_t at = contender.find(" local="); at != std::string::npos) {
    method = coll::parse_phase_method(contender.substr(at + 7, contender.find(' ', at + 7) - at - 7))
                 .value_or(method);
  }
  return method == coll::PhaseMethod::shm ? LocalPhases::shared_memory : LocalPhases::messages;
}

// The model prediction for a row, when the model has a formula for it.
double model_seconds(const Row& r, const MachineCost& m, const Options& o) {
  if (r.shape.op != Collective::allreduce) return 0;
  const double n = static_cast<double>(r.shape.bytes);
  const std::string& c = r.contender;
  auto has = [&](const char* s) { return c.find(s) != std::string::npos; };
  // The swept area of an shm row; the hierarchical rows keep the default.
  const double area = size_in_name(c, " area=", static_cast<double>(coll::kDefaultShmAreaBytes));
  if (has("/hierarchical")) {
    return predict_hierarchical(m, n, hierarchical_chunks_of(c, n, o), local_phases_of(c, o), area);
  }
  if (has("ringtail/") && has("/shm")) return m.hosts == 1 ? predict_shm(m, n, area) : 0;
  if (has("halving-doubling") || has("rabenseifner")) return predict_halving_doubling(m, n);
  if (has("ringtail/") && has("/ring")) return predict_ring(m, n);
  if (c == "gloo/ring" || c == "gloo/ring-chunked" || c == "mpi/tuned:ring") return predict_ring(m, n);
  return 0;
}

std::string joined(int argc, char** argv) {
  std::ostringstream out;
  out << "ringtail-bench collectives";
  for (int i = 0; i < argc; ++i) out << " " << argv[i];
  return out.str();
}

int sweep_all(const Options& o, const std::string& command) {
  Environment env(o);
  const bool root = env.rank() == 0;
  RunInfo info;
  info.ranks = env.size();
  info.hosts = env.num_hosts();
  info.hostname = env.hostname();
  info.command_line = command;
  info.link_nominal_gbits = o.link_nominal_gbits;
  info.load_average = read_load_average();
  if (o.copy_bandwidth) {
    const std::size_t copy_bytes = std::clamp<std::size_t>(o.max_bytes, std::size_t{64} << 20,
                                                           std::size_t{256} << 20);
    info.copy = measure_copy_bandwidth(env, copy_bytes);
  }
  if (o.model) {
    info.model = measure_machine_cost(env, o.backends.empty() ? "mpi" : o.backends.front(), o.cross_backend,
                                      o.max_bytes);
    info.have_model = true;
    if (root) print_model(std::cout, info.model);
  }

  std::vector<Row> all_rows;
  for (Collective op : o.ops) {
    Contenders contenders;
    add_ringtail_contenders(op, env, contenders);
    if (wants(o, "mpi")) add_mpi_contenders(op, env, false, contenders);
    if (wants(o, "mpi-tuned")) add_mpi_contenders(op, env, true, contenders);
    if (wants(o, "gloo")) add_gloo_contenders(op, env, contenders);
    if (root && !o.quiet) print_header(std::cout, info, o, op);
    std::vector<Row> rows = sweep(op, contenders, env, [&](Row& row) {
      if (row.skipped.empty() && op == Collective::allreduce && info.hosts == 1) {
        row.bound_seconds = allreduce_memory_bound_seconds(row.shape.bytes, info.ranks, info.copy.all_ranks);
      }
      if (info.have_model && row.skipped.empty()) row.model_seconds = model_seconds(row, info.model, o);
      if (root && !o.quiet) print_row(std::cout, row);
    });
    if (root && !o.quiet) print_summary(std::cout, rows);
    all_rows.insert(all_rows.end(), rows.begin(), rows.end());
  }
  if (root && !o.csv_path.empty()) write_csv(o.csv_path, info, all_rows);
  if (root && !o.json_path.empty()) write_json(o.json_path, info, all_rows);
  return 0;
}

}  // namespace

int run_collectives(int argc, char** argv) {
  Options options;
  try {
    options = parse_options(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "ringtail-bench collectives: " << e.what() << "\n";
    return 2;
  }
  if (options.predict) {
    try {
      print_predictions(std::cout, options);
    } catch (const std::exception& e) {
      std::cerr << "ringtail-bench collectives --predict: " << e.what() << "\n";
      return 2;
    }
    return 0;
  }
  if (std::find(options.peers.begin(), options.peers.end(), "mpi-tuned") != options.peers.end()) {
    prepare_mpi_tuned_environment();
  }
  const MpiSession mpi;
  int code = 0;
  try {
    code = sweep_all(options, joined(argc, argv));
  } catch (const std::exception& e) {
    // One rank failing mid-collective leaves the others waiting: end the job.
    std::cerr << "ringtail-bench collectives: " << e.what() << std::endl;
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  return code;
}

}  // namespace ringtail::bench
