#include "options.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <stdexcept>

namespace ringtail::bench {
namespace {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

[[noreturn]] void bad(const std::string& option, const std::string& value, const std::string& expected) {
  throw std::invalid_argument(option + " '" + value + "': expected " + expected);
}

int parse_int(const std::string& option, const std::string& value, int min) {
  char* end = nullptr;
  const long v = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || v < min || v > 1000000000) {
    bad(option, value, "an integer >= " + std::to_string(min));
  }
  return static_cast<int>(v);
}

double parse_double(const std::string& option, const std::string& value, double min) {
  char* end = nullptr;
  const double v = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || !std::isfinite(v) || v < min) {
    bad(option, value, "a number >= " + std::to_string(min));
  }
  return v;
}

}  // namespace

std::size_t parse_bytes(const std::string& text) {
  if (text.empty()) throw std::invalid_argument("empty size");
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  std::string suffix(end);
  double scale = 1;
  if (suffix == "K" || suffix == "k" || suffix == "KiB") scale = 1024.0;
  else if (suffix == "M" || suffix == "m" || suffix == "MiB") scale = 1024.0 * 1024;
  else if (suffix == "G" || suffix == "g" || suffix == "GiB") scale = 1024.0 * 1024 * 1024;
  else if (!suffix.empty() && suffix != "B") throw std::invalid_argument("size '" + text + "': unknown suffix");
  if (!std::isfinite(v) || v < 0) throw std::invalid_argument("size '" + text + "' is negative");
  return static_cast<std::size_t>(v * scale);
}

std::string format_bytes(std::size_t bytes) {
  const char* units[] = {"B", "K", "M", "G"};
  int u = 0;
  double v = static_cast<double>(bytes);
  while (u < 3 && v >= 1024 && std::fmod(v, 1024) == 0) {
    v /= 1024;
    ++u;
  }
  std::ostringstream out;
  out << v << units[u];
  return out.str();
}

std::string usage() {
  return R"(ringtail-bench collectives [options]     (run under mpirun; --predict runs alone)

Sizes and repetitions (nccl-tests conventions):
  -b, --minbytes SIZE      smallest size (default 1M; K, M, G suffixes)
  -e, --maxbytes SIZE      largest size (default 256M)
  -f, --stepfactor F       multiply the size by F each step (default 2)
  -w, --warmup_iters N     untimed runs per size (default 2)
  -n, --iters N            timed runs per size (default 10)
      --budget SECONDS     fewer timed runs when a size would take longer (default 5)
      --rounds R           run all contenders R times in turn, report each one's median
                           round (default 1; shared machines: 3 or 5)
  -d, --datatype T         f16 bf16 f32 f64 i8 u8 i32 i64 (default f32)
  -o, --op OP              sum average min max product (default sum)
  -c, --check 0|1          correctness check on every size, the #wrong column (default 1)
      --ops LIST           allreduce,allgather,broadcast,reducescatter,alltoall (default allreduce)

ringtail rows (every backend x algorithm):
      --backends LIST      ringtail backends (default mpi; gloo meets over a temporary file
                           store that rank 0 makes)
      --algorithms LIST    native,ring,hierarchical,shm,auto (default all; hierarchical only
                           with several hosts, shm only on one host and for allreduce)
      --segments LIST      ring segment sizes to compare, and shm area sizes for the shm
                           rows (default: the built-in defaults)
      --chunks LIST        hierarchical pipeline chunk sizes to compare (default: the
                           built-in default; a chunk as large as the buffer: no pipeline)
      --local-method LIST  hierarchical phases inside hosts to compare: shm, ring or native
                           (default: the built-in default, shm)
      --cross-method M     hierarchical phase across hosts: ring or native (default ring)
      --local-backend B    hierarchical: backend inside hosts (default: the row's backend)
      --cross-backend B    hierarchical: backend across hosts (default: the row's backend)

Peers in the same run:
      --peers LIST         mpi,mpi-tuned,gloo or none (default all three)
      --mpi-tuned LIST     Open MPI coll_tuned_allreduce_algorithm values to force, each on its
                           own communicator (default 3,4,5,6: recursive doubling, ring,
                           segmented ring, Rabenseifner; 1 basic linear, 2 reduce+bcast)
      --gloo-iface NAME    network interface for Gloo (default: loopback)

Topology:
      --hostname NAME      this rank's host name for the topology (default gethostname)
      --fake-hosts L       pretend every L consecutive ranks share a host

Machine and model:
      --no-copy-bandwidth  skip the memcpy bandwidth measurement (the bound column)
      --model              measure point-to-point alpha/beta and gamma, predict every row
      --predict            print the alpha-beta model for AWS p3/p3dn/p4d clusters (no MPI)
      --gradient SIZE      --predict: gradient size (default 100M, about ResNet-50)
      --link-efficiency F  --predict: achieved / published network bandwidth (default 0.9)
      --fit FILE           --predict: efficiency = measured / nominal host bandwidth of a
                           --model --link-nominal run's JSON
      --link-nominal GBITS --model: the nominal rate between hosts (e.g. 1 for tc tbf 1gbit)

Output:
      --csv FILE           rows as CSV
      --json FILE          rows and machine numbers as JSON
  -q, --quiet              no table on stdout
  -h, --help
)";
}

Options parse_options(int argc, char** argv) {
  Options o;
  bool segments_given = false;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    const bool has_inline = arg.rfind("--", 0) == 0 && arg.find('=') != std::string::npos;
    if (has_inline) {
      value = arg.substr(arg.find('=') + 1);
      arg = arg.substr(0, arg.find('='));
    }
    auto next = [&]() -> std::string {
      if (has_inline) return value;
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      std::cout << usage();
      std::exit(0);
    } else if (arg == "-b" || arg == "--minbytes") {
      o.min_bytes = parse_bytes(next());
    } else if (arg == "-e" || arg == "--maxbytes") {
      o.max_bytes = parse_bytes(next());
    } else if (arg == "-f" || arg == "--stepfactor") {
      o.factor = parse_double(arg, next(), 1.0001);
    } else if (arg == "-w" || arg == "--warmup_iters") {
      o.warmup = parse_int(arg, next(), 0);
    } else if (arg == "-n" || arg == "--iters") {
      o.iterations = parse_int(arg, next(), 1);
    } else if (arg == "--rounds") {
      o.rounds = parse_int(arg, next(), 1);
    } else if (arg == "--budget") {
      o.budget_seconds = parse_double(arg, next(), 0);
    } else if (arg == "-d" || arg == "--datatype") {
      const std::string v = next();
      auto t = coll::parse_data_type(v);
      if (!t) bad(arg, v, "f16, bf16, f32, f64, i8, u8, i32 or i64");
      o.type = *t;
    } else if (arg == "-o" || arg == "--op") {
      const std::string v = next();
      auto op = coll::parse_reduce_op(v);
      if (!op) bad(arg, v, "sum, average, min, max or product");
      o.reduce = *op;
    } else if (arg == "-c" || arg == "--check") {
      o.check = parse_int(arg, next(), 0) != 0;
    } else if (arg == "--ops") {
      o.ops.clear();
      for (const auto& name : split_list(next())) {
        auto c = parse_collective(name);
        if (!c) bad(arg, name, "allreduce, allgather, broadcast, reducescatter or alltoall");
        o.ops.push_back(*c);
      }
    } else if (arg == "--backends") {
      o.backends = split_list(next());
    } else if (arg == "--algorithms") {
      o.algorithms = split_list(next());
      for (const auto& a : o.algorithms) {
        if (!coll::parse_allreduce_kind(a)) bad(arg, a, "native, ring, hierarchical, shm or auto");
      }
    } else if (arg == "--chunks") {
      o.chunks.clear();
      for (const auto& s : split_list(next())) o.chunks.push_back(parse_bytes(s));
      if (o.chunks.empty()) throw std::invalid_argument("--chunks: empty list");
      for (std::size_t c : o.chunks) {
        if (c == 0) throw std::invalid_argument("--chunks: a chunk of 0 bytes");
      }
    } else if (arg == "--segments") {
      segments_given = true;
      o.segments.clear();
      for (const auto& s : split_list(next())) o.segments.push_back(parse_bytes(s));
    } else if (arg == "--local-method") {
      o.local_methods.clear();
      for (const auto& v : split_list(next())) {
        auto m = coll::parse_phase_method(v);
        if (!m) bad(arg, v, "shm, ring or native");
        if (std::find(o.local_methods.begin(), o.local_methods.end(), *m) == o.local_methods.end()) {
          o.local_methods.push_back(*m);
        }
      }
    } else if (arg == "--cross-method") {
      const std::string v = next();
      auto m = coll::parse_phase_method(v);
      if (!m || *m == coll::PhaseMethod::shm) bad(arg, v, "ring or native (shared memory cannot cross hosts)");
      o.cross_method = *m;
    } else if (arg == "--local-backend") {
      o.local_backend = next();
    } else if (arg == "--cross-backend") {
      o.cross_backend = next();
    } else if (arg == "--peers") {
      o.peers = split_list(next());
      if (o.peers.size() == 1 && o.peers[0] == "none") o.peers.clear();
      for (const auto& p : o.peers) {
        if (p != "mpi" && p != "mpi-tuned" && p != "gloo") bad(arg, p, "mpi, mpi-tuned, gloo or none");
      }
    } else if (arg == "--mpi-tuned") {
      o.mpi_tuned.clear();
      for (const auto& v : split_list(next())) o.mpi_tuned.push_back(parse_int(arg, v, 1));
    } else if (arg == "--gloo-iface") {
      o.gloo_interface = next();
    } else if (arg == "--hostname") {
      o.hostname = next();
    } else if (arg == "--fake-hosts") {
      o.ranks_per_fake_host = parse_int(arg, next(), 1);
    } else if (arg == "--no-copy-bandwidth") {
      o.copy_bandwidth = false;
    } else if (arg == "--model") {
      o.model = true;
    } else if (arg == "--predict") {
      o.predict = true;
    } else if (arg == "--gradient") {
      o.gradient_bytes = parse_bytes(next());
    } else if (arg == "--link-efficiency") {
      o.link_efficiency = parse_double(arg, next(), 0.01);
    } else if (arg == "--fit") {
      o.fit_path = next();
    } else if (arg == "--link-nominal") {
      o.link_nominal_gbits = parse_double(arg, next(), 0.000001);
    } else if (arg == "--csv") {
      o.csv_path = next();
    } else if (arg == "--json") {
      o.json_path = next();
    } else if (arg == "-q" || arg == "--quiet") {
      o.quiet = true;
    } else {
      throw std::invalid_argument("unknown option '" + arg + "' (see --help)");
    }
  }
  if (o.min_bytes == 0 || o.max_bytes < o.min_bytes) {
    throw std::invalid_argument("sizes: need 0 < -b <= -e (got -b " + std::to_string(o.min_bytes) +
                                " -e " + std::to_string(o.max_bytes) + ")");
  }
  if (segments_given && o.segments.empty()) throw std::invalid_argument("--segments: empty list");
  for (std::size_t s : o.segments) {
    if (s == 0) throw std::invalid_argument("--segments: a segment of 0 bytes");
  }
  return o;
}

}  // namespace ringtail::bench
