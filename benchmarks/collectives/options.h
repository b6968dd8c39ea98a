#pragma once
// Command-line options of `ringtail-bench collectives`.

#include <cstddef>
#include <string>
#include <vector>

#include "collective.h"
#include "ringtail/collectives/algorithms/options.h"
#include "ringtail/collectives/data_type.h"

namespace ringtail::bench {

struct Options {
  std::vector<Collective> ops{Collective::allreduce};
  std::size_t min_bytes = std::size_t{1} << 20;    // -b
  std::size_t max_bytes = std::size_t{256} << 20;  // -e
  double factor = 2;                               // -f
  int warmup = 2;                                  // -w
  int iterations = 10;                             // -n
  double budget_seconds = 5;  // --budget: fewer iterations when one size would take longer
  int rounds = 1;             // --rounds: interleaved repetitions, the median is reported
  coll::DataType type = coll::DataType::f32;       // -d
  coll::ReduceOp reduce = coll::ReduceOp::sum;     // -o
  bool check = true;                               // -c 0 turns the #wrong check off

  // ringtail rows: backends x algorithms, optional segment sweep.
  std::vector<std::string> backends{"mpi"};
  std::vector<std::string> algorithms{"native", "ring", "hierarchical", "shm", "auto"};
  std::vector<std::size_t> segments;  // empty: the default segment
  std::vector<std::size_t> chunks;    // hierarchical pipeline chunks; empty: the default
  // hierarchical phases inside hosts to compare; empty: the built-in default.
  std::vector<coll::PhaseMethod> local_methods;
  coll::PhaseMethod cross_method = coll::AlgorithmOptions{}.cross_method;
  std::string local_backend;  // hierarchical: backend inside hosts (default: each row's)
  std::string cross_backend;  // hierarchical: backend across hosts

  // peer rows.
  std::vector<std::string> peers{"mpi", "mpi-tuned", "gloo"};
  std::vector<int> mpi_tuned{3, 4, 5, 6};  // coll_tuned_allreduce_algorithm values

  // Topology: the host name for this rank (default gethostname), or fake hosts
  // of this many consecutive ranks each.
  std::string hostname;
  int ranks_per_fake_host = 0;
  std::string gloo_interface;  // Gloo peers and backend: interface name; default loopback

  bool copy_bandwidth = true;  // measure memcpy bandwidth for the bound
  bool model = false;          // fit alpha-beta from point-to-point and predict each row
  std::string csv_path;
  std::string json_path;
  bool quiet = false;  // table to stdout only when false

  // --predict: no MPI, print the cost model for AWS clusters.
  bool predict = false;
  std::size_t gradient_bytes = std::size_t{100} << 20;
  double link_efficiency = 0.9;  // achieved / published network bandwidth
  std::string fit_path;          // JSON of a sweep with --model: efficiency from its cross link
  double link_nominal_gbits = 0; // --model runs: the link's nominal rate (tc tbf rate), recorded
};

// Throws std::invalid_argument naming the bad option; prints help and exits on -h.
Options parse_options(int argc, char** argv);
std::string usage();

// "1M" -> 1048576; accepts K, M, G (powers of 1024) and plain bytes.
std::size_t parse_bytes(const std::string& text);
std::string format_bytes(std::size_t bytes);

}  // namespace ringtail::bench
