// Dynamic batching with a stand-in model: each image gets its own row back,
// batches never exceed max_batch, a full batch does not wait for the delay,
// failures reach every image of their pass, and stop() answers what is queued.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "ringtail/collectives/error.h"
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

}  // namespace
