// One-process tests of the algorithm names, the exact fractions that cut
// buffers, and what `auto` chooses.
#include <gtest/gtest.h>

#include "ringtail/collectives/algorithms/host_layout.h"
#include "ringtail/collectives/algorithms/options.h"
#include "ringtail/collectives/algorithms/selection.h"

namespace ringtail::coll {
namespace {

TEST(AlgorithmNames, RoundTripAndFlatMeansNative) {
  for (AllreduceKind k : {AllreduceKind::native, AllreduceKind::ring, AllreduceKind::hierarchical,
                          AllreduceKind::automatic}) {
    EXPECT_EQ(parse_allreduce_kind(to_string(k)), k);
  }
  EXPECT_EQ(parse_allgather_kind("flat"), AllgatherKind::native);
  EXPECT_EQ(parse_allgather_kind("auto"), AllgatherKind::automatic);
  EXPECT_FALSE(parse_allreduce_kind("tree").has_value());
  EXPECT_EQ(parse_phase_method("native"), PhaseMethod::native);
  EXPECT_FALSE(parse_phase_method("nccl").has_value());
}

TEST(Fraction, CutsAreExactAndConsistentAcrossEquivalentFractions) {
  EXPECT_EQ((Fraction{1, 3}.at(10)), 3u);
  EXPECT_EQ((Fraction{2, 6}.at(10)), 3u);  // same point, same cut
  EXPECT_EQ((Fraction{2, 3}.at(10)), 6u);
  EXPECT_EQ((Fraction{1, 1}.at(10)), 10u);
  EXPECT_TRUE((Fraction{1, 3} < Fraction{1, 2}));
  EXPECT_TRUE((Fraction{2, 4} == Fraction{1, 2}));
  // No overflow for huge buffers: floor(count * 7 / 8) with count near 2^62.
  const std::size_t huge = std::size_t{1} << 62;
  EXPECT_EQ((Fraction{7, 8}.at(huge)), huge / 8 * 7);
}

Topology topology_of(std::vector<int> ranks_per_host) {
  Topology t;
  t.ranks_per_host = ranks_per_host;
  t.size = 0;
  for (int n : ranks_per_host) t.size += n;
  return t;
}

TEST(Selection, FlatWorldUsesNativeForSmallAndRingForLarge) {
  const auto& th = default_thresholds();
  // Without a topology nobody knows the ranks share a machine: no shm.
  EXPECT_EQ(choose_allreduce(th.ring_min_bytes - 1, 4, nullptr), AllreduceKind::native);
  EXPECT_EQ(choose_allreduce(th.ring_min_bytes, 4, nullptr), AllreduceKind::ring);
  EXPECT_EQ(choose_allreduce(64 << 20, 4, nullptr), AllreduceKind::ring);
  EXPECT_EQ(choose_allreduce(64 << 20, 1, nullptr), AllreduceKind::native);
  // One rank per host is a flat ring too: nothing to gain inside hosts.
  const Topology singles = topology_of({1, 1, 1});
  EXPECT_EQ(choose_allreduce(64 << 20, 3, &singles), AllreduceKind::ring);
}

TEST(Selection, OneKnownHostUsesSharedMemory) {
  const auto& th = default_thresholds();
  const Topology one_host = topology_of({4});
  EXPECT_EQ(choose_allreduce(th.shm_min_bytes, 4, &one_host), AllreduceKind::shm);
  EXPECT_EQ(choose_allreduce(64 << 20, 4, &one_host), AllreduceKind::shm);
  if (th.shm_min_bytes > 0) {
    EXPECT_EQ(choose_allreduce(th.shm_min_bytes - 1, 4, &one_host), AllreduceKind::native);
  }
  EXPECT_EQ(choose_allreduce(64 << 20, 1, &one_host), AllreduceKind::native);
  // One rank per host, or several hosts: never shm.
  const Topology singles = topology_of({1, 1});
  EXPECT_NE(choose_allreduce(64 << 20, 2, &singles), AllreduceKind::shm);
  const Topology two_hosts = topology_of({2, 2});
  EXPECT_NE(choose_allreduce(64 << 20, 4, &two_hosts), AllreduceKind::shm);
}

TEST(Selection, SeveralHostsWithLocalRanksGoHierarchicalForLargeMessages) {
  const auto& th = default_thresholds();
  const Topology uneven = topology_of({1, 3});
  EXPECT_EQ(choose_allreduce(th.hierarchical_min_bytes, 4, &uneven), AllreduceKind::hierarchical);
  EXPECT_EQ(choose_allreduce(th.hierarchical_min_bytes - 1, 4, &uneven), AllreduceKind::native);
  EXPECT_EQ(choose_allgather(th.hierarchical_allgather_min_bytes, 4, &uneven),
            AllgatherKind::hierarchical);
  const Topology one_host = topology_of({4});
  EXPECT_EQ(choose_allgather(1 << 30, 4, &one_host), AllgatherKind::native);
}

}  // namespace
}  // namespace ringtail::coll
