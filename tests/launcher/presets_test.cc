// The instance presets and the environment each one sets.

#include <gtest/gtest.h>

#include <map>

#include "ringtail/launcher/environment.h"
#include "ringtail/launcher/layout.h"
#include "ringtail/launcher/presets.h"

namespace ringtail::launcher {
namespace {

LocalMachine elsewhere() {
  LocalMachine m;
  m.hostname = "launcher";
  m.addresses = {"127.0.0.1", "192.168.7.7"};
  m.cpus = 4;
  return m;
}

std::map<std::string, std::string> env_for(const std::vector<std::string>& instances,
                                           const std::string& interface = "") {
  std::vector<HostSpec> hosts;
  for (std::size_t i = 0; i < instances.size(); ++i) {
    hosts.push_back({"node" + std::to_string(i), std::nullopt, instances[i], "test"});
  }
  const Layout layout = plan_layout(hosts, {}, elsewhere());
  const EnvList env = network_environment(layout, interface);
  return std::map<std::string, std::string>(env.begin(), env.end());
}

TEST(Presets, GpuCountsAndNetworks) {
  struct Expected {
    const char* name;
    int gpus;
    bool efa;
    bool gdr;
  } expected[] = {
      {"p3.2xlarge", 1, false, false},   {"p3.8xlarge", 4, false, false},
      {"p3.16xlarge", 8, false, false},  {"p3dn.24xlarge", 8, true, false},
      {"p4d.24xlarge", 8, true, true},   {"p4de.24xlarge", 8, true, true},
  };
  ASSERT_EQ(presets().size(), std::size(expected));
  for (const auto& e : expected) {
    const InstancePreset* p = find_preset(e.name);
    ASSERT_NE(p, nullptr) << e.name;
    EXPECT_EQ(p->gpus, e.gpus) << e.name;
    EXPECT_EQ(p->efa, e.efa) << e.name;
    EXPECT_EQ(p->gpudirect_rdma, e.gdr) << e.name;
    EXPECT_GT(p->vcpus, 0);
  }
  EXPECT_EQ(find_preset("p5.48xlarge"), nullptr);
  EXPECT_NE(describe_presets().find("p4de.24xlarge"), std::string::npos);
}

TEST(Presets, SlotsDefaultToTheGpuCount) {
  for (const auto& p : presets()) {
    const Layout layout =
        plan_layout({{"node", std::nullopt, std::string(p.name), "test"}}, {}, elsewhere());
    EXPECT_EQ(layout.hosts[0].slots, p.gpus) << p.name;
    EXPECT_EQ(layout.np, p.gpus) << p.name;
  }
}

TEST(PresetEnvironment, P3UsesTcpSockets) {
  for (const char* name : {"p3.2xlarge", "p3.8xlarge", "p3.16xlarge"}) {
    const auto env = env_for({name, name});
    EXPECT_EQ(env.at("NCCL_NET"), "Socket") << name;
    EXPECT_EQ(env.count("FI_PROVIDER"), 0u) << name;
    EXPECT_EQ(env.count("FI_EFA_USE_DEVICE_RDMA"), 0u) << name;
  }
}

TEST(PresetEnvironment, P3dnUsesEfaWithoutGpuDirect) {
  const auto env = env_for({"p3dn.24xlarge", "p3dn.24xlarge"});
  EXPECT_EQ(env.at("FI_PROVIDER"), "efa");
  EXPECT_EQ(env.at("RDMAV_FORK_SAFE"), "1");
  EXPECT_EQ(env.count("FI_EFA_USE_DEVICE_RDMA"), 0u);
  EXPECT_EQ(env.count("NCCL_NET"), 0u);
}

TEST(PresetEnvironment, P4UsesEfaWithGpuDirectRdma) {
  for (const char* name : {"p4d.24xlarge", "p4de.24xlarge"}) {
    const auto env = env_for({name, name});
    EXPECT_EQ(env.at("FI_PROVIDER"), "efa") << name;
    EXPECT_EQ(env.at("FI_EFA_USE_DEVICE_RDMA"), "1") << name;
    EXPECT_EQ(env.at("RDMAV_FORK_SAFE"), "1") << name;
  }
}

TEST(PresetEnvironment, MixedClustersUseWhatEveryHostHas) {
  // p3 and p4d: the p3 has no EFA, so nobody may use it.
  auto env = env_for({"p3.8xlarge", "p4d.24xlarge"});
  EXPECT_EQ(env.at("NCCL_NET"), "Socket");
  EXPECT_EQ(env.count("FI_PROVIDER"), 0u);
  // p3dn and p4d: both EFA, but only p4d has GPUDirect RDMA.
  env = env_for({"p3dn.24xlarge", "p4d.24xlarge"});
  EXPECT_EQ(env.at("FI_PROVIDER"), "efa");
  EXPECT_EQ(env.count("FI_EFA_USE_DEVICE_RDMA"), 0u);
  // p4d and p4de: both have it.
  env = env_for({"p4de.24xlarge", "p4d.24xlarge"});
  EXPECT_EQ(env.at("FI_EFA_USE_DEVICE_RDMA"), "1");
}

TEST(PresetEnvironment, NetworkInterfaceSetsNcclSocketIfname) {
  EXPECT_EQ(env_for({"p3.16xlarge"}, "ens5").at("NCCL_SOCKET_IFNAME"), "ens5");
  EXPECT_EQ(env_for({"p4d.24xlarge"}, "ens32").at("NCCL_SOCKET_IFNAME"), "ens32");
  EXPECT_EQ(env_for({"p4d.24xlarge"}).count("NCCL_SOCKET_IFNAME"), 0u);
}

TEST(PresetEnvironment, HostsWithoutInstancesGetNoNetworkSettings) {
  const Layout layout = plan_layout({{"a", 2, "", "test"}, {"b", 2, "", "test"}}, {}, elsewhere());
  EXPECT_TRUE(network_environment(layout, "").empty());
  EXPECT_EQ(layout.network.kind, NetworkKind::unspecified);
}

}  // namespace
}  // namespace ringtail::launcher
