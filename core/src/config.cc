#include "ringtail/core/config.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <vector>

#include "ringtail/collectives/error.h"

extern char** environ;

namespace ringtail::core {
namespace {

[[noreturn]] void bad(const std::string& name, const std::string& value,
                      const std::string& expected) {
  throw Error(ErrorKind::invalid_argument,
              name + "='" + value + "' is not valid: expected " + expected);
}

long long parse_integer(const std::string& name, const std::string& value, long long min,
                        long long max) {
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(value.c_str(), &end, 10);
  if (value.empty() || errno != 0 || *end != '\0' || v < min || v > max) {
    bad(name, value, "an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return v;
}

double parse_seconds(const std::string& name, const std::string& value) {
  char* end = nullptr;
  const double v = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || !std::isfinite(v) || v < 0) {
    bad(name, value, "a non-negative number of seconds");
  }
  return v;
}

bool parse_bool(const std::string& name, const std::string& value) {
  if (value == "1" || value == "true" || value == "yes" || value == "on") return true;
  if (value == "0" || value == "false" || value == "no" || value == "off") return false;
  bad(name, value, "1/true/yes/on or 0/false/no/off");
}

using Setter = std::function<void(Config&, const std::string& name, const std::string& value)>;

struct Variable {
  std::string help;
  Setter set;
};

const std::map<std::string, Variable>& variables() {
  static const std::map<std::string, Variable> table = {
      {"RINGTAIL_BACKEND",
       {"collectives backend: mpi, gloo or nccl",
        [](Config& c, auto&, auto& v) { c.world.backend = v; }}},
      {"RINGTAIL_RANK",
       {"this process's rank (set by ringtail-run in gloo mode)",
        [](Config& c, auto& n, auto& v) { c.world.rank = int(parse_integer(n, v, 0, 1 << 24)); }}},
      {"RINGTAIL_SIZE",
       {"number of ranks (set by ringtail-run in gloo mode)",
        [](Config& c, auto& n, auto& v) { c.world.size = int(parse_integer(n, v, 1, 1 << 24)); }}},
      {"RINGTAIL_TIMEOUT_SECONDS",
       {"timeout of a blocking collective operation",
        [](Config& c, auto& n, auto& v) {
          const double s = parse_seconds(n, v);
          if (s == 0) bad(n, v, "a positive number of seconds");
          c.world.timeout = std::chrono::milliseconds(static_cast<long long>(s * 1000));
        }}},
      {"RINGTAIL_HOSTNAME",
       {"host name used for the topology (default: gethostname)",
        [](Config& c, auto&, auto& v) { c.world.hostname = v; }}},
      {"RINGTAIL_GLOO_FILE_STORE",
       {"gloo rendezvous directory on a shared file system",
        [](Config& c, auto&, auto& v) { c.world.file_store_path = v; }}},
      {"RINGTAIL_RENDEZVOUS_ADDR",
       {"gloo rendezvous server host:port",
        [](Config& c, auto&, auto& v) { c.world.store_address = v; }}},
      {"RINGTAIL_RENDEZVOUS_SECRET",
       {"HMAC secret of the rendezvous server (set by ringtail-run)",
        [](Config& c, auto&, auto& v) { c.world.store_secret = v; }}},
      {"RINGTAIL_JOB_ID",
       {"prefix that separates jobs sharing one rendezvous store",
        [](Config& c, auto&, auto& v) { c.world.store_prefix = v; }}},
      {"RINGTAIL_GLOO_IFACE",
       {"network interface or address for gloo",
        [](Config& c, auto&, auto& v) { c.world.gloo_interface = v; }}},
      {"RINGTAIL_NCCL_BOOTSTRAP",
       {"host backend that distributes the NCCL id: mpi or gloo",
        [](Config& c, auto&, auto& v) { c.world.nccl_bootstrap = v; }}},
      {"RINGTAIL_CUDA_DEVICE",
       {"CUDA device index (default: local rank)",
        [](Config& c, auto& n, auto& v) { c.world.cuda_device = int(parse_integer(n, v, 0, 1024)); }}},
      {"RINGTAIL_CHECK_ACROSS_RANKS",
       {"check counts, dtypes and ops across ranks on every collective",
        [](Config& c, auto& n, auto& v) { c.world.check_across_ranks = parse_bool(n, v); }}},
      {"RINGTAIL_FUSION_THRESHOLD",
       {"tensor fusion buffer size in bytes (0 turns fusion off)",
        [](Config& c, auto& n, auto& v) {
          c.fusion_threshold_bytes = std::size_t(parse_integer(n, v, 0, 1LL << 40));
        }}},
      {"RINGTAIL_CYCLE_TIME_MS",
       {"how long the engine batches requests, in milliseconds",
        [](Config& c, auto& n, auto& v) {
          const double ms = parse_seconds(n, v);
          if (ms < 0.001 || ms > 60000) bad(n, v, "a number of milliseconds from 0.001 to 60000");
          c.cycle_time = std::chrono::microseconds(static_cast<long long>(ms * 1000));
        }}},
      {"RINGTAIL_HEARTBEAT_MS",
       {"longest an idle engine sleeps before checking in with the other ranks, in milliseconds",
        [](Config& c, auto& n, auto& v) {
          const double ms = parse_seconds(n, v);
          if (ms < 0.001 || ms > 60000) bad(n, v, "a number of milliseconds from 0.001 to 60000");
          c.heartbeat_max = std::chrono::microseconds(static_cast<long long>(ms * 1000));
        }}},
      {"RINGTAIL_CACHE_CAPACITY",
       {"response cache entries (0: sized automatically)",
        [](Config& c, auto& n, auto& v) {
          c.cache_capacity = std::size_t(parse_integer(n, v, 0, 1 << 24));
        }}},
      {"RINGTAIL_TIMELINE",
       {"file for a Chrome trace written by rank 0",
        [](Config& c, auto&, auto& v) { c.timeline_path = v; }}},
      {"RINGTAIL_STALL_CHECK_SECONDS",
       {"warn when a tensor waits this long for other ranks (0: off)",
        [](Config& c, auto& n, auto& v) { c.stall_check_seconds = parse_seconds(n, v); }}},
      {"RINGTAIL_STALL_SHUTDOWN_SECONDS",
       {"end the job when a tensor waits this long (0: off)",
        [](Config& c, auto& n, auto& v) { c.stall_shutdown_seconds = parse_seconds(n, v); }}},
      {"RINGTAIL_ALLREDUCE",
       {"allreduce algorithm: native, ring, hierarchical, shm or auto",
        [](Config& c, auto& n, auto& v) {
          if (v == "native") c.allreduce = AllreduceAlgorithm::native;
          else if (v == "ring") c.allreduce = AllreduceAlgorithm::ring;
          else if (v == "hierarchical") c.allreduce = AllreduceAlgorithm::hierarchical;
          else if (v == "shm") c.allreduce = AllreduceAlgorithm::shm;
          else if (v == "auto") c.allreduce = AllreduceAlgorithm::automatic;
          else bad(n, v, "native, ring, hierarchical, shm or auto");
        }}},
      {"RINGTAIL_ALLGATHER",
       {"allgather algorithm: flat, hierarchical or auto",
        [](Config& c, auto& n, auto& v) {
          if (v == "flat") c.allgather = AllgatherAlgorithm::flat;
          else if (v == "hierarchical") c.allgather = AllgatherAlgorithm::hierarchical;
          else if (v == "auto") c.allgather = AllgatherAlgorithm::automatic;
          else bad(n, v, "flat, hierarchical or auto");
        }}},
      {"RINGTAIL_RING_SEGMENT_BYTES",
       {"segment size of the pipelined ring (0: measured default)",
        [](Config& c, auto& n, auto& v) {
          c.ring_segment_bytes = std::size_t(parse_integer(n, v, 0, 1LL << 32));
        }}},
      // The shm segment holds ranks^2 areas, so 16 MiB areas already take
      // 1 GiB of /dev/shm on 8 ranks; larger ones are a mistake, not tuning.
      {"RINGTAIL_SHM_AREA_BYTES",
       {"area of the shared-memory allreduce and hierarchical phases (0: measured default)",
        [](Config& c, auto& n, auto& v) {
          c.shm_area_bytes = std::size_t(parse_integer(n, v, 0, 1LL << 24));
        }}},
      {"RINGTAIL_AUTOTUNE",
       {"search fusion threshold, cycle time and algorithm during the first steps",
        [](Config& c, auto& n, auto& v) { c.autotune = parse_bool(n, v); }}},
      {"RINGTAIL_AUTOTUNE_LOG",
       {"CSV file for the autotuner's trials",
        [](Config& c, auto&, auto& v) { c.autotune_log = v; }}},
      {"RINGTAIL_LOG_LEVEL",
       {"trace, debug, info, warning, error or off",
        [](Config& c, auto& n, auto& v) {
          if (!log::parse_level(v, &c.log_level)) bad(n, v, "trace, debug, info, warning, error or off");
        }}},
  };
  return table;
}

}  // namespace

const char* to_string(AllreduceAlgorithm a) {
  switch (a) {
    case AllreduceAlgorithm::native: return "native";
    case AllreduceAlgorithm::ring: return "ring";
    case AllreduceAlgorithm::hierarchical: return "hierarchical";
    case AllreduceAlgorithm::automatic: return "auto";
    case AllreduceAlgorithm::shm: return "shm";
  }
  return "?";
}

const char* to_string(AllgatherAlgorithm a) {
  switch (a) {
    case AllgatherAlgorithm::flat: return "flat";
    case AllgatherAlgorithm::hierarchical: return "hierarchical";
    case AllgatherAlgorithm::automatic: return "auto";
  }
  return "?";
}

const std::map<std::string, std::string>& config_variables() {
  static const std::map<std::string, std::string> help = [] {
    std::map<std::string, std::string> out;
    for (const auto& [name, var] : variables()) out[name] = var.help;
    return out;
  }();
  return help;
}

Config Config::from_variables(const std::map<std::string, std::string>& vars) {
  Config config;
  // Under mpirun the rank and size come from Open MPI unless set explicitly.
  if (auto it = vars.find("OMPI_COMM_WORLD_RANK"); it != vars.end()) {
    config.world.rank = int(parse_integer(it->first, it->second, 0, 1 << 24));
  }
  if (auto it = vars.find("OMPI_COMM_WORLD_SIZE"); it != vars.end()) {
    config.world.size = int(parse_integer(it->first, it->second, 1, 1 << 24));
  }
  const std::string prefix = "RINGTAIL_";
  for (const auto& [name, value] : vars) {
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    auto it = variables().find(name);
    if (it == variables().end()) {
      std::string known;
      for (const auto& entry : variables()) known += (known.empty() ? "" : ", ") + entry.first;
      throw Error(ErrorKind::invalid_argument,
                  "unknown configuration variable " + name + "; ringtail reads: " + known);
    }
    it->second.set(config, name, value);
  }
  if (config.world.rank >= 0 && config.world.size > 0 && config.world.rank >= config.world.size) {
    throw Error(ErrorKind::invalid_argument,
                "RINGTAIL_RANK=" + std::to_string(config.world.rank) +
                    " is not below RINGTAIL_SIZE=" + std::to_string(config.world.size));
  }
  if (config.stall_shutdown_seconds > 0 && config.stall_check_seconds > 0 &&
      config.stall_shutdown_seconds < config.stall_check_seconds) {
    throw Error(ErrorKind::invalid_argument,
                "RINGTAIL_STALL_SHUTDOWN_SECONDS must not be below RINGTAIL_STALL_CHECK_SECONDS");
  }
  return config;
}

Config Config::from_environment() {
  std::map<std::string, std::string> vars;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    const std::string name = entry.substr(0, eq);
    if (name.rfind("RINGTAIL_", 0) == 0 || name.rfind("OMPI_COMM_WORLD_", 0) == 0) {
      vars.emplace(name, entry.substr(eq + 1));
    }
  }
  return from_variables(vars);
}

}  // namespace ringtail::core
