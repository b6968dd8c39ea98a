#include "ringtail/pets/loader.h"

#include <algorithm>
#include <numeric>

#include "ringtail/collectives/error.h"
#include "ringtail/pets/random.h"

namespace ringtail::pets {

Loader::Loader(std::shared_ptr<const ExampleSource> source, const LoaderOptions& options)
    : source_(std::move(source)), options_(options) {
  if (!source_) throw Error(ErrorKind::invalid_argument, "Loader: no example source");
  if (options_.batch_size == 0) throw Error(ErrorKind::invalid_argument, "Loader: batch size is 0");
  if (options_.workers < 0) throw Error(ErrorKind::invalid_argument, "Loader: negative worker count");
  options_.prefetch = std::max<std::size_t>(options_.prefetch, 1);
  epoch_ = std::make_shared<const Epoch>();
  workers_.reserve(static_cast<std::size_t>(options_.workers));
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

Loader::~Loader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void Loader::start_epoch(std::vector<std::size_t> indices, std::uint64_t epoch) {
  const std::size_t size = source_->size();
  for (std::size_t i : indices) {
    if (i >= size) {
      throw Error(ErrorKind::invalid_argument, "Loader: example index " + std::to_string(i) +
                                                   " out of range (source has " +
                                                   std::to_string(size) + ")");
    }
  }
  auto next = std::make_shared<Epoch>();
  next->number = epoch;
  const std::size_t full = indices.size() / options_.batch_size;
  const bool partial = indices.size() % options_.batch_size != 0;
  next->batches = full + (partial && !options_.drop_last ? 1 : 0);
  next->indices = std::move(indices);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    epoch_ = std::move(next);
    next_to_claim_ = 0;
    next_to_deliver_ = 0;
    ready_.clear();
    failed_.clear();
  }
  work_ready_.notify_all();
}

std::size_t Loader::batches_in_epoch() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return epoch_->batches;
}

Batch Loader::build(const Epoch& epoch, std::size_t batch) const {
  const std::size_t begin = batch * options_.batch_size;
  const std::size_t end = std::min(begin + options_.batch_size, epoch.indices.size());
  Batch out;
  out.index = batch;
  out.shape = source_->shape();
  out.count = end - begin;
  const std::size_t numel = out.shape.numel();
  out.images.resize(out.count * numel);
  out.labels.resize(out.count);
  out.examples.assign(epoch.indices.begin() + static_cast<long>(begin),
                      epoch.indices.begin() + static_cast<long>(end));
  for (std::size_t i = 0; i < out.count; ++i) {
    const std::size_t example = out.examples[i];
    source_->load(example, combine_seeds(options_.seed, epoch.number, example),
                  out.images.data() + i * numel);
    out.labels[i] = source_->label(example);
  }
  return out;
}

void Loader::worker_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    work_ready_.wait(lock, [this] {
      return stopping_ || (next_to_claim_ < epoch_->batches &&
                           next_to_claim_ < next_to_deliver_ + options_.prefetch);
    });
    if (stopping_) return;
    const std::shared_ptr<const Epoch> epoch = epoch_;
    const std::size_t batch = next_to_claim_++;
    lock.unlock();
    std::optional<Batch> built;
    std::exception_ptr error;
    try {
      built = build(*epoch, batch);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    if (epoch_ != epoch) continue;  // start_epoch() abandoned this epoch meanwhile
    if (error) {
      failed_.emplace(batch, error);
    } else {
      ready_.emplace(batch, std::move(*built));
    }
    batch_ready_.notify_all();
  }
}

std::optional<Batch> Loader::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (next_to_deliver_ >= epoch_->batches) return std::nullopt;
  const std::size_t batch = next_to_deliver_;
  if (workers_.empty()) {
    const std::shared_ptr<const Epoch> epoch = epoch_;
    lock.unlock();
    try {
      Batch built = build(*epoch, batch);
      lock.lock();
      ++next_to_deliver_;
      return built;
    } catch (...) {
      // As with workers: the epoch ends at a failed batch.
      if (!lock.owns_lock()) lock.lock();
      next_to_claim_ = next_to_deliver_ = epoch_->batches;
      throw;
    }
  }
  batch_ready_.wait(lock, [&] { return ready_.count(batch) != 0 || failed_.count(batch) != 0; });
  if (auto failed = failed_.find(batch); failed != failed_.end()) {
    // The epoch cannot continue in order; the caller decides (usually: stop).
    const std::exception_ptr error = failed->second;
    failed_.erase(failed);
    next_to_claim_ = next_to_deliver_ = epoch_->batches;
    lock.unlock();
    work_ready_.notify_all();
    std::rethrow_exception(error);
  }
  auto node = ready_.extract(batch);
  ++next_to_deliver_;
  lock.unlock();
  work_ready_.notify_all();
  return std::move(node.mapped());
}

std::vector<std::size_t> epoch_permutation(std::size_t n, std::uint64_t seed, std::uint64_t epoch) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  Rng rng(combine_seeds(seed, epoch));
  shuffle(order, rng);
  return order;
}

}  // namespace ringtail::pets
