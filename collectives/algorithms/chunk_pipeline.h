#pragma once
// A second thread that runs one job per chunk of a buffer, chunk after chunk,
// each as soon as the caller releases it, while the caller goes on with other
// chunks: the hierarchical allreduce runs its cross-host phase here so that
// the slow links and the phases inside the host work at the same time (the
// pipeline of chunks NCCL runs through its rings and trees). Internal to the
// algorithms.

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace ringtail::coll::detail {

class ChunkPipeline {
 public:
  // Starts the thread; job(c) runs for c = 0, 1, ... chunks - 1, in order.
  ChunkPipeline(std::size_t chunks, std::function<void(std::size_t)> job);
  // Jobs not yet released never run; one that is running finishes first.
  ~ChunkPipeline();
  ChunkPipeline(const ChunkPipeline&) = delete;
  ChunkPipeline& operator=(const ChunkPipeline&) = delete;

  // Chunk c (and every chunk before it) is ready for its job.
  void release(std::size_t chunk);
  // Returns once job(chunk) has finished; rethrows the exception of a job that
  // failed (this one or an earlier one, after which none runs).
  void wait(std::size_t chunk);

 private:
  void loop();

  const std::size_t chunks_;
  const std::function<void(std::size_t)> job_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t released_ = 0;  // chunks [0, released_) may run
  std::size_t done_ = 0;      // chunks [0, done_) have run
  bool abort_ = false;
  std::exception_ptr failure_;
  std::thread thread_;
};

}  // namespace ringtail::coll::detail
