#include "ringtail/pets/train/training_data.h"

#include "ringtail/collectives/error.h"

namespace ringtail::pets::train {

TrainingData::TrainingData(const DataSpec& spec) : spec_(spec) {
  if (spec_.dataset == "pets") {
    if (spec_.data.empty()) throw Error(ErrorKind::invalid_argument, "--data is required for pets");
    OxfordPetsOptions options;
    options.root = spec_.data;
    options.val_fraction = spec_.val_fraction;
    options.split_seed = spec_.split_seed;
    pets_ = std::make_unique<OxfordPets>(options);
    class_names_ = pets_->class_names();
  } else if (spec_.dataset == "fashion-mnist") {
    const std::filesystem::path dir = spec_.data.empty() ? default_fashion_mnist_dir() : spec_.data;
    mnist_train_ = std::make_shared<const FashionMnist>(load_fashion_mnist(dir, FashionMnistSplit::train));
    mnist_test_ = std::make_shared<const FashionMnist>(load_fashion_mnist(dir, FashionMnistSplit::test));
    for (auto name : fashion_mnist_classes()) class_names_.emplace_back(name);
  } else {
    throw Error(ErrorKind::invalid_argument,
                "data set must be pets or fashion-mnist, not '" + spec_.dataset + "'");
  }
}

std::shared_ptr<const ExampleSource> TrainingData::source(const std::string& split, bool augment) const {
  if (pets_) {
    std::vector<PetRecord> records = pets_->records(parse_pets_split(split));
    if (records.empty()) {
      throw Error(ErrorKind::invalid_argument, "split '" + split + "' of " + spec_.data.string() +
                                                   " has no usable images");
    }
    if (augment) {
      TrainTransform transform;
      transform.size = spec_.image_size;
      transform.min_scale = spec_.crop_scale;
      return std::make_shared<PetsSource>(std::move(records), transform);
    }
    return std::make_shared<PetsSource>(std::move(records), EvalTransform::for_size(spec_.image_size));
  }
  FashionMnistTransform transform;
  transform.augment = augment;
  if (split == "train" || split == "trainval") {
    return std::make_shared<FashionMnistSource>(mnist_train_, transform);
  }
  if (split == "test") return std::make_shared<FashionMnistSource>(mnist_test_, transform);
  throw Error(ErrorKind::invalid_argument,
              "Fashion-MNIST has the splits train and test, not '" + split + "'");
}

int TrainingData::image_size() const { return pets_ ? spec_.image_size : mnist_train_->rows; }

std::string TrainingData::report() const { return pets_ ? pets_->report().describe() : std::string(); }

}  // namespace ringtail::pets::train
