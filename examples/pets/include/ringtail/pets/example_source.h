#pragma once
// What the loader reads from: a numbered set of labelled examples that turns
// example i into a fixed-shape float tensor. load() runs on the loader's worker
// threads at the same time for different examples, so it must be thread-safe;
// `seed` drives all of its randomness, which makes an example's augmentation
// independent of the thread that happens to process it.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "ringtail/pets/fashion_mnist.h"
#include "ringtail/pets/oxford_pets.h"
#include "ringtail/pets/transforms.h"

namespace ringtail::pets {

struct ExampleShape {
  int channels = 0;
  int height = 0;
  int width = 0;
  std::size_t numel() const {
    return static_cast<std::size_t>(channels) * static_cast<std::size_t>(height) *
           static_cast<std::size_t>(width);
  }
};

class ExampleSource {
 public:
  virtual ~ExampleSource() = default;
  virtual std::size_t size() const = 0;
  virtual ExampleShape shape() const = 0;
  virtual std::int64_t label(std::size_t index) const = 0;
  // Writes shape().numel() floats to `out`.
  virtual void load(std::size_t index, std::uint64_t seed, float* out) const = 0;
};

// Oxford-IIIT Pet records: train_transform when `augment`, eval_transform otherwise.
class PetsSource final : public ExampleSource {
 public:
  PetsSource(std::vector<PetRecord> records, const TrainTransform& train);
  PetsSource(std::vector<PetRecord> records, const EvalTransform& eval);

  std::size_t size() const override { return records_.size(); }
  ExampleShape shape() const override;
  std::int64_t label(std::size_t index) const override { return records_.at(index).label; }
  void load(std::size_t index, std::uint64_t seed, float* out) const override;
  const PetRecord& record(std::size_t index) const { return records_.at(index); }

 private:
  std::vector<PetRecord> records_;
  bool augment_;
  TrainTransform train_;
  EvalTransform eval_;
};

struct FashionMnistTransform {
  bool augment = false;  // random horizontal flip and a random shift of up to `pad` pixels
  int pad = 2;
  float mean = 0.2860f;  // statistics of the training images
  float std = 0.3530f;
};

// Fashion-MNIST as 1 x rows x cols images. Holds the data set by shared pointer
// so the train and test sources do not copy 47 MB each.
class FashionMnistSource final : public ExampleSource {
 public:
  FashionMnistSource(std::shared_ptr<const FashionMnist> data, const FashionMnistTransform& transform);

  std::size_t size() const override { return data_->size(); }
  ExampleShape shape() const override { return {1, data_->rows, data_->cols}; }
  std::int64_t label(std::size_t index) const override { return data_->labels.at(index); }
  void load(std::size_t index, std::uint64_t seed, float* out) const override;

 private:
  std::shared_ptr<const FashionMnist> data_;
  FashionMnistTransform transform_;
};

}  // namespace ringtail::pets
