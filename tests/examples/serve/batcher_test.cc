// Dynamic batching with a stand-in model: each image gets its own row back,
// batches never exceed max_batch, a full batch does not wait for the delay,
// failures reach every image of their pass, and stop() answers what is queued.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "ringtail/collectives/error.h"
#include "ringtail/pets/serve/batch_calibration.h"
#include "ringtail/pets/serve/batcher.h"

namespace {

using namespace std::chrono_literals;
using ringtail::pets::serve::BatcherOptions;
using ringtail::pets::serve::DynamicBatcher;

// Output row i = {sum of image i, number of images in its pass}.
struct RecordingModel {
  std::mutex mutex;
  std::vector<std::size_t> batch_sizes;

  DynamicBatcher::RunBatch function() {
    return [this](const float* images, std::size_t count, float* outputs) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        batch_sizes.push_back(count);
      }
      for (std::size_t i = 0; i < count; ++i) {
        outputs[2 * i] = images[3 * i] + images[3 * i + 1] + images[3 * i + 2];
        outputs[2 * i + 1] = static_cast<float>(count);
      }
    };
  }
};

std::vector<float> image(float v) { return {v, 2 * v, 3 * v}; }

TEST(DynamicBatcher, FullBatchRunsWithoutWaitingForTheDelay) {
  RecordingModel model;
  // The delay is far longer than the test's timeout: only a full batch can run.
  DynamicBatcher batcher({4, std::chrono::microseconds(600s)}, 3, 2, model.function());
  std::vector<std::future<std::vector<float>>> results;
  for (int i = 0; i < 8; ++i) results.push_back(batcher.submit(image(static_cast<float>(i))));
  for (int i = 0; i < 8; ++i) {
    const auto row = results[static_cast<std::size_t>(i)].get();
    EXPECT_FLOAT_EQ(row[0], 6.0f * i);
    EXPECT_FLOAT_EQ(row[1], 4.0f);
  }
  std::lock_guard<std::mutex> lock(model.mutex);
  EXPECT_EQ(model.batch_sizes, (std::vector<std::size_t>{4, 4}));
}

TEST(DynamicBatcher, MaxBatchOneIsOnePassPerImage) {
  RecordingModel model;
  DynamicBatcher batcher({1, 0us}, 3, 2, model.function());
  std::vector<std::future<std::vector<float>>> results;
  for (int i = 0; i < 5; ++i) results.push_back(batcher.submit(image(1.0f)));
  for (auto& r : results) EXPECT_FLOAT_EQ(r.get()[1], 1.0f);
  std::lock_guard<std::mutex> lock(model.mutex);
  EXPECT_EQ(model.batch_sizes.size(), 5u);
}

TEST(DynamicBatcher, PartialBatchRunsAfterTheDelay) {
  RecordingModel model;
  DynamicBatcher batcher({16, 20ms}, 3, 2, model.function());
  auto a = batcher.submit(image(1.0f));
  auto b = batcher.submit(image(2.0f));
  EXPECT_FLOAT_EQ(a.get()[0], 6.0f);
  EXPECT_FLOAT_EQ(b.get()[0], 12.0f);
  std::lock_guard<std::mutex> lock(model.mutex);
  std::size_t total = 0;
  for (const auto n : model.batch_sizes) total += n;
  EXPECT_EQ(total, 2u);
}

TEST(DynamicBatcher, AFailedPassFailsEachOfItsImagesAndTheNextPassRuns) {
  std::atomic<int> calls{0};
  DynamicBatcher batcher({2, std::chrono::microseconds(600s)}, 3, 2,
                         [&](const float*, std::size_t count, float* out) {
                           if (calls++ == 0) throw std::runtime_error("model exploded");
                           for (std::size_t i = 0; i < 2 * count; ++i) out[i] = 1.0f;
                         });
  auto a = batcher.submit(image(1.0f));
  auto b = batcher.submit(image(1.0f));
  EXPECT_THROW(a.get(), std::runtime_error);
  EXPECT_THROW(b.get(), std::runtime_error);
  auto c = batcher.submit(image(1.0f));
  auto d = batcher.submit(image(1.0f));
  EXPECT_FLOAT_EQ(c.get()[0], 1.0f);
  EXPECT_FLOAT_EQ(d.get()[0], 1.0f);
}

TEST(DynamicBatcher, StopAnswersQueuedImagesAndRefusesNewOnes) {
  RecordingModel model;
  std::vector<std::size_t> observed;
  DynamicBatcher batcher({64, std::chrono::microseconds(600s)}, 3, 2, model.function(),
                         [&](std::size_t n, std::chrono::nanoseconds) { observed.push_back(n); });
  std::vector<std::future<std::vector<float>>> results;
  for (int i = 0; i < 3; ++i) results.push_back(batcher.submit(image(static_cast<float>(i))));
  ASSERT_TRUE(batcher.wait_until_queued(3, 10s));
  EXPECT_EQ(batcher.queued(), 3u);
  batcher.stop();
  for (int i = 0; i < 3; ++i) {
    EXPECT_FLOAT_EQ(results[static_cast<std::size_t>(i)].get()[0], 6.0f * i);
  }
  EXPECT_EQ(observed, (std::vector<std::size_t>{3}));
  try {
    batcher.submit(image(1.0f));
    ADD_FAILURE() << "accepted an image after stop()";
  } catch (const ringtail::Error& e) {
    EXPECT_EQ(e.kind(), ringtail::ErrorKind::shut_down);
  }
}

TEST(DynamicBatcher, RejectsBadConfigurationAndBadImages) {
  RecordingModel model;
  EXPECT_THROW(DynamicBatcher({0, 0us}, 3, 2, model.function()), ringtail::Error);
  EXPECT_THROW(DynamicBatcher({1, -1us}, 3, 2, model.function()), ringtail::Error);
  EXPECT_THROW(DynamicBatcher({1, 0us}, 0, 2, model.function()), ringtail::Error);
  DynamicBatcher batcher({1, 0us}, 3, 2, model.function());
  EXPECT_THROW(batcher.submit({1.0f, 2.0f}), ringtail::Error);
}

// Batch calibration: the choice from given timings (no clock involved), and
// the timing loop's shape with a stand-in model.
using ringtail::pets::serve::BatchTiming;

TEST(BatchCalibration, ChoosesTheSmallestBatchNearTheBestTimePerImage) {
  using ringtail::pets::serve::choose_batch_limit;
  // A model that gains from batches (ResNet-18 at 64 px, ms per image).
  EXPECT_EQ(choose_batch_limit({{1, 4.51}, {2, 3.0}, {4, 1.96}, {8, 2.16}, {16, 1.48}}), 16u);
  // Best at 8, 4 within 5 % of it: 4 answers as fast with less waiting.
  EXPECT_EQ(choose_batch_limit({{1, 20.2}, {2, 18.5}, {4, 17.3}, {8, 16.9}, {16, 17.9}}), 4u);
  // Slower per image in every batch (the small CNN): no batching.
  EXPECT_EQ(choose_batch_limit({{1, 1.10}, {2, 1.30}, {4, 1.51}, {8, 1.58}, {16, 1.59}}), 1u);
  EXPECT_EQ(choose_batch_limit({{1, 2.0}, {2, 1.0}}, 0.0), 2u);
  EXPECT_THROW(choose_batch_limit({}), ringtail::Error);
}

struct CountingClassifier : ringtail::pets::serve::Classifier {
  std::vector<std::size_t> passes;
  void classify(const float*, std::size_t count, float* probabilities) override {
    passes.push_back(count);
    for (std::size_t i = 0; i < count * 2; ++i) probabilities[i] = 0.5f;
  }
};

TEST(BatchCalibration, TimesPowersOfTwoAndTheLimitAfterAWarmUpPass) {
  CountingClassifier model;
  const std::vector<BatchTiming> timings =
      ringtail::pets::serve::time_batches(model, 3 * 4 * 4, 2, 12, 2);
  std::vector<std::size_t> sizes;
  for (const BatchTiming& t : timings) {
    sizes.push_back(t.batch);
    EXPECT_GE(t.seconds_per_image, 0.0);
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{1, 2, 4, 8, 12}));
  // Each size: one untimed pass, then two timed ones.
  EXPECT_EQ(model.passes, (std::vector<std::size_t>{1, 1, 1, 2, 2, 2, 4, 4, 4, 8, 8, 8, 12, 12, 12}));
  EXPECT_THROW(ringtail::pets::serve::time_batches(model, 48, 2, 0), ringtail::Error);
}

}  // namespace
