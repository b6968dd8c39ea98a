// Where ranks go, and what the launcher decides from it: oversubscription,
// hierarchical allreduce for mixed clusters, yielding when ranks share cores.

#include <gtest/gtest.h>

#include <utility>

#include "ringtail/collectives/error.h"
#include "ringtail/launcher/layout.h"

namespace ringtail::launcher {
namespace {

LocalMachine machine(int cpus) {
  LocalMachine m;
  m.hostname = "head.example.com";
  m.addresses = {"127.0.0.1", "10.0.0.1", "::1"};
  m.cpus = cpus;
  return m;
}

HostSpec host(const std::string& name, std::optional<int> slots, const std::string& instance = "") {
  return {name, slots, instance, "-H entry"};
}

LayoutRequest np(int n) {
  LayoutRequest r;
  r.np = n;
  return r;
}

TEST(LocalHost, RecognizesThisMachine) {
  const LocalMachine m = machine(2);
  for (const char* name : {"localhost", "127.0.0.1", "127.0.1.1", "::1", "head.example.com", "head", "10.0.0.1"}) {
    EXPECT_TRUE(is_local_host(name, m)) << name;
  }
  for (const char* name : {"node1", "10.0.0.2", "headless"}) EXPECT_FALSE(is_local_host(name, m)) << name;
}

TEST(Layout, NoHostsMeansThisMachineWithNpSlots) {
  const Layout l = plan_layout({}, np(4), machine(64));
  ASSERT_EQ(l.hosts.size(), 1u);
  EXPECT_EQ(l.hosts[0].name, "localhost");
  EXPECT_EQ(l.hosts[0].slots, 4);
  EXPECT_EQ(l.hosts[0].ranks, 4);
  EXPECT_TRUE(l.all_local);
  EXPECT_FALSE(l.oversubscribed);
  EXPECT_FALSE(l.yield_when_idle);
  EXPECT_THROW(plan_layout({}, {}, machine(2)), Error);  // neither -np nor hosts
  // A mistyped -np must not start 100000 processes here.
  EXPECT_EQ(plan_layout({}, np(4096), machine(2)).hosts[0].ranks, 4096);
  try {
    plan_layout({}, np(100000), machine(2));
    ADD_FAILURE() << "-np 100000 without hosts was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("-np 100000"), std::string::npos) << e.what();
  }
}

TEST(Layout, RanksFillHostsInOrder) {
  const Layout l = plan_layout({host("a", 4), host("b", 4), host("c", 4)}, np(6), machine(2));
  EXPECT_EQ(l.hosts[0].ranks, 4);
  EXPECT_EQ(l.hosts[0].first_rank, 0);
  EXPECT_EQ(l.hosts[1].ranks, 2);
  EXPECT_EQ(l.hosts[1].first_rank, 4);
  EXPECT_EQ(l.hosts[2].ranks, 0);
  EXPECT_EQ(l.used_hosts().size(), 2u);
  EXPECT_FALSE(l.all_local);
  const std::string text = describe_layout(l);
  EXPECT_NE(text.find("not used (-np 6 fits before them): c"), std::string::npos) << text;
  EXPECT_TRUE(l.hierarchical_allreduce);  // 4 and 2 ranks
  EXPECT_NE(text.find("hosts run different numbers of ranks (2 and 4 per host)"), std::string::npos) << text;
}

TEST(Layout, NpDefaultsToAllSlots) {
  const Layout l = plan_layout({host("a", 3), host("b", 5)}, {}, machine(2));
  EXPECT_EQ(l.np, 8);
}

TEST(Layout, BareHostHasOneSlotAndHostfileHostNeedsSlots) {
  EXPECT_EQ(plan_layout({host("a", std::nullopt)}, {}, machine(2)).hosts[0].slots, 1);
  HostSpec from_file{"a", std::nullopt, "", "hosts.txt line 7"};
  try {
    plan_layout({from_file}, {}, machine(2));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("hosts.txt line 7"), std::string::npos) << e.what();
  }
  LayoutRequest with_instance;
  with_instance.default_instance = "p3.8xlarge";
  EXPECT_EQ(plan_layout({from_file}, with_instance, machine(2)).hosts[0].slots, 4);
}

TEST(Layout, TooFewSlotsOnSeveralHostsIsAnError) {
  try {
    plan_layout({host("a", 4), host("b", 8)}, np(16), machine(2));
    FAIL();
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("-np 16 is more than the 12 slots"), std::string::npos) << what;
    EXPECT_NE(what.find("a:4, b:8"), std::string::npos) << what;
    EXPECT_NE(what.find("--oversubscribe"), std::string::npos) << what;
  }
}

TEST(Layout, OversubscribesOneHostByItself) {
  const Layout l = plan_layout({host("localhost", 2)}, np(4), machine(2));
  EXPECT_TRUE(l.oversubscribed);
  EXPECT_EQ(l.hosts[0].ranks, 4);
  EXPECT_NE(describe_layout(l).find("oversubscribing"), std::string::npos);
}

TEST(Layout, OversubscribeSpreadsExtraRanksRoundTheHosts) {
  LayoutRequest r = np(10);
  r.oversubscribe = true;
  const Layout l = plan_layout({host("a", 2), host("b", 2), host("c", 2)}, r, machine(2));
  EXPECT_TRUE(l.oversubscribed);
  EXPECT_EQ(l.hosts[0].ranks, 4);
  EXPECT_EQ(l.hosts[1].ranks, 3);
  EXPECT_EQ(l.hosts[2].ranks, 3);
  EXPECT_EQ(l.hosts[2].first_rank, 7);
}

TEST(Layout, MixedP3AndP4TurnsOnHierarchicalAllreduce) {
  const Layout l = plan_layout({host("p3host", std::nullopt, "p3.8xlarge"), host("p4host", std::nullopt, "p4d.24xlarge")},
                               {}, machine(2));
  EXPECT_EQ(l.np, 12);
  EXPECT_EQ(l.hosts[0].ranks, 4);
  EXPECT_EQ(l.hosts[1].ranks, 8);
  EXPECT_TRUE(l.ranks_per_host_differ);
  EXPECT_TRUE(l.hierarchical_allreduce);
  EXPECT_EQ(l.network.kind, NetworkKind::tcp);
  const std::string text = describe_layout(l);
  EXPECT_NE(text.find("mixed cluster: p3.8xlarge, p4d.24xlarge"), std::string::npos) << text;
  EXPECT_NE(text.find("hosts differ in GPU count (4 and 8 GPUs, 4 and 8 ranks per host): hierarchical allreduce "
                      "turned on"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("p3host (p3.8xlarge) has no EFA"), std::string::npos) << text;
  EXPECT_NE(text.find("0-3"), std::string::npos) << text;
  EXPECT_NE(text.find("4-11"), std::string::npos) << text;
}

TEST(Layout, AnExplicitAllreduceIsKept) {
  LayoutRequest r;
  r.allreduce_given = true;
  const Layout l = plan_layout({host("a", 4), host("b", 8)}, r, machine(2));
  EXPECT_TRUE(l.ranks_per_host_differ);
  EXPECT_FALSE(l.hierarchical_allreduce);
  EXPECT_NE(describe_layout(l).find("the one --allreduce chose"), std::string::npos);
}

TEST(Layout, EqualHostsNeedNoHierarchicalAllreduce) {
  const Layout l = plan_layout({host("a", std::nullopt, "p4d.24xlarge"), host("b", std::nullopt, "p4de.24xlarge")},
                               {}, machine(2));
  EXPECT_FALSE(l.ranks_per_host_differ);
  EXPECT_FALSE(l.hierarchical_allreduce);
  EXPECT_EQ(l.network.kind, NetworkKind::efa);
  EXPECT_TRUE(l.network.gpudirect_rdma);
}

TEST(Layout, RanksSharingCoresMakeMpiYield) {
  // Two ranks on two CPUs: with the engine thread, four busy threads.
  Layout l = plan_layout({}, np(2), machine(2));
  EXPECT_TRUE(l.yield_when_idle);
  EXPECT_TRUE(l.hosts[0].shares_cores);
  EXPECT_NE(describe_layout(l).find("mpi_yield_when_idle"), std::string::npos);
  l = plan_layout({}, np(2), machine(8));
  EXPECT_FALSE(l.yield_when_idle);
  // Without mpirun (--gloo) there is no Open MPI to make yield, and no note saying so.
  LayoutRequest gloo = np(2);
  gloo.under_mpirun = false;
  l = plan_layout({}, gloo, machine(2));
  EXPECT_TRUE(l.hosts[0].shares_cores);
  EXPECT_FALSE(l.yield_when_idle);
  EXPECT_EQ(describe_layout(l).find("mpi_yield_when_idle"), std::string::npos);
  // A p3.2xlarge has 8 vCPUs: one rank per GPU is fine, five ranks are not.
  l = plan_layout({host("node", std::nullopt, "p3.2xlarge")}, {}, machine(2));
  EXPECT_FALSE(l.yield_when_idle);
  l = plan_layout({host("node", 5, "p3.2xlarge")}, {}, machine(2));
  EXPECT_TRUE(l.yield_when_idle);
  EXPECT_NE(describe_layout(l).find("ranks will share GPUs"), std::string::npos);
}

// Open MPI merges two names of one machine into one node, doubling its slots
// behind the layout's back: the same refusal as for a name listed twice.
TEST(Layout, TwoNamesOfThisMachineAreOneHostListedTwice) {
  for (const auto& [first, second] : {std::pair{"localhost", "127.0.0.1"}, std::pair{"head", "10.0.0.1"},
                                      std::pair{"head.example.com", "localhost"}}) {
    try {
      plan_layout({host(first, 2), host("node1", 2), host(second, 2)}, np(6), machine(64));
      ADD_FAILURE() << first << " and " << second << " accepted";
    } catch (const Error& e) {
      const std::string text = e.what();
      EXPECT_NE(text.find(std::string("'") + second + "' is this machine, as '" + first + "'"), std::string::npos)
          << text;
    }
  }
  EXPECT_NO_THROW(plan_layout({host("localhost", 2), host("node1", 2)}, np(4), machine(64)));
}

TEST(Layout, UnknownInstanceIsAnError) {
  LayoutRequest r;
  r.default_instance = "p9.huge";
  EXPECT_THROW(plan_layout({host("a", 1)}, r, machine(2)), Error);
}

}  // namespace
}  // namespace ringtail::launcher
