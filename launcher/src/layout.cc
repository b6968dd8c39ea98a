#include "ringtail/launcher/layout.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "ringtail/collectives/error.h"
#include "ringtail/launcher/presets.h"

namespace ringtail::launcher {
namespace {

[[noreturn]] void bad(const std::string& what) { throw Error(ErrorKind::invalid_argument, what); }

std::string slots_list(const std::vector<HostPlan>& hosts) {
  std::string out;
  for (const auto& h : hosts) out += (out.empty() ? "" : ", ") + h.name + ":" + std::to_string(h.slots);
  return out;
}

std::vector<HostPlan> describe_hosts(const std::vector<HostSpec>& specs, const LayoutRequest& request,
                                     const LocalMachine& local) {
  std::vector<HostPlan> hosts;
  for (const auto& spec : specs) {
    HostPlan h;
    h.name = spec.name;
    h.origin = spec.origin;
    h.instance = spec.instance.empty() ? request.default_instance : spec.instance;
    const InstancePreset* preset = h.instance.empty() ? nullptr : find_preset(h.instance);
    if (!h.instance.empty() && preset == nullptr) {
      bad("unknown instance type '" + h.instance + "' (known: " + preset_names() + ")");
    }
    h.local = is_local_host(h.name, local);
    if (preset != nullptr) {
      h.gpus = preset->gpus;
      h.cpus = preset->vcpus;
    }
    if (h.local && local.cpus > 0) h.cpus = local.cpus;  // measured beats the preset
    if (spec.slots) {
      h.slots = *spec.slots;
    } else if (preset != nullptr) {
      h.slots = preset->gpus;
    } else if (spec.origin.rfind("-H", 0) == 0 || spec.origin.empty()) {
      h.slots = 1;  // as Open MPI counts a bare -H host
    } else {
      bad(spec.origin + ": '" + spec.name + "' needs slots=N or instance=TYPE (or pass --instance)");
    }
    hosts.push_back(h);
  }
  // Two names of this machine (localhost, 127.0.0.1, its host name or
  // address) are one host listed twice: Open MPI adds their slots up on one
  // node, and the ranks would think they run on two hosts.
  const HostPlan* here = nullptr;
  for (const auto& h : hosts) {
    if (!h.local) continue;
    if (here != nullptr) {
      bad(h.origin + ": '" + h.name + "' is this machine, as '" + here->name + "' (" + here->origin +
          ") is; give it once with all its slots");
    }
    here = &h;
  }
  return hosts;
}

void assign_ranks(Layout& layout, const LayoutRequest& request) {
  int total = 0;
  for (const auto& h : layout.hosts) total += h.slots;
  layout.np = request.np.value_or(total);
  if (layout.np < 1) bad("-np must be at least 1");
  int left = layout.np;
  for (auto& h : layout.hosts) {
    h.ranks = std::min(h.slots, left);
    left -= h.ranks;
  }
  if (left > 0) {
    const bool single_host = layout.hosts.size() == 1;
    if (!single_host && !request.oversubscribe) {
      bad("-np " + std::to_string(layout.np) + " is more than the " + std::to_string(total) +
          " slots of the hosts (" + slots_list(layout.hosts) +
          "); add hosts or slots, lower -np, or pass --oversubscribe");
    }
    // Extra ranks go round the hosts one at a time, so no host takes them all.
    for (std::size_t i = 0; left > 0; i = (i + 1) % layout.hosts.size(), --left) ++layout.hosts[i].ranks;
    layout.oversubscribed = true;
    layout.notes.push_back(single_host && !request.oversubscribe
                               ? "-np " + std::to_string(layout.np) + " is more than the " +
                                     std::to_string(total) + " slots of " + layout.hosts[0].name +
                                     ": oversubscribing this one host"
                               : "oversubscribed: some hosts run more ranks than they have slots");
  }
  int next = 0;
  for (auto& h : layout.hosts) {
    h.first_rank = next;
    next += h.ranks;
  }
}

void decide_allreduce(Layout& layout, const LayoutRequest& request) {
  std::set<int> ranks;
  std::set<int> gpus;
  bool gpus_known = true;
  for (const auto* h : layout.used_hosts()) {
    ranks.insert(h->ranks);
    gpus.insert(h->gpus);
    gpus_known = gpus_known && h->gpus > 0;
  }
  layout.ranks_per_host_differ = ranks.size() > 1;
  if (!layout.ranks_per_host_differ) return;
  auto list = [](const std::set<int>& values) {
    std::string out;
    for (int v : values) out += (out.empty() ? "" : " and ") + std::to_string(v);
    return out;
  };
  // Uneven hosts are what the hierarchical algorithm is for; the reason given
  // is the one a user would recognize.
  const std::string why = gpus_known && gpus.size() > 1
                              ? "hosts differ in GPU count (" + list(gpus) + " GPUs, " + list(ranks) +
                                    " ranks per host)"
                              : "hosts run different numbers of ranks (" + list(ranks) + " per host)";
  if (request.allreduce_given) {
    layout.notes.push_back(why + "; the allreduce algorithm is the one --allreduce chose");
    return;
  }
  layout.hierarchical_allreduce = true;
  layout.notes.push_back(why +
                         ": hierarchical allreduce turned on (RINGTAIL_ALLREDUCE=hierarchical; "
                         "--allreduce ring or auto overrides)");
}

void decide_network(Layout& layout) {
  std::vector<std::string> unknown;
  std::vector<std::string> without_efa;
  bool all_gdr = true;
  for (const auto* h : layout.used_hosts()) {
    const InstancePreset* p = h->instance.empty() ? nullptr : find_preset(h->instance);
    if (p == nullptr) {
      unknown.push_back(h->name);
      continue;
    }
    if (!p->efa) without_efa.push_back(h->name + " (" + h->instance + ")");
    all_gdr = all_gdr && p->gpudirect_rdma;
  }
  NetworkPlan& n = layout.network;
  const std::size_t used = layout.used_hosts().size();
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
  };
  if (unknown.size() == used) {
    n.kind = NetworkKind::unspecified;
    n.reason = "no instance types given: NCCL and libfabric choose the transport";
  } else if (!without_efa.empty()) {
    n.kind = NetworkKind::tcp;
    n.reason = "TCP sockets (NCCL_NET=Socket): " + join(without_efa) + " " +
               (without_efa.size() == 1 ? "has" : "have") +
               " no EFA, and every rank must use the same transport";
  } else if (!unknown.empty()) {
    n.kind = NetworkKind::unspecified;
    n.reason = "left to NCCL: " + join(unknown) +
               " without an instance type (give every host instance=TYPE to get the EFA settings)";
  } else {
    n.kind = NetworkKind::efa;
    n.gpudirect_rdma = all_gdr;
    n.reason = std::string("EFA (FI_PROVIDER=efa)") +
               (all_gdr ? " with GPUDirect RDMA (FI_EFA_USE_DEVICE_RDMA=1)"
                        : "; GPUDirect RDMA off because not every host has it");
  }
}

void decide_cores(Layout& layout, const LayoutRequest& request) {
  for (auto& h : layout.hosts) {
    if (h.ranks == 0) continue;
    h.shares_cores = h.cpus > 0 ? h.ranks * kThreadsPerRank > h.cpus : h.ranks > h.slots;
    if (!h.shares_cores || !request.under_mpirun) continue;
    layout.yield_when_idle = true;
    layout.notes.push_back(
        h.cpus > 0 ? std::to_string(h.ranks) + " ranks (" + std::to_string(h.ranks * kThreadsPerRank) +
                         " busy threads) share the " + std::to_string(h.cpus) + " CPUs of " + h.name +
                         ": MPI yields when idle instead of spinning (--mca mpi_yield_when_idle 1)"
                   : h.name + " runs more ranks than slots: MPI yields when idle (--mca mpi_yield_when_idle 1)");
  }
  for (const auto& h : layout.hosts) {
    if (h.ranks > 0 && h.gpus > 0 && h.ranks > h.gpus) {
      layout.notes.push_back(h.name + " runs " + std::to_string(h.ranks) + " ranks on " +
                             std::to_string(h.gpus) + " GPUs: ranks will share GPUs");
    }
  }
}

}  // namespace

std::vector<const HostPlan*> Layout::used_hosts() const {
  std::vector<const HostPlan*> out;
  for (const auto& h : hosts) {
    if (h.ranks > 0) out.push_back(&h);
  }
  return out;
}

Layout plan_layout(const std::vector<HostSpec>& specs, const LayoutRequest& request, const LocalMachine& local) {
  Layout layout;
  if (specs.empty()) {
    HostSpec here;
    here.name = "localhost";
    here.origin = "-H";
    // Without hosts and without an instance type, this machine has -np slots.
    if (request.default_instance.empty()) {
      if (!request.np) bad("-np is needed when no hosts are given");
      if (*request.np > kMaxSlots) {
        bad("-np " + std::to_string(*request.np) + " without hosts would start that many processes on this "
            "machine; at most " + std::to_string(kMaxSlots) + " (give hosts with -H or --hostfile for more)");
      }
      here.slots = *request.np;
    }
    layout.hosts = describe_hosts({here}, request, local);
  } else {
    layout.hosts = describe_hosts(specs, request, local);
  }
  assign_ranks(layout, request);
  layout.all_local = std::all_of(layout.hosts.begin(), layout.hosts.end(),
                                 [](const HostPlan& h) { return h.ranks == 0 || h.local; });
  std::vector<std::string> unused;
  for (const auto& h : layout.hosts) {
    if (h.ranks == 0) unused.push_back(h.name);
  }
  if (!unused.empty()) {
    std::string list;
    for (const auto& u : unused) list += (list.empty() ? "" : ", ") + u;
    layout.notes.push_back("not used (-np " + std::to_string(layout.np) + " fits before them): " + list);
  }
  decide_allreduce(layout, request);
  decide_network(layout);
  decide_cores(layout, request);
  return layout;
}

std::string describe_layout(const Layout& layout) {
  const auto used = layout.used_hosts();
  std::set<std::string> instances;
  for (const auto* h : used) instances.insert(h->instance.empty() ? "?" : h->instance);
  std::string out = "ringtail-run: " + std::to_string(layout.np) + (layout.np == 1 ? " rank" : " ranks") +
                    " on " + std::to_string(used.size()) + (used.size() == 1 ? " host" : " hosts");
  if (instances.size() > 1) {
    std::string list;
    for (const auto& i : instances) list += (list.empty() ? "" : ", ") + i;
    out += " (mixed cluster: " + list + ")";
  }
  out += "\n";
  std::size_t width = 4;
  for (const auto& h : layout.hosts) width = std::max(width, h.name.size());
  char line[512];
  std::snprintf(line, sizeof line, "  %-*s  %-14s  %4s  %4s  %5s  %s\n", int(width), "host", "instance", "GPUs",
                "CPUs", "slots", "ranks");
  out += line;
  for (const auto& h : layout.hosts) {
    const std::string ranks = h.ranks == 0   ? "-"
                              : h.ranks == 1 ? std::to_string(h.first_rank)
                                             : std::to_string(h.first_rank) + "-" +
                                                   std::to_string(h.first_rank + h.ranks - 1);
    std::snprintf(line, sizeof line, "  %-*s  %-14s  %4s  %4s  %5d  %s%s\n", int(width), h.name.c_str(),
                  h.instance.empty() ? "-" : h.instance.c_str(), h.gpus ? std::to_string(h.gpus).c_str() : "-",
                  h.cpus ? std::to_string(h.cpus).c_str() : "-", h.slots, ranks.c_str(),
                  h.local ? "  (this machine)" : "");
    out += line;
  }
  out += "  network: " + layout.network.reason + "\n";
  for (const auto& note : layout.notes) out += "  " + note + "\n";
  return out;
}

}  // namespace ringtail::launcher
