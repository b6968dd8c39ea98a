#pragma once
// A torch::data sampler that gives each rank its own shard of a dataset, as
// PyTorch's DistributedSampler does: every epoch the indices are shuffled with
// the same seed on every rank (seed + epoch), padded by repeating the first
// indices so the total divides evenly (or the tail dropped), and rank r takes
// every size-th index starting at r. Every rank therefore gets the same number
// of samples and batches, and the shards of one epoch are disjoint (up to the
// padding) and cover the dataset.

#include <torch/data/samplers/base.h>

#include "ringtail/torch/compat.h"

#include <cstdint>
#include <vector>

namespace ringtail::torch {

class DistributedSampler : public ::torch::data::samplers::Sampler<std::vector<std::size_t>> {
 public:
  struct Options {
    bool shuffle = true;
    std::uint64_t seed = 0;
    bool drop_last = false;  // drop the tail instead of padding
  };

  DistributedSampler(std::size_t dataset_size, int rank, int world_size, Options options);
  DistributedSampler(std::size_t dataset_size, int rank, int world_size)
      : DistributedSampler(dataset_size, rank, world_size, Options{}) {}

  // Reshuffles for `epoch`; call at the start of every epoch on every rank.
  void set_epoch(std::uint64_t epoch);
  std::uint64_t epoch() const { return epoch_; }

  // Indices this rank reads in the current epoch.
  const std::vector<std::size_t>& indices() const { return indices_; }
  // Samples per rank per epoch (the same on every rank).
  std::size_t samples_per_rank() const { return indices_.size(); }

  // torch::data::samplers::Sampler
  void reset(compat::optional<std::size_t> new_size = compat::nullopt) override;
  compat::optional<std::vector<std::size_t>> next(std::size_t batch_size) override;
  void save(::torch::serialize::OutputArchive& archive) const override;
  void load(::torch::serialize::InputArchive& archive) override;

 private:
  void build();

  std::size_t dataset_size_;
  int rank_;
  int world_size_;
  Options options_;
  std::uint64_t epoch_ = 0;
  std::vector<std::size_t> indices_;
  std::size_t position_ = 0;
};

}  // namespace ringtail::torch
