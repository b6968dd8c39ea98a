#pragma once
// The one typed configuration of a ringtail process. Every RINGTAIL_* variable
// is read here and nowhere else (ringtail-run turns its flags into these
// variables); values are validated once, and a bad value or an unknown
// RINGTAIL_* name is an Error naming the variable and what was expected.

#include <chrono>
#include <cstddef>
#include <map>
#include <string>

#include "ringtail/collectives/log.h"
#include "ringtail/collectives/world_options.h"

namespace ringtail::core {

enum class AllreduceAlgorithm { native, ring, hierarchical, automatic, shm };
enum class AllgatherAlgorithm { flat, hierarchical, automatic };

const char* to_string(AllreduceAlgorithm a);
const char* to_string(AllgatherAlgorithm a);

struct Config {
  coll::WorldOptions world;

  // Engine.
  std::size_t fusion_threshold_bytes = std::size_t{64} << 20;  // 0 turns fusion off
  std::chrono::microseconds cycle_time{1000};
  // How long an idle engine sleeps, at most, before a heartbeat round with the
  // other ranks (core/src/wake_schedule.h).
  std::chrono::microseconds heartbeat_max{100000};
  std::size_t cache_capacity = 0;  // response cache entries; 0 sizes it automatically
  std::string timeline_path;       // empty: no timeline
  double stall_check_seconds = 60.0;    // 0 disables the stall warning
  double stall_shutdown_seconds = 0.0;  // 0 disables the stall shutdown

  // Algorithms.
  AllreduceAlgorithm allreduce = AllreduceAlgorithm::automatic;
  AllgatherAlgorithm allgather = AllgatherAlgorithm::automatic;
  std::size_t ring_segment_bytes = 0;  // 0: the measured default
  std::size_t shm_area_bytes = 0;      // shared-memory area; 0: the measured default

  // Autotuning.
  bool autotune = false;
  std::string autotune_log;

  log::Level log_level = log::Level::warning;

  // Reads the process environment.
  static Config from_environment();
  // Reads the given variables instead (tests, embedding programs). Variables not
  // starting with RINGTAIL_ are ignored, except the MPI launcher's rank/size.
  static Config from_variables(const std::map<std::string, std::string>& variables);
};

// The names Config understands, for ringtail-run's help and error messages.
const std::map<std::string, std::string>& config_variables();

}  // namespace ringtail::core
