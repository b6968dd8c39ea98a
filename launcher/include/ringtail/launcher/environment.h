#pragma once
// The environment every rank gets: framework flags as the RINGTAIL_* variables
// core::Config reads (core/src/config.cc), the network settings the instance
// types call for, and the variables forwarded with -x.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ringtail/launcher/layout.h"
#include "ringtail/launcher/options.h"

namespace ringtail::launcher {

using EnvList = std::vector<std::pair<std::string, std::string>>;

enum class Mode { mpi, gloo };

// RINGTAIL_BACKEND, RINGTAIL_ALLREDUCE (the flag, or "hierarchical" when the
// layout turned it on), RINGTAIL_FUSION_THRESHOLD (bytes), ... Validates every
// flag and throws ringtail::Error (invalid_argument) naming a bad one.
EnvList framework_environment(const FrameworkFlags& flags, Mode mode, const Layout& layout);

// NCCL_SOCKET_IFNAME from --network-interface; FI_PROVIDER=efa,
// FI_EFA_USE_DEVICE_RDMA=1 and RDMAV_FORK_SAFE=1 when every host has EFA;
// NCCL_NET=Socket when not every host does.
EnvList network_environment(const Layout& layout, const std::string& network_interface);

struct ForwardedVariables {
  std::vector<std::string> by_name;  // -x VAR: the value is this environment's
  EnvList assignments;               // -x VAR=VALUE
};

// Checks the -x words: names must be valid, a bare name must be set in
// `environment`, and none may be a variable ringtail-run gives each rank
// (RINGTAIL_RANK, RINGTAIL_SIZE, the rendezvous's, RINGTAIL_HOSTNAME).
ForwardedVariables parse_forwarded(const std::vector<std::string>& words,
                                   const std::map<std::string, std::string>& environment);

// Throws if a -x variable is one of `launcher_variables` (what the flags, the
// layout and the instance presets set): the ranks would get two values.
void check_forwarded_against(const ForwardedVariables& forwarded, const EnvList& launcher_variables);

// The process environment as a map.
std::map<std::string, std::string> current_environment();

}  // namespace ringtail::launcher
