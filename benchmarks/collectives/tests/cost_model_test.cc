// Unit tests of ringtail-bench's alpha-beta cost model (cost_model.h). The
// expected values are worked out by hand from the formulas in cost_model.h's
// header comment (the arithmetic is in the comments), not by calling the model
// a second time, so a change to a formula shows up here as a changed number.

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cost_model.h"
#include "ringtail/collectives/algorithms/options.h"

namespace ringtail::bench {
namespace {

// Relative comparison: the model's numbers span microseconds to seconds.
void expect_close(double actual, double expected, const char* what) {
  if (expected == 0) {
    EXPECT_EQ(actual, 0.0) << what;
  } else {
    EXPECT_NEAR(actual, expected, std::abs(expected) * 1e-12) << what;
  }
}

constexpr double kN = 1e6;  // bytes in every prediction below unless said otherwise

// Constants chosen so that every term is a different, easily multiplied number.
MachineCost machine(int hosts, int ranks_per_host) {
  MachineCost m;
  m.hosts = hosts;
  m.ranks_per_host = ranks_per_host;
  m.ranks = hosts * ranks_per_host;
  m.local = {2e-6, 1e-10};   // 2 us, 10 GB/s
  m.cross = {30e-6, 8e-10};  // 30 us, 1.25 GB/s per flow
  m.node_bandwidth = 1e9;    // 1 GB/s out of a host: 1e-9 s per byte
  m.gamma = 3e-10;
  m.shm_alpha = 5e-6;
  m.copy_beta = 2e-10;
  return m;
}

// --- ring: 2(p-1) alpha + 2(p-1)/p N beta + (p-1)/p N gamma -----------------

TEST(CostModelRing, OneHostUsesTheLocalLink) {
  // p = 4: 2*3*2e-6 = 12e-6; 2*3/4*1e6*1e-10 = 150e-6; 3/4*1e6*3e-10 = 225e-6.
  expect_close(predict_ring(machine(1, 4), kN), 387e-6, "ring, 1 host x 4");
}

TEST(CostModelRing, AcrossHostsEveryStepWaitsForTheCrossLink) {
  // p = 8 on 2 hosts: 2*7*30e-6 = 420e-6; 2*7/8*1e6*8e-10 = 1400e-6;
  // 7/8*1e6*3e-10 = 262.5e-6.
  expect_close(predict_ring(machine(2, 4), kN), 2082.5e-6, "ring, 2 hosts x 4");
}

TEST(CostModelRing, OneRankCostsNothing) {
  expect_close(predict_ring(machine(1, 1), kN), 0, "ring, 1 rank");
}

// --- recursive halving-doubling ----------------------------------------------

TEST(CostModelHalvingDoubling, OneHost) {
  // p = 4: 2 log2(4) * 2e-6 = 8e-6; 2*3/4*1e6*1e-10 = 150e-6; gamma 225e-6.
  expect_close(predict_halving_doubling(machine(1, 4), kN), 383e-6, "H-D, 1 host x 4");
}

TEST(CostModelHalvingDoubling, StepsAtDistanceLCrossHostsAndShareTheNic) {
  // p = 8, L = 4: steps at distance 1 and 2 stay in the host, distance 4 crosses.
  // Each step is done twice (halving, then doubling) on half of what is left:
  //   distance 1: 2 (2e-6 + 5e5   * 1e-10)      = 104e-6
  //   distance 2: 2 (2e-6 + 2.5e5 * 1e-10)      =  54e-6
  //   distance 4: the 4 ranks of a host share its 1 GB/s NIC, 4e-9 s/B, slower
  //               than one flow's 8e-10: 2 (30e-6 + 1.25e5 * 4e-9) = 1060e-6
  //   gamma 7/8 * 1e6 * 3e-10                                       = 262.5e-6
  expect_close(predict_halving_doubling(machine(2, 4), kN), 1480.5e-6, "H-D, 2 hosts x 4");
}

TEST(CostModelHalvingDoubling, CrossStepTakesTheSlowerOfFlowAndNicShare) {
  // The crossing step at the per-flow rate: 2 (30e-6 + 1.25e5 * 8e-10) = 260e-6,
  // so 104e-6 + 54e-6 + 260e-6 + 262.5e-6 = 680.5e-6, both when the NIC's share
  // (4 / 1e11 = 4e-11 s/B) is faster than one flow and when it is unknown (0).
  MachineCost fast_nic = machine(2, 4);
  fast_nic.node_bandwidth = 1e11;
  expect_close(predict_halving_doubling(fast_nic, kN), 680.5e-6, "H-D, NIC faster than a flow");
  MachineCost unknown_nic = machine(2, 4);
  unknown_nic.node_bandwidth = 0;
  expect_close(predict_halving_doubling(unknown_nic, kN), 680.5e-6, "H-D, NIC unknown");
}

TEST(CostModelHalvingDoubling, OneRankCostsNothing) {
  expect_close(predict_halving_doubling(machine(1, 1), kN), 0, "H-D, 1 rank");
}

// --- hierarchical, local phases as messages ----------------------------------
// 2 hosts x 4 ranks, N = 1e6, one chunk:
//   local reduce-scatter (L-1)(alpha_l + N/L beta_l) + (L-1)/L N gamma
//                        = 3 (2e-6 + 25e-6) + 225e-6                 = 306e-6
//   cross allreduce      2(H-1) alpha_c + 2(H-1)/H N / node_bandwidth + (H-1)/H N/L gamma
//                        = 60e-6 + 1000e-6 + 37.5e-6                 = 1097.5e-6
//   local allgather      (L-1)(alpha_l + N/L beta_l) = 3 * 27e-6     = 81e-6

TEST(CostModelHierarchical, OneChunkIsTheSumOfItsThreePhases) {
  const double reduce_scatter = 306e-6, cross = 1097.5e-6, allgather = 81e-6;
  expect_close(predict_hierarchical(machine(2, 4), kN, 1), reduce_scatter + cross + allgather,
               "hierarchical, 1 chunk");
  // Fewer than one chunk means one.
  expect_close(predict_hierarchical(machine(2, 4), kN, 0.25), reduce_scatter + cross + allgather,
               "hierarchical, 0.25 chunks");
}

TEST(CostModelHierarchical, ChunksPipelineCrossBesideLocal) {
  // C = 4 chunks of 2.5e5 bytes:
  //   local of a chunk = 2*3 (2e-6 + 62500 * 1e-10) + 3/4 * 2.5e5 * 3e-10
  //                    = 49.5e-6 + 56.25e-6                           = 105.75e-6
  //   cross of a chunk = 60e-6 + 2.5e5 * 1e-9 + 1/2 * 62500 * 3e-10   = 319.375e-6
  //   (C-1) max(local, cross) + local + cross = 3 * 319.375e-6 + 425.125e-6
  const double local = 105.75e-6, cross = 319.375e-6;
  expect_close(predict_hierarchical(machine(2, 4), kN, 4), 3 * cross + local + cross,
               "hierarchical, 4 chunks, cross-bound");
  expect_close(predict_hierarchical(machine(2, 4), kN, 4), 1383.25e-6, "hierarchical, 4 chunks");
}

TEST(CostModelHierarchical, ChunksPipelineLocalBoundWhenTheNetworkIsFast) {
  // A fast network: cross alpha 1e-6, 1e11 B/s per host. Cross of a chunk:
  // 2e-6 + 2.5e5 * 1e-11 + 9.375e-6 = 13.875e-6, below the local 105.75e-6:
  // 3 * 105.75e-6 + 105.75e-6 + 13.875e-6 = 436.875e-6.
  MachineCost m = machine(2, 4);
  m.cross.alpha = 1e-6;
  m.node_bandwidth = 1e11;
  expect_close(predict_hierarchical(m, kN, 4), 436.875e-6, "hierarchical, 4 chunks, local-bound");
}

TEST(CostModelHierarchical, OneHostIsTheLocalPhasesAloneWithoutPipeline) {
  // H = 1, L = 4: 2*3 (2e-6 + 25e-6) + 225e-6 = 387e-6 (the ring's time), and
  // there is nothing to pipeline against, so chunks do not change it.
  expect_close(predict_hierarchical(machine(1, 4), kN, 1), 387e-6, "hierarchical, 1 host");
  expect_close(predict_hierarchical(machine(1, 4), kN, 8), 387e-6, "hierarchical, 1 host, 8 chunks");
}

TEST(CostModelHierarchical, OneRankPerHostIsTheCrossPhaseAlone) {
  // L = 1, H = 4: 2*3*30e-6 + 2*3/4 * 1e6 * 1e-9 + 3/4 * 1e6 * 3e-10
  //             = 180e-6 + 1500e-6 + 225e-6 = 1905e-6.
  expect_close(predict_hierarchical(machine(4, 1), kN, 1), 1905e-6, "hierarchical, 4 hosts x 1");
  // 4 chunks with no local phase: 4 * (180e-6 + 375e-6 + 56.25e-6) = 2445e-6.
  expect_close(predict_hierarchical(machine(4, 1), kN, 4), 2445e-6, "hierarchical, 4 hosts x 1, 4 chunks");
}

// --- hierarchical, local phases through shared memory -------------------------
// steps x shm_alpha + copied x copy_beta + reduced x gamma, with the
// reduce-scatter copying and reducing (L-1)/L of the chunk and the allgather
// copying 1/L in and (L-1)/L out: 1.75 chunk copied, 0.75 chunk reduced for
// L = 4. Steps (cost_model.cc): a reduce-scatter step moves half an area of a
// shard, an allgather step half a slot of L areas.

TEST(CostModelHierarchical, SharedMemoryLocalPhases) {
  const double area = 65536;
  // One chunk: shard 2.5e5 B; ceil(2.5e5 / 32768) = 8 + ceil(2.5e5 / 131072) = 2
  // steps: 10 * 5e-6 + 1.75e6 * 2e-10 + 0.75e6 * 3e-10 = 50e-6 + 350e-6 + 225e-6
  //      = 625e-6, plus the cross phase 1097.5e-6.
  expect_close(predict_hierarchical(machine(2, 4), kN, 1, LocalPhases::shared_memory, area),
               625e-6 + 1097.5e-6, "hierarchical shm, 1 chunk");
  // 4 chunks of 2.5e5: shard 62500 B, 2 + 1 steps: 15e-6 + 87.5e-6 + 56.25e-6
  // = 158.75e-6 locally, 319.375e-6 across: 3 * 319.375e-6 + 158.75e-6 + 319.375e-6.
  expect_close(predict_hierarchical(machine(2, 4), kN, 4, LocalPhases::shared_memory, area),
               1436.25e-6, "hierarchical shm, 4 chunks");
  // One host: the local phases alone.
  expect_close(predict_hierarchical(machine(1, 4), kN, 4, LocalPhases::shared_memory, area), 625e-6,
               "hierarchical shm, 1 host");
}

// --- shm (one host): per chunk of p areas 2 alpha_s, (2(p-1)/p + 1/p) N copied,
// (p-1)/p N reduced ----------------------------------------------------------

TEST(CostModelShm, ChunksOfPAreasTwoStepsEach) {
  const double area = 65536;  // p areas = 262144 B per chunk
  // 1e6 B: ceil(3.81) = 4 chunks: 8 * 5e-6 + 1.75e6 * 2e-10 + 0.75e6 * 3e-10
  //      = 40e-6 + 350e-6 + 225e-6.
  expect_close(predict_shm(machine(1, 4), kN, area), 615e-6, "shm, 4 chunks");
  // Exactly two chunks (524288 B): 20e-6 + 917504 * 2e-10 + 393216 * 3e-10.
  expect_close(predict_shm(machine(1, 4), 524288, area), 20e-6 + 183.5008e-6 + 117.9648e-6,
               "shm, exactly 2 chunks");
  // Less than one chunk is one: 10e-6 + 1750 * 2e-10 + 750 * 3e-10.
  expect_close(predict_shm(machine(1, 4), 1000, area), 10.575e-6, "shm, 1 chunk");
}

TEST(CostModelShm, NothingToPredictForOneRankOrNoArea) {
  expect_close(predict_shm(machine(1, 1), kN, 65536), 0, "shm, 1 rank");
  expect_close(predict_shm(machine(1, 4), kN, 0), 0, "shm, no area");
}

// --- hierarchical_chunks -------------------------------------------------------

TEST(CostModelChunks, WholeChunksClampedBetweenOneAndTheMaximum) {
  const double mib = 1 << 20;
  const double max = static_cast<double>(coll::kMaxPipelineChunks);
  EXPECT_EQ(hierarchical_chunks(16 * mib, 4 * mib), 4);
  EXPECT_EQ(hierarchical_chunks(17 * mib, 4 * mib), 4);  // whole chunks only
  EXPECT_EQ(hierarchical_chunks(15 * mib, 4 * mib), 3);
  EXPECT_EQ(hierarchical_chunks(mib, 4 * mib), 1);
  EXPECT_EQ(hierarchical_chunks(4 * mib - 1, 4 * mib), 1);
  EXPECT_EQ(hierarchical_chunks(0, 4 * mib), 1);
  EXPECT_EQ(hierarchical_chunks((max - 1) * 4 * mib, 4 * mib), max - 1);
  EXPECT_EQ(hierarchical_chunks(max * 4 * mib, 4 * mib), max);
  EXPECT_EQ(hierarchical_chunks(1024 * mib * 1024, 4 * mib), max);
}

// --- fit_line --------------------------------------------------------------------

TEST(CostModelFit, RecoversAnExactLine) {
  const double alpha = 5e-6, beta = 2e-10;
  std::vector<double> x{1024, 4096, 16384, 65536, 262144}, y;
  for (double b : x) y.push_back(alpha + beta * b);
  const LinkCost fit = fit_line(x, y);
  expect_close(fit.alpha, alpha, "fitted alpha");
  expect_close(fit.beta, beta, "fitted beta");
}

TEST(CostModelFit, DegenerateInputs) {
  const LinkCost none = fit_line({}, {});
  EXPECT_EQ(none.alpha, 0);
  EXPECT_EQ(none.beta, 0);
  // One x value: no slope to fit; the intercept is the mean time.
  const LinkCost one_x = fit_line({4096, 4096, 4096}, {1e-6, 2e-6, 3e-6});
  expect_close(one_x.alpha, 2e-6, "one x: alpha");
  EXPECT_EQ(one_x.beta, 0);
  const LinkCost one_point = fit_line({8}, {7e-6});
  expect_close(one_point.alpha, 7e-6, "one point: alpha");
  EXPECT_EQ(one_point.beta, 0);
}

TEST(CostModelFit, NegativeFitsClampToZero) {
  // cost_model.cc: a time per message or per byte cannot be negative.
  const LinkCost falling = fit_line({1, 2, 3}, {3, 2, 1});  // slope -1, intercept 4
  EXPECT_EQ(falling.beta, 0);
  expect_close(falling.alpha, 4, "falling: alpha");
  const LinkCost below_zero = fit_line({1, 2, 3}, {1, 3, 5});  // slope 2, intercept -1
  expect_close(below_zero.beta, 2, "below zero: beta");
  EXPECT_EQ(below_zero.alpha, 0);
}

// --- published instances -----------------------------------------------------------

TEST(CostModelInstances, PublishedNumbers) {
  const std::vector<Instance>& all = aws_instances();
  ASSERT_EQ(all.size(), 3u);
  struct Published {
    const char* name;
    int gpus;
    double nvlink_gbytes, network_gbits, network_alpha_us, nvlink_alpha_us, reduce_gbytes;
  };
  const Published expected[] = {{"p3.16xlarge", 8, 150, 25, 25, 5, 300},
                                {"p3dn.24xlarge", 8, 150, 100, 25, 5, 300},
                                {"p4d.24xlarge", 8, 300, 400, 15, 5, 500}};
  for (std::size_t i = 0; i < all.size(); ++i) {
    SCOPED_TRACE(expected[i].name);
    EXPECT_EQ(all[i].name, expected[i].name);
    EXPECT_EQ(all[i].gpus, expected[i].gpus);
    EXPECT_EQ(all[i].nvlink_gbytes, expected[i].nvlink_gbytes);
    EXPECT_EQ(all[i].network_gbits, expected[i].network_gbits);
    EXPECT_EQ(all[i].network_alpha_us, expected[i].network_alpha_us);
    EXPECT_EQ(all[i].nvlink_alpha_us, expected[i].nvlink_alpha_us);
    EXPECT_EQ(all[i].gpu_reduce_gbytes, expected[i].reduce_gbytes);
  }
}

TEST(CostModelInstances, MachineOfAClusterOfP4d) {
  const Instance& p4d = aws_instances()[2];
  ASSERT_EQ(p4d.name, "p4d.24xlarge");
  // 400 Gbit/s = 50 GB/s, at 0.9 efficiency 45 GB/s.
  const MachineCost m = machine_of(p4d, 4, 0.9);
  EXPECT_EQ(m.hosts, 4);
  EXPECT_EQ(m.ranks_per_host, 8);
  EXPECT_EQ(m.ranks, 32);
  expect_close(m.local.alpha, 5e-6, "NVLink alpha");
  expect_close(m.local.beta, 1 / 300e9, "NVLink beta");
  expect_close(m.cross.alpha, 15e-6, "EFA alpha");
  expect_close(m.cross.beta, 1 / 45e9, "EFA beta");
  expect_close(m.node_bandwidth, 45e9, "EFA per host");
  expect_close(m.gamma, 1 / 500e9, "A100 reduce");
}

TEST(CostModelInstances, MachineOfOneP3AtFullRate) {
  const Instance& p3 = aws_instances()[0];
  ASSERT_EQ(p3.name, "p3.16xlarge");
  // 25 Gbit/s = 3.125 GB/s.
  const MachineCost m = machine_of(p3, 1, 1.0);
  EXPECT_EQ(m.hosts, 1);
  EXPECT_EQ(m.ranks, 8);
  expect_close(m.local.beta, 1 / 150e9, "NVLink beta");
  expect_close(m.cross.alpha, 25e-6, "ENA alpha");
  expect_close(m.cross.beta, 1 / 3.125e9, "ENA beta");
  expect_close(m.node_bandwidth, 3.125e9, "ENA per host");
  expect_close(m.gamma, 1 / 300e9, "V100 reduce");
  // --predict's first row: one node's ring of 100 MiB, by hand:
  // 2*7*5e-6 + 2*7/8 * 104857600 / 150e9 + 7/8 * 104857600 / 300e9.
  const double n = 104857600;
  expect_close(predict_ring(m, n), 70e-6 + 1.75 * n / 150e9 + 0.875 * n / 300e9, "p3 ring, 1 node");
}

}  // namespace
}  // namespace ringtail::bench
