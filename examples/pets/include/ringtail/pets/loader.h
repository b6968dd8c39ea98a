#pragma once
// Batches examples on worker threads ahead of the training loop, with a bounded
// prefetch queue: at most `prefetch` batches are being built or waiting, so
// memory stays bounded and a slow consumer stalls the workers instead of
// growing a queue. Batches come out in order.
//
// The order of one epoch is a list of example indices handed to start_epoch().
// Sharding is the caller's business: a rank passes its own shard (the LibTorch
// adapter's DistributedSampler produces it), a single process passes a shuffled
// range (epoch_permutation below). start_epoch() and next() belong to one
// consumer thread.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "ringtail/pets/example_source.h"

namespace ringtail::pets {

struct Batch {
  std::size_t index = 0;         // position in the epoch, 0-based
  ExampleShape shape;            // of one example
  std::size_t count = 0;         // examples in this batch (the last may be short)
  std::vector<float> images;     // count x C x H x W
  std::vector<std::int64_t> labels;
  std::vector<std::size_t> examples;  // source indices, for error messages and tests
};

struct LoaderOptions {
  std::size_t batch_size = 32;
  int workers = 2;            // 0: build each batch in next(), on the caller's thread
  std::size_t prefetch = 4;   // batches in flight or waiting (at least 1)
  bool drop_last = false;     // drop a short final batch (ranks then step equally often)
  std::uint64_t seed = 0;     // augmentation seed; per example: (seed, epoch, index)
};

class Loader {
 public:
  Loader(std::shared_ptr<const ExampleSource> source, const LoaderOptions& options);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // Starts an epoch over `indices` (each < source size), abandoning any batches
  // of the previous epoch that were not taken.
  void start_epoch(std::vector<std::size_t> indices, std::uint64_t epoch);

  // The next batch of the epoch, or nothing at its end. Rethrows the error of a
  // failed example (a ringtail::Error naming the file) on the caller's thread.
  std::optional<Batch> next();

  std::size_t batches_in_epoch() const;
  const ExampleSource& source() const { return *source_; }

 private:
  struct Epoch {
    std::vector<std::size_t> indices;
    std::uint64_t number = 0;
    std::size_t batches = 0;
  };

  void worker_loop();
  Batch build(const Epoch& epoch, std::size_t batch) const;

  std::shared_ptr<const ExampleSource> source_;
  LoaderOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable work_ready_;   // workers wait for a batch to claim
  std::condition_variable batch_ready_;  // next() waits for the batch it returns
  std::shared_ptr<const Epoch> epoch_;   // replaced by start_epoch; workers hold a copy
  std::size_t next_to_claim_ = 0;
  std::size_t next_to_deliver_ = 0;
  std::map<std::size_t, Batch> ready_;
  std::map<std::size_t, std::exception_ptr> failed_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

// 0..n-1 shuffled by (seed, epoch): the single-process order of an epoch.
std::vector<std::size_t> epoch_permutation(std::size_t n, std::uint64_t seed, std::uint64_t epoch);

}  // namespace ringtail::pets
