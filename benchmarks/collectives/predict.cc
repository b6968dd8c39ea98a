#include "predict.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <iomanip>
#include <ostream>
#include <stdexcept>

#include "cost_model.h"

namespace ringtail::bench {
namespace {

// The efficiency a --model run measured: host bandwidth between namespaces
// over the nominal (tc tbf) rate.
double efficiency_from(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("--fit: cannot read " + path);
  const nlohmann::json doc = nlohmann::json::parse(in);
  if (!doc.contains("model")) throw std::invalid_argument("--fit: " + path + " has no model (run with --model)");
  const double measured = doc["model"].value("node_bandwidth_gbs", 0.0);
  const double nominal = doc["model"].value("link_nominal_gbits", 0.0) / 8;
  if (measured <= 0 || nominal <= 0) {
    throw std::invalid_argument("--fit: " + path + " lacks a cross-host bandwidth and its nominal rate "
                                "(run the sweep across hosts with --model --link-nominal)");
  }
  return measured / nominal;
}

}  // namespace

void print_predictions(std::ostream& out, const Options& o) {
  const double efficiency = o.fit_path.empty() ? o.link_efficiency : efficiency_from(o.fit_path);
  const double n = static_cast<double>(o.gradient_bytes);
  out << "# alpha-beta model of allreduce, " << std::fixed << std::setprecision(1) << n / 1e6
      << " MB gradient, network at " << std::setprecision(2) << efficiency
      << " of the published rate" << (o.fit_path.empty() ? "" : " (fitted: " + o.fit_path + ")")
      << "\n# times in ms; busbw of the best in GB/s; H-D = recursive halving-doubling\n";
  for (const Instance& inst : aws_instances()) {
    out << "#\n# " << inst.name << ": " << inst.gpus << " GPUs, NVLink " << std::setprecision(0)
        << inst.nvlink_gbytes << " GB/s per GPU, network " << inst.network_gbits << " Gbit/s\n"
        << "# " << std::setw(5) << "nodes" << std::setw(6) << "GPUs" << std::setw(10) << "ring"
        << std::setw(10) << "H-D" << std::setw(14) << "hierarchical" << std::setw(14) << "best"
        << std::setw(9) << "busbw" << "\n";
    for (int nodes : {1, 2, 4, 8, 16, 32, 64}) {
      const MachineCost m = machine_of(inst, nodes, efficiency);
      const double ring = predict_ring(m, n);
      const double hd = predict_halving_doubling(m, n);
      // NCCL inside the node works on device memory: no pipeline chunks.
      const double hier = predict_hierarchical(m, n, 1);
      const double best = std::min({ring, hd, hier});
      const char* name = best == hier ? "hierarchical" : best == ring ? "ring" : "H-D";
      const double p = m.ranks;
      const double busbw = best > 0 ? n / best * 2 * (p - 1) / p / 1e9 : 0;
      out << "  " << std::setw(5) << nodes << std::setw(6) << m.ranks << std::setprecision(2)
          << std::setw(10) << ring * 1e3 << std::setw(10) << hd * 1e3 << std::setw(14)
          << hier * 1e3 << std::setw(14) << name << std::setw(9) << std::setprecision(1) << busbw
          << "\n";
    }
  }
}

}  // namespace ringtail::bench
