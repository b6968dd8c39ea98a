#include "ringtail/torch/distributed_sampler.h"

#include <torch/serialize/archive.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "ringtail/collectives/error.h"

namespace ringtail::torch {

DistributedSampler::DistributedSampler(std::size_t dataset_size, int rank, int world_size,
                                       Options options)
    : dataset_size_(dataset_size), rank_(rank), world_size_(world_size), options_(options) {
  if (world_size <= 0 || rank < 0 || rank >= world_size) {
    throw Error(ErrorKind::invalid_argument, "DistributedSampler: rank " + std::to_string(rank) +
                                                 " is not within a world of size " +
                                                 std::to_string(world_size));
  }
  build();
}

void DistributedSampler::set_epoch(std::uint64_t epoch) {
  epoch_ = epoch;
  build();
}

// std::mt19937_64 and a Fisher-Yates shuffle written here (not std::shuffle,
// whose algorithm is implementation-defined), so every rank and every standard
// library computes the same permutation.
void DistributedSampler::build() {
  std::vector<std::size_t> order(dataset_size_);
  std::iota(order.begin(), order.end(), std::size_t{0});
  if (options_.shuffle) {
    std::mt19937_64 rng(options_.seed + epoch_);
    for (std::size_t i = order.size(); i > 1; --i) {
      const std::size_t j = static_cast<std::size_t>(rng() % i);
      std::swap(order[i - 1], order[j]);
    }
  }
  const std::size_t n = static_cast<std::size_t>(world_size_);
  std::size_t total = options_.drop_last ? (dataset_size_ / n) * n
                                         : ((dataset_size_ + n - 1) / n) * n;
  if (!options_.drop_last && dataset_size_ > 0) {
    for (std::size_t i = 0; order.size() < total; ++i) order.push_back(order[i % dataset_size_]);
  }
  order.resize(std::min(order.size(), total));
  indices_.clear();
  for (std::size_t i = static_cast<std::size_t>(rank_); i < order.size(); i += n) {
    indices_.push_back(order[i]);
  }
  position_ = 0;
}

void DistributedSampler::reset(compat::optional<std::size_t> new_size) {
  if (new_size && *new_size != dataset_size_) {
    dataset_size_ = *new_size;
    build();
  }
  position_ = 0;
}

compat::optional<std::vector<std::size_t>> DistributedSampler::next(std::size_t batch_size) {
  if (position_ >= indices_.size()) return compat::nullopt;
  const std::size_t end = std::min(indices_.size(), position_ + batch_size);
  std::vector<std::size_t> batch(indices_.begin() + static_cast<std::ptrdiff_t>(position_),
                                 indices_.begin() + static_cast<std::ptrdiff_t>(end));
  position_ = end;
  return batch;
}

void DistributedSampler::save(::torch::serialize::OutputArchive& archive) const {
  archive.write("epoch", ::torch::tensor(static_cast<int64_t>(epoch_)), /*is_buffer=*/true);
  archive.write("position", ::torch::tensor(static_cast<int64_t>(position_)), true);
  archive.write("seed", ::torch::tensor(static_cast<int64_t>(options_.seed)), true);
}

void DistributedSampler::load(::torch::serialize::InputArchive& archive) {
  ::torch::Tensor epoch, position, seed;
  archive.read("epoch", epoch, true);
  archive.read("position", position, true);
  archive.read("seed", seed, true);
  options_.seed = static_cast<std::uint64_t>(seed.item<int64_t>());
  set_epoch(static_cast<std::uint64_t>(epoch.item<int64_t>()));
  position_ = std::min(indices_.size(), static_cast<std::size_t>(position.item<int64_t>()));
}

}  // namespace ringtail::torch
