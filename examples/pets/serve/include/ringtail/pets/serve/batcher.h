#pragma once
// Dynamic batching: request threads submit single images; one worker thread
// gathers them into one forward pass of up to `max_batch` images, waiting at
// most `max_delay` after the oldest queued image arrived (whichever comes
// first), runs the model on the batch and hands each image its own output row.
//
// max_batch = 1 turns batching off (one forward pass per image, still on the one
// worker, so the model never runs two passes at once). max_delay = 0 never waits
// but still takes whatever queued up during the previous pass.
//
// Shutdown: drain() makes the worker stop waiting for company (every queued or
// later image runs at once); stop() drains, waits for the queue to empty and
// joins. Images submitted after stop() are refused with ringtail::Error.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace ringtail::pets::serve {

struct BatcherOptions {
  std::size_t max_batch = 16;
  std::chrono::microseconds max_delay{5000};
};

class DynamicBatcher {
 public:
  // Fills outputs[count x output_size] from images[count x input_size]; may throw,
  // and then every image of that batch gets the exception.
  using RunBatch = std::function<void(const float* images, std::size_t count, float* outputs)>;
  // Called on the worker after each pass (metrics).
  using BatchObserver = std::function<void(std::size_t count, std::chrono::nanoseconds duration)>;

  DynamicBatcher(BatcherOptions options, std::size_t input_size, std::size_t output_size,
                 RunBatch run, BatchObserver observer = {});
  ~DynamicBatcher();
  DynamicBatcher(const DynamicBatcher&) = delete;
  DynamicBatcher& operator=(const DynamicBatcher&) = delete;

  // `image` must hold input_size floats. The future yields output_size floats.
  std::future<std::vector<float>> submit(std::vector<float> image);

  void drain();
  void stop();

  std::size_t queued() const;
  // Blocks until at least `count` images are queued and not yet taken by a
  // pass, or `timeout` passes; returns whether the count was reached. For tests
  // that must hold requests in flight.
  bool wait_until_queued(std::size_t count, std::chrono::milliseconds timeout) const;

 private:
  struct Pending {
    std::vector<float> image;
    std::promise<std::vector<float>> result;
    std::chrono::steady_clock::time_point arrived;
  };

  void worker_loop();
  void run_batch(std::vector<Pending>& batch);

  const BatcherOptions options_;
  const std::size_t input_size_;
  const std::size_t output_size_;
  const RunBatch run_;
  const BatchObserver observer_;

  mutable std::mutex mutex_;
  std::condition_variable wake_worker_;
  mutable std::condition_variable queue_changed_;
  std::deque<Pending> queue_;
  bool draining_ = false;
  bool stopping_ = false;
  std::vector<float> inputs_;   // worker only: the batch, contiguous
  std::vector<float> outputs_;  // worker only
  std::thread worker_;
};

}  // namespace ringtail::pets::serve
