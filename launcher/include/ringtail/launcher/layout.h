#pragma once
// Where the ranks go and what follows from it, decided once before anything
// runs: ranks fill hosts in order (Open MPI's --map-by slot), a mixed cluster
// turns on hierarchical allreduce, the network settings follow the instances,
// and ranks that share cores make Open MPI yield instead of spinning.

#include <optional>
#include <string>
#include <vector>

#include "ringtail/launcher/hosts.h"
#include "ringtail/launcher/local_machine.h"

namespace ringtail::launcher {

struct HostPlan {
  std::string name;
  std::string instance;  // empty: unknown
  int gpus = 0;          // 0: unknown
  int cpus = 0;          // 0: unknown
  int slots = 0;
  int ranks = 0;         // 0: the host is not used
  int first_rank = 0;
  bool local = false;    // this machine: ranks start here, not over ssh
  bool shares_cores = false;
  std::string origin;
};

enum class NetworkKind {
  unspecified,  // no instance types: NCCL and libfabric choose
  tcp,          // sockets (p3, or a cluster where not every host has EFA)
  efa,          // every host has EFA
};

struct NetworkPlan {
  NetworkKind kind = NetworkKind::unspecified;
  bool gpudirect_rdma = false;  // every host has GPUDirect RDMA over EFA
  std::string reason;
};

struct Layout {
  int np = 0;
  std::vector<HostPlan> hosts;          // in order; unused hosts have ranks == 0
  bool all_local = false;               // every used host is this machine
  bool oversubscribed = false;          // some host has more ranks than slots
  bool ranks_per_host_differ = false;
  bool hierarchical_allreduce = false;  // turned on by the launcher (mixed cluster)
  bool yield_when_idle = false;         // some host has ranks sharing cores
  NetworkPlan network;
  std::vector<std::string> notes;       // said with the layout

  std::vector<const HostPlan*> used_hosts() const;
};

struct LayoutRequest {
  std::optional<int> np;
  bool oversubscribe = false;              // --oversubscribe
  bool allreduce_given = false;            // --allreduce was given: the launcher does not choose
  std::string default_instance;            // --instance: for hosts without one
  bool under_mpirun = true;                // false for --gloo: no Open MPI to make yield
};

// Each rank runs a training thread and the engine's background thread, so
// ranks share cores once ranks x 2 exceed a host's CPUs.
constexpr int kThreadsPerRank = 2;

// `hosts` empty means this machine ("localhost"). Throws ringtail::Error
// (invalid_argument) when -np does not fit and oversubscription is not allowed.
Layout plan_layout(const std::vector<HostSpec>& hosts, const LayoutRequest& request,
                   const LocalMachine& local);

// The table and notes ringtail-run prints.
std::string describe_layout(const Layout& layout);

}  // namespace ringtail::launcher
