// DistributedSampler: shards are disjoint, cover the dataset, have equal sizes,
// change with the epoch, and survive save/load.

#include <gtest/gtest.h>
#include <torch/serialize.h>

#include <algorithm>
#include <set>

#include "ringtail/collectives/error.h"
#include "ringtail/torch/distributed_sampler.h"

namespace ringtail::torch {
namespace {

std::vector<std::vector<std::size_t>> shards(std::size_t n, int world, DistributedSampler::Options o,
                                             std::uint64_t epoch) {
  std::vector<std::vector<std::size_t>> out;
  for (int r = 0; r < world; ++r) {
    DistributedSampler s(n, r, world, o);
    s.set_epoch(epoch);
    out.push_back(s.indices());
  }
  return out;
}

TEST(DistributedSampler, ShardsAreDisjointAndCoverTheDataset) {
  for (int world : {1, 2, 3, 4}) {
    const auto parts = shards(12, world, {}, 0);
    std::multiset<std::size_t> seen;
    for (const auto& p : parts) {
      EXPECT_EQ(p.size(), 12u / world);
      seen.insert(p.begin(), p.end());
    }
    EXPECT_EQ(seen.size(), 12u);
    for (std::size_t i = 0; i < 12; ++i) EXPECT_EQ(seen.count(i), 1u) << "index " << i;
  }
}

TEST(DistributedSampler, PadsUnevenDatasetsSoEveryRankHasTheSameCount) {
  const auto parts = shards(10, 4, {}, 0);
  std::set<std::size_t> covered;
  for (const auto& p : parts) {
    EXPECT_EQ(p.size(), 3u);
    covered.insert(p.begin(), p.end());
  }
  EXPECT_EQ(covered.size(), 10u);  // all covered, two repeated as padding
}

TEST(DistributedSampler, DropLastDropsTheTail) {
  DistributedSampler::Options o;
  o.drop_last = true;
  const auto parts = shards(10, 4, o, 0);
  std::set<std::size_t> covered;
  for (const auto& p : parts) {
    EXPECT_EQ(p.size(), 2u);
    covered.insert(p.begin(), p.end());
  }
  EXPECT_EQ(covered.size(), 8u);
}

TEST(DistributedSampler, EpochChangesTheOrderDeterministically) {
  const auto a = shards(100, 2, {}, 0);
  const auto b = shards(100, 2, {}, 1);
  const auto a_again = shards(100, 2, {}, 0);
  EXPECT_NE(a[0], b[0]);
  EXPECT_EQ(a, a_again);
  DistributedSampler::Options no_shuffle;
  no_shuffle.shuffle = false;
  const auto ordered = shards(6, 2, no_shuffle, 5);
  EXPECT_EQ(ordered[0], (std::vector<std::size_t>{0, 2, 4}));
  EXPECT_EQ(ordered[1], (std::vector<std::size_t>{1, 3, 5}));
}

TEST(DistributedSampler, BatchesThroughTheSamplerInterfaceAndSaveLoad) {
  DistributedSampler s(20, 1, 2);
  s.set_epoch(3);
  auto first = s.next(4);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->size(), 4u);
  ::torch::serialize::OutputArchive out;
  s.save(out);
  std::stringstream buffer;
  out.save_to(buffer);

  DistributedSampler restored(20, 1, 2);
  ::torch::serialize::InputArchive in;
  in.load_from(buffer);
  restored.load(in);
  EXPECT_EQ(restored.epoch(), 3u);
  EXPECT_EQ(restored.next(100), s.next(100));  // continues where it was saved
  EXPECT_FALSE(s.next(1).has_value());
  s.reset();
  EXPECT_EQ(s.next(4), first);
}

TEST(DistributedSampler, RejectsARankOutsideTheWorld) {
  EXPECT_THROW(DistributedSampler(10, 2, 2), Error);
}

}  // namespace
}  // namespace ringtail::torch
