#include "ringtail/pets/example_source.h"

#include <stdexcept>

#include "ringtail/collectives/error.h"

namespace ringtail::pets {

PetsSource::PetsSource(std::vector<PetRecord> records, const TrainTransform& train)
    : records_(std::move(records)), augment_(true), train_(train) {}

PetsSource::PetsSource(std::vector<PetRecord> records, const EvalTransform& eval)
    : records_(std::move(records)), augment_(false), eval_(eval) {}

ExampleShape PetsSource::shape() const {
  const int size = augment_ ? train_.size : eval_.size;
  return {3, size, size};
}

void PetsSource::load(std::size_t index, std::uint64_t seed, float* out) const {
  const PetRecord& record = records_.at(index);
  const cv::Mat image = read_image(record.path.string());
  if (augment_) {
    Rng rng(seed);
    train_transform(image, train_, rng, out);
  } else {
    eval_transform(image, eval_, out);
  }
}

FashionMnistSource::FashionMnistSource(std::shared_ptr<const FashionMnist> data,
                                       const FashionMnistTransform& transform)
    : data_(std::move(data)), transform_(transform) {
  if (!data_ || data_->size() == 0) {
    throw Error(ErrorKind::invalid_argument, "FashionMnistSource: the data set is empty");
  }
}

void FashionMnistSource::load(std::size_t index, std::uint64_t seed, float* out) const {
  if (index >= data_->size()) {
    throw Error(ErrorKind::invalid_argument, "FashionMnistSource: index " + std::to_string(index) +
                                                 " out of range (size " +
                                                 std::to_string(data_->size()) + ")");
  }
  const int rows = data_->rows;
  const int cols = data_->cols;
  const std::uint8_t* pixels = data_->image(index);
  int dx = 0;
  int dy = 0;
  bool flip = false;
  if (transform_.augment) {
    Rng rng(seed);
    dx = static_cast<int>(rng.between(-transform_.pad, transform_.pad));
    dy = static_cast<int>(rng.between(-transform_.pad, transform_.pad));
    flip = rng.bernoulli(0.5);
  }
  const float scale = 1.0f / (255.0f * transform_.std);
  const float bias = -transform_.mean / transform_.std;
  // A shift moves the image inside its frame; uncovered pixels are background (0).
  for (int y = 0; y < rows; ++y) {
    for (int x = 0; x < cols; ++x) {
      const int sx = (flip ? cols - 1 - x : x) - dx;
      const int sy = y - dy;
      const bool inside = sx >= 0 && sx < cols && sy >= 0 && sy < rows;
      const std::uint8_t value = inside ? pixels[sy * cols + sx] : 0;
      out[y * cols + x] = value * scale + bias;
    }
  }
}

}  // namespace ringtail::pets
