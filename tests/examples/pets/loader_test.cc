#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cmath>
#include <numeric>
#include <set>

#include <gtest/gtest.h>

#include "ringtail/collectives/error.h"
#include "ringtail/pets/loader.h"
#include "ringtail/pets/random.h"
#include "ringtail/pets/synth.h"
#include "temp_dir.h"

namespace ringtail::pets {
namespace {

// Example i is 2 floats: i and a number drawn from the example's seed; label i % 7.
// Fails for `bad_index`. Records the highest index it was asked for.
class FakeSource : public ExampleSource {
 public:
  explicit FakeSource(std::size_t size, std::size_t bad_index = SIZE_MAX) : size_(size), bad_(bad_index) {}
  std::size_t size() const override { return size_; }
  ExampleShape shape() const override { return {1, 1, 2}; }
  std::int64_t label(std::size_t index) const override { return static_cast<std::int64_t>(index % 7); }
  void load(std::size_t index, std::uint64_t seed, float* out) const override {
    std::size_t seen = highest_.load();
    while (index > seen && !highest_.compare_exchange_weak(seen, index)) {
    }
    if (index == bad_) throw Error(ErrorKind::invalid_argument, "images/bad_" + std::to_string(index) + ".jpg: broken");
    out[0] = static_cast<float>(index);
    out[1] = static_cast<float>(Rng(seed).uniform());
  }
  std::size_t highest() const { return highest_.load(); }

 private:
  std::size_t size_;
  std::size_t bad_;
  mutable std::atomic<std::size_t> highest_{0};
};

std::vector<Batch> drain(Loader& loader) {
  std::vector<Batch> batches;
  while (auto batch = loader.next()) batches.push_back(std::move(*batch));
  return batches;
}

TEST(Loader, DeliversEveryBatchInOrder) {
  for (int workers : {0, 1, 3}) {
    for (bool drop_last : {false, true}) {
      auto source = std::make_shared<FakeSource>(50);
      LoaderOptions options;
      options.batch_size = 8;
      options.workers = workers;
      options.drop_last = drop_last;
      Loader loader(source, options);
      const auto order = epoch_permutation(50, 9, 0);
      loader.start_epoch(order, 0);
      EXPECT_EQ(loader.batches_in_epoch(), drop_last ? 6u : 7u);
      const auto batches = drain(loader);
      ASSERT_EQ(batches.size(), drop_last ? 6u : 7u) << "workers " << workers;
      std::size_t position = 0;
      for (std::size_t b = 0; b < batches.size(); ++b) {
        const Batch& batch = batches[b];
        EXPECT_EQ(batch.index, b);
        EXPECT_EQ(batch.count, b == 6 ? 2u : 8u);
        ASSERT_EQ(batch.images.size(), batch.count * 2);
        for (std::size_t i = 0; i < batch.count; ++i, ++position) {
          EXPECT_EQ(batch.examples[i], order[position]);
          EXPECT_EQ(batch.images[2 * i], static_cast<float>(order[position]));
          EXPECT_EQ(batch.labels[i], static_cast<std::int64_t>(order[position] % 7));
        }
      }
      EXPECT_FALSE(loader.next().has_value());  // stays at the end
    }
  }
}

TEST(Loader, AugmentationSeedsDoNotDependOnWorkersAndChangeWithTheEpoch) {
  auto source = std::make_shared<FakeSource>(40);
  auto run = [&](int workers, std::uint64_t epoch) {
    LoaderOptions options;
    options.batch_size = 5;
    options.workers = workers;
    options.seed = 77;
    Loader loader(source, options);
    loader.start_epoch(epoch_permutation(40, 1, epoch), epoch);
    std::vector<float> values;
    for (const auto& batch : drain(loader)) values.insert(values.end(), batch.images.begin(), batch.images.end());
    return values;
  };
  EXPECT_EQ(run(0, 0), run(4, 0));
  EXPECT_NE(run(2, 0), run(2, 1));
}

TEST(Loader, PrefetchIsBounded) {
  auto source = std::make_shared<FakeSource>(100);
  LoaderOptions options;
  options.batch_size = 1;
  options.workers = 4;
  options.prefetch = 3;
  Loader loader(source, options);
  std::vector<std::size_t> order(100);
  std::iota(order.begin(), order.end(), std::size_t{0});
  loader.start_epoch(order, 0);
  for (std::size_t taken = 1; taken <= 20; ++taken) {
    ASSERT_TRUE(loader.next().has_value());
    // Taken batches plus at most `prefetch` in flight or waiting.
    EXPECT_LT(source->highest(), taken + options.prefetch);
  }
}

TEST(Loader, AnExampleErrorReachesTheConsumerWithItsMessage) {
  for (int workers : {0, 2}) {
    auto source = std::make_shared<FakeSource>(30, 13);
    LoaderOptions options;
    options.batch_size = 4;
    options.workers = workers;
    Loader loader(source, options);
    std::vector<std::size_t> order(30);
    std::iota(order.begin(), order.end(), std::size_t{0});
    loader.start_epoch(order, 0);
    for (int b = 0; b < 3; ++b) ASSERT_TRUE(loader.next().has_value());
    try {
      loader.next();
      FAIL() << "no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("images/bad_13.jpg"), std::string::npos);
    }
    EXPECT_FALSE(loader.next().has_value());  // the epoch ended there

    // A new epoch that avoids the bad example runs normally.
    order.erase(order.begin() + 13);
    loader.start_epoch(order, 1);
    EXPECT_EQ(drain(loader).size(), 8u);
  }
}

TEST(Loader, StartEpochAbandonsThePreviousOne) {
  auto source = std::make_shared<FakeSource>(64);
  LoaderOptions options;
  options.batch_size = 4;
  options.workers = 2;
  Loader loader(source, options);
  loader.start_epoch(epoch_permutation(64, 0, 0), 0);
  ASSERT_TRUE(loader.next().has_value());
  const std::vector<std::size_t> second = {5, 6, 7};
  loader.start_epoch(second, 1);
  const auto batches = drain(loader);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].examples, second);
}

TEST(Loader, DestroyingMidEpochDoesNotHang) {
  auto source = std::make_shared<FakeSource>(1000);
  LoaderOptions options;
  options.batch_size = 2;
  options.workers = 3;
  auto loader = std::make_unique<Loader>(source, options);
  loader->start_epoch(epoch_permutation(1000, 0, 0), 0);
  ASSERT_TRUE(loader->next().has_value());
  loader.reset();
  SUCCEED();
}

TEST(Loader, RejectsBadArguments) {
  auto source = std::make_shared<FakeSource>(10);
  LoaderOptions options;
  Loader loader(source, options);
  EXPECT_THROW(loader.start_epoch({3, 10}, 0), Error);
  options.batch_size = 0;
  EXPECT_THROW(Loader(source, options), Error);
  EXPECT_THROW(Loader(nullptr, LoaderOptions{}), Error);
}

TEST(Loader, EpochPermutationIsAPermutationPerEpoch) {
  const auto a = epoch_permutation(100, 5, 0);
  const auto b = epoch_permutation(100, 5, 1);
  EXPECT_NE(a, b);
  EXPECT_EQ(a, epoch_permutation(100, 5, 0));
  auto sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < sorted.size(); ++i) EXPECT_EQ(sorted[i], i);
}

TEST(Loader, LoadsSyntheticPetsEndToEnd) {
  ringtail_test::TempDir dir;
  SynthOptions synth;
  synth.out = dir.path();
  synth.classes = 4;
  synth.per_class = 6;
  synth.size = 80;
  synth.bad_per_kind = 0;
  generate_synthetic_pets(synth);
  OxfordPetsOptions options;
  options.root = dir.path();
  const OxfordPets pets(options);

  TrainTransform train;
  train.size = 32;
  auto source = std::make_shared<PetsSource>(pets.records(PetsSplit::train), train);
  LoaderOptions loader_options;
  loader_options.batch_size = 5;
  loader_options.workers = 2;
  Loader loader(source, loader_options);
  loader.start_epoch(epoch_permutation(source->size(), 0, 0), 0);
  std::size_t seen = 0;
  std::set<std::int64_t> labels;
  for (const auto& batch : drain(loader)) {
    EXPECT_EQ(batch.shape.channels, 3);
    EXPECT_EQ(batch.shape.height, 32);
    EXPECT_EQ(batch.shape.width, 32);
    for (float v : batch.images) ASSERT_TRUE(std::isfinite(v) && std::fabs(v) < 3.0f);
    for (auto label : batch.labels) labels.insert(label);
    seen += batch.count;
  }
  EXPECT_EQ(seen, pets.records(PetsSplit::train).size());
  EXPECT_EQ(labels, (std::set<std::int64_t>{0, 1, 2, 3}));
}

}  // namespace
}  // namespace ringtail::pets
