#include "chunk_pipeline.h"

#include <algorithm>

namespace ringtail::coll::detail {

ChunkPipeline::ChunkPipeline(std::size_t chunks, std::function<void(std::size_t)> job)
    : chunks_(chunks), job_(std::move(job)), thread_([this] { loop(); }) {}

ChunkPipeline::~ChunkPipeline() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    abort_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void ChunkPipeline::release(std::size_t chunk) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    released_ = std::max(released_, chunk + 1);
  }
  changed_.notify_all();
}

void ChunkPipeline::wait(std::size_t chunk) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return done_ > chunk || failure_; });
  if (done_ <= chunk) std::rethrow_exception(failure_);
}

void ChunkPipeline::loop() {
  for (std::size_t c = 0; c < chunks_; ++c) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] { return released_ > c || abort_; });
      if (released_ <= c) return;
    }
    try {
      job_(c);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      failure_ = std::current_exception();
      changed_.notify_all();
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = c + 1;
    }
    changed_.notify_all();
  }
}

}  // namespace ringtail::coll::detail
