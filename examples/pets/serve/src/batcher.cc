#include "ringtail/pets/serve/batcher.h"

#include <algorithm>
#include <cstring>
#include <exception>

#include "ringtail/collectives/error.h"

namespace ringtail::pets::serve {

DynamicBatcher::DynamicBatcher(BatcherOptions options, std::size_t input_size,
                               std::size_t output_size, RunBatch run, BatchObserver observer)
    : options_(options),
      input_size_(input_size),
      output_size_(output_size),
      run_(std::move(run)),
      observer_(std::move(observer)) {
  if (options_.max_batch == 0) {
    throw Error(ErrorKind::invalid_argument, "dynamic batching: max_batch must be at least 1");
  }
  if (options_.max_delay.count() < 0) {
    throw Error(ErrorKind::invalid_argument, "dynamic batching: max_delay must not be negative");
  }
  if (input_size_ == 0 || output_size_ == 0 || !run_) {
    throw Error(ErrorKind::invalid_argument,
                "dynamic batching: needs non-zero input and output sizes and a model function");
  }
  inputs_.resize(options_.max_batch * input_size_);
  outputs_.resize(options_.max_batch * output_size_);
  worker_ = std::thread([this] { worker_loop(); });
}

DynamicBatcher::~DynamicBatcher() { stop(); }

std::future<std::vector<float>> DynamicBatcher::submit(std::vector<float> image) {
  if (image.size() != input_size_) {
    throw Error(ErrorKind::invalid_argument,
                "dynamic batching: an image of " + std::to_string(image.size()) +
                    " values where the model takes " + std::to_string(input_size_));
  }
  Pending pending{std::move(image), {}, std::chrono::steady_clock::now()};
  auto future = pending.result.get_future();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) throw Error(ErrorKind::shut_down, "the server is shutting down");
    queue_.push_back(std::move(pending));
  }
  wake_worker_.notify_one();
  queue_changed_.notify_all();
  return future;
}

void DynamicBatcher::drain() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    draining_ = true;
  }
  wake_worker_.notify_one();
}

void DynamicBatcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    draining_ = true;
    stopping_ = true;
  }
  wake_worker_.notify_one();
  if (worker_.joinable()) worker_.join();
}

std::size_t DynamicBatcher::queued() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

bool DynamicBatcher::wait_until_queued(std::size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return queue_changed_.wait_for(lock, timeout, [&] { return queue_.size() >= count; });
}

void DynamicBatcher::worker_loop() {
  std::vector<Pending> batch;
  batch.reserve(options_.max_batch);
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_worker_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) break;  // stopping, nothing left
    // The oldest image sets the deadline, so no image waits longer than
    // max_delay for company.
    const auto deadline = queue_.front().arrived + options_.max_delay;
    wake_worker_.wait_until(lock, deadline,
                            [&] { return draining_ || queue_.size() >= options_.max_batch; });
    const std::size_t count = std::min(queue_.size(), options_.max_batch);
    for (std::size_t i = 0; i < count; ++i) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    queue_changed_.notify_all();
    run_batch(batch);
    batch.clear();
    lock.lock();
  }
}

void DynamicBatcher::run_batch(std::vector<Pending>& batch) {
  const std::size_t count = batch.size();
  for (std::size_t i = 0; i < count; ++i) {
    std::memcpy(inputs_.data() + i * input_size_, batch[i].image.data(),
                input_size_ * sizeof(float));
  }
  const auto start = std::chrono::steady_clock::now();
  try {
    run_(inputs_.data(), count, outputs_.data());
  } catch (...) {
    const std::exception_ptr error = std::current_exception();
    for (auto& pending : batch) pending.result.set_exception(error);
    return;
  }
  const auto duration = std::chrono::steady_clock::now() - start;
  // Observed before the answers go out, so a client that reads the metrics
  // after its answer sees its own pass counted.
  if (observer_) observer_(count, std::chrono::duration_cast<std::chrono::nanoseconds>(duration));
  for (std::size_t i = 0; i < count; ++i) {
    const float* row = outputs_.data() + i * output_size_;
    batch[i].result.set_value(std::vector<float>(row, row + output_size_));
  }
}

}  // namespace ringtail::pets::serve
