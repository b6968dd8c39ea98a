#include <iostream>
#include <map>

#include <boost/program_options.hpp>

#include "command.h"
#include "ringtail/pets/fashion_mnist.h"
#include "ringtail/pets/oxford_pets.h"

namespace po = boost::program_options;

namespace ringtail::pets::cli {
namespace {

void inspect_pets(const std::string& data, double val_fraction, std::uint64_t seed) {
  OxfordPetsOptions options;
  options.root = data;
  options.val_fraction = val_fraction;
  options.split_seed = seed;
  const OxfordPets pets(options);
  std::cout << pets.report().describe();
  std::cout << pets.num_classes() << " classes; usable images:";
  for (PetsSplit split : {PetsSplit::trainval, PetsSplit::train, PetsSplit::val, PetsSplit::test}) {
    std::cout << " " << to_string(split) << " " << pets.records(split).size();
  }
  std::cout << "\n";
  std::map<int, int> per_class;
  for (const auto& record : pets.records(PetsSplit::trainval)) ++per_class[record.label];
  for (int c = 0; c < pets.num_classes(); ++c) {
    std::cout << "  " << c + 1 << " " << pets.class_names()[static_cast<std::size_t>(c)] << " ("
              << to_string(oxford_breeds()[static_cast<std::size_t>(c)].species) << "): "
              << per_class[c] << " trainval\n";
  }
}

void inspect_fashion_mnist(const std::string& data) {
  for (FashionMnistSplit split : {FashionMnistSplit::train, FashionMnistSplit::test}) {
    const FashionMnist set = load_fashion_mnist(data, split);
    std::map<int, int> per_class;
    for (auto label : set.labels) ++per_class[label];
    std::cout << "Fashion-MNIST " << (split == FashionMnistSplit::train ? "train" : "test") << ": "
              << set.size() << " images of " << set.rows << "x" << set.cols << ";";
    for (const auto& [label, count] : per_class) {
      std::cout << " " << fashion_mnist_classes()[static_cast<std::size_t>(label)] << " " << count << ";";
    }
    std::cout << "\n";
  }
}

}  // namespace

int inspect_command(const std::vector<std::string>& args) {
  std::string data;
  std::string dataset = "pets";
  double val_fraction = 0.1;
  std::uint64_t seed = 0;
  po::options_description desc("Options");
  desc.add_options()
      ("help,h", "show this help")
      ("dataset", po::value(&dataset)->default_value(dataset), "pets or fashion-mnist")
      ("data", po::value(&data),
       "data folder (pets: required; fashion-mnist: default /usr/share/datasets/fashion-mnist)")
      ("val-fraction", po::value(&val_fraction)->default_value(val_fraction, "0.1"),
       "validation fraction drawn from trainval, per class")
      ("split-seed", po::value(&seed)->default_value(seed), "seed of the validation draw");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  if (vm.count("help")) {
    std::cout << "Usage: ringtail-pets inspect --data DIR [options]\n\n"
                 "Opens a data set the way training does, prints the files it skips or converts,\n"
                 "and the number of usable images per split and class.\n\n"
              << desc << "\n";
    return 0;
  }
  po::notify(vm);
  if (dataset == "pets") {
    if (data.empty()) throw po::error("--data is required for --dataset pets");
    inspect_pets(data, val_fraction, seed);
  } else if (dataset == "fashion-mnist") {
    inspect_fashion_mnist(data.empty() ? default_fashion_mnist_dir().string() : data);
  } else {
    throw po::error("--dataset must be pets or fashion-mnist, got '" + dataset + "'");
  }
  return 0;
}

}  // namespace ringtail::pets::cli
