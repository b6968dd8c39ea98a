#include "ringtail/launcher/environment.h"

#include <cctype>
#include <cmath>
#include <sstream>

#include "ringtail/collectives/error.h"

extern char** environ;

namespace ringtail::launcher {
namespace {

[[noreturn]] void bad(const std::string& what) { throw Error(ErrorKind::invalid_argument, what); }

// Shortest text that reads back as the same double (no "1.000000").
std::string number_text(double v) {
  std::ostringstream out;
  out.precision(15);
  out << v;
  return out.str();
}

double non_negative(const char* flag, double v) {
  if (!std::isfinite(v) || v < 0) bad(std::string(flag) + " " + number_text(v) + ": expected a number >= 0");
  return v;
}

void one_of(const char* flag, const std::string& value, std::initializer_list<const char*> allowed) {
  std::string list;
  for (const char* a : allowed) {
    if (value == a) return;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  bad(std::string(flag) + " '" + value + "': expected one of " + list);
}

bool valid_name(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

}  // namespace

EnvList framework_environment(const FrameworkFlags& f, Mode mode, const Layout& layout) {
  EnvList env;
  std::string backend = f.backend.value_or(mode == Mode::gloo ? "gloo" : "");
  if (!backend.empty()) {
    one_of("--backend", backend, {"mpi", "gloo", "nccl"});
    if (mode == Mode::gloo && backend == "mpi") {
      bad("--backend mpi needs mpirun; drop --gloo, or choose --backend gloo or nccl");
    }
    env.emplace_back("RINGTAIL_BACKEND", backend);
    // Under --gloo there is no MPI to hand out the NCCL id.
    if (mode == Mode::gloo && backend == "nccl") env.emplace_back("RINGTAIL_NCCL_BOOTSTRAP", "gloo");
  }
  if (f.allreduce) {
    one_of("--allreduce", *f.allreduce, {"ring", "hierarchical", "shm", "native", "auto"});
    env.emplace_back("RINGTAIL_ALLREDUCE", *f.allreduce);
  } else if (layout.hierarchical_allreduce) {
    env.emplace_back("RINGTAIL_ALLREDUCE", "hierarchical");
  }
  if (f.fusion_threshold_mb) {
    const double mb = non_negative("--fusion-threshold-mb", *f.fusion_threshold_mb);
    if (mb > 1024 * 1024) bad("--fusion-threshold-mb " + number_text(mb) + ": more than 1 TiB");
    env.emplace_back("RINGTAIL_FUSION_THRESHOLD", std::to_string(std::llround(mb * 1024 * 1024)));
  }
  if (f.cycle_time_ms) {
    const double ms = *f.cycle_time_ms;
    if (!(ms >= 0.001 && ms <= 60000)) bad("--cycle-time-ms " + number_text(ms) + ": expected 0.001 to 60000");
    env.emplace_back("RINGTAIL_CYCLE_TIME_MS", number_text(ms));
  }
  if (f.cache_capacity) {
    if (*f.cache_capacity < 0 || *f.cache_capacity > (1 << 24)) {
      bad("--cache-capacity " + std::to_string(*f.cache_capacity) + ": expected 0 to " + std::to_string(1 << 24));
    }
    env.emplace_back("RINGTAIL_CACHE_CAPACITY", std::to_string(*f.cache_capacity));
  }
  if (f.timeline) {
    if (f.timeline->empty()) bad("--timeline needs a file name");
    env.emplace_back("RINGTAIL_TIMELINE", *f.timeline);
  }
  if (f.stall_check_seconds) {
    env.emplace_back("RINGTAIL_STALL_CHECK_SECONDS",
                     number_text(non_negative("--stall-check-seconds", *f.stall_check_seconds)));
  }
  if (f.stall_shutdown_seconds) {
    const double s = non_negative("--stall-shutdown-seconds", *f.stall_shutdown_seconds);
    const double check = f.stall_check_seconds.value_or(60.0);
    if (s > 0 && check > 0 && s < check) {
      bad("--stall-shutdown-seconds " + number_text(s) + " is below the stall check (" + number_text(check) +
          " s): a stall would end the job before it is reported");
    }
    env.emplace_back("RINGTAIL_STALL_SHUTDOWN_SECONDS", number_text(s));
  }
  if (f.log_level) {
    one_of("--log-level", *f.log_level, {"trace", "debug", "info", "warning", "error", "off"});
    env.emplace_back("RINGTAIL_LOG_LEVEL", *f.log_level);
  }
  if (f.autotune) env.emplace_back("RINGTAIL_AUTOTUNE", "1");
  if (f.autotune_log) {
    if (!f.autotune) bad("--autotune-log needs --autotune");
    env.emplace_back("RINGTAIL_AUTOTUNE_LOG", *f.autotune_log);
  }
  return env;
}

EnvList network_environment(const Layout& layout, const std::string& network_interface) {
  EnvList env;
  if (!network_interface.empty()) env.emplace_back("NCCL_SOCKET_IFNAME", network_interface);
  switch (layout.network.kind) {
    case NetworkKind::unspecified:
      break;
    case NetworkKind::tcp:
      // A host without EFA cannot talk to NCCL's EFA transport, so no host may
      // pick it, even where the aws-ofi-nccl plugin is installed.
      env.emplace_back("NCCL_NET", "Socket");
      break;
    case NetworkKind::efa:
      env.emplace_back("FI_PROVIDER", "efa");
      if (layout.network.gpudirect_rdma) env.emplace_back("FI_EFA_USE_DEVICE_RDMA", "1");
      // Registered (pinned) memory breaks in a forked child unless rdma-core
      // makes fork safe; data loader workers fork.
      env.emplace_back("RDMAV_FORK_SAFE", "1");
      break;
  }
  return env;
}

ForwardedVariables parse_forwarded(const std::vector<std::string>& words,
                                   const std::map<std::string, std::string>& environment) {
  ForwardedVariables out;
  for (const auto& word : words) {
    const auto eq = word.find('=');
    const std::string name = word.substr(0, eq);
    if (!valid_name(name)) bad("-x " + word + ": '" + name + "' is not a variable name");
    if (name == "RINGTAIL_RENDEZVOUS_SECRET") {
      bad("-x " + name + ": ringtail-run makes a fresh secret for every job and passes it itself");
    }
    // One value for every rank would break these; a second entry beside the
    // launcher's would win on some ranks and not on others (getenv takes the
    // first, `env A=1 A=2` the last).
    for (const char* own : {"RINGTAIL_RANK", "RINGTAIL_SIZE", "RINGTAIL_RENDEZVOUS_ADDR", "RINGTAIL_JOB_ID",
                            "RINGTAIL_HOSTNAME"}) {
      if (name == own) bad("-x " + word + ": ringtail-run gives every rank its own " + name);
    }
    if (eq != std::string::npos) {
      out.assignments.emplace_back(name, word.substr(eq + 1));
    } else {
      if (environment.count(name) == 0) bad("-x " + name + ": " + name + " is not set in this environment");
      out.by_name.push_back(name);
    }
  }
  return out;
}

void check_forwarded_against(const ForwardedVariables& forwarded, const EnvList& launcher_variables) {
  auto check = [&](const std::string& name, const std::string& word) {
    for (const auto& [set_name, value] : launcher_variables) {
      if (set_name == name) {
        bad("-x " + word + ": ringtail-run already sets " + name + "=" + value +
            " from its flags or the hosts' instance types; change the flag instead (ringtail-run --help)");
      }
    }
  };
  for (const auto& name : forwarded.by_name) check(name, name);
  for (const auto& [name, value] : forwarded.assignments) check(name, name + "=" + value);
}

std::map<std::string, std::string> current_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string::npos) env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return env;
}

}  // namespace ringtail::launcher
