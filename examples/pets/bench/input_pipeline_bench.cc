// Throughput of the pets input pipeline (read + decode + transform, images per
// second) beside what one training rank consumes, measured in the same run: a
// ResNet-18 SGD step on one thread at the pipeline's output size. The pipeline
// must deliver at least 3x what a rank trains on, so the model never waits.
//
//   ringtail_pets_input_bench [--size=128] [--images=296] [--source-size=500] [google benchmark flags]
//
// The images are a synthetic set in the Oxford layout written to a temporary
// folder, at about the real set's image size (its photos are ~500 x 375).
#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>
#include <opencv2/core.hpp>
#include <torch/torch.h>

#include "ringtail/pets/batch_tensor.h"
#include "ringtail/pets/loader.h"
#include "ringtail/pets/models.h"
#include "ringtail/pets/oxford_pets.h"
#include "ringtail/pets/synth.h"

namespace fs = std::filesystem;
using namespace ringtail::pets;

namespace {

struct Settings {
  int size = 128;          // training crop, as in the DESIGN.md peer measurements
  int images = 296;        // 37 classes x 8
  int source_size = 500;   // longer side of the JPEGs
  std::size_t batch = 16;
};
Settings settings;
fs::path data_dir;
std::vector<PetRecord> records;

std::vector<std::vector<char>> file_bytes() {
  std::vector<std::vector<char>> all;
  for (const auto& record : records) {
    std::ifstream in(record.path, std::ios::binary);
    all.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return all;
}

// Decode alone, from memory: the ceiling for everything that follows.
void BM_Decode(benchmark::State& state) {
  const auto bytes = file_bytes();
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& b = bytes[i++ % bytes.size()];
    benchmark::DoNotOptimize(decode_image(b.data(), b.size(), "bench"));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// One thread: read the file, decode, random-resized-crop, flip, normalize.
void BM_TrainTransform(benchmark::State& state) {
  TrainTransform transform;
  transform.size = settings.size;
  PetsSource source(records, transform);
  std::vector<float> out(source.shape().numel());
  std::size_t i = 0;
  for (auto _ : state) {
    source.load(i % source.size(), i, out.data());
    ++i;
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_EvalTransform(benchmark::State& state) {
  PetsSource source(records, EvalTransform::for_size(settings.size));
  std::vector<float> out(source.shape().numel());
  std::size_t i = 0;
  for (auto _ : state) {
    source.load(i++ % source.size(), 0, out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// The whole loader (worker threads, prefetch queue, batches of 16) over epochs.
void BM_Loader(benchmark::State& state) {
  TrainTransform transform;
  transform.size = settings.size;
  LoaderOptions options;
  options.batch_size = settings.batch;
  options.workers = static_cast<int>(state.range(0));
  options.prefetch = 4;
  Loader loader(std::make_shared<PetsSource>(records, transform), options);
  std::uint64_t epoch = 0;
  std::int64_t images = 0;
  for (auto _ : state) {
    loader.start_epoch(epoch_permutation(records.size(), 0, epoch), epoch);
    ++epoch;
    while (auto batch = loader.next()) images += static_cast<std::int64_t>(batch->count);
  }
  state.SetItemsProcessed(images);
}

// The consumer: one SGD step of ResNet-18 (37 classes) on one thread, batch 16.
void BM_ResNet18TrainStep(benchmark::State& state) {
  torch::set_num_threads(1);
  const Classifier model = make_model({"resnet18", 37, 3});
  model->train();
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
  const auto s = static_cast<std::int64_t>(settings.size);
  const torch::Tensor images = torch::randn({static_cast<std::int64_t>(settings.batch), 3, s, s});
  const torch::Tensor labels = torch::randint(0, 37, {static_cast<std::int64_t>(settings.batch)});
  auto step = [&] {
    optimizer.zero_grad();
    torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(images), labels);
    loss.backward();
    optimizer.step();
  };
  step();  // warm-up: oneDNN picks its kernels on the first call
  for (auto _ : state) step();
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * settings.batch));
}

void parse_own_flags(int* argc, char** argv) {
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* flag) -> const char* {
      const std::size_t n = std::strlen(flag);
      return arg.compare(0, n, flag) == 0 ? argv[i] + n : nullptr;
    };
    if (const char* v = value("--size=")) {
      settings.size = std::atoi(v);
    } else if (const char* v = value("--images=")) {
      settings.images = std::atoi(v);
    } else if (const char* v = value("--source-size=")) {
      settings.source_size = std::atoi(v);
    } else {
      argv[kept++] = argv[i];
    }
  }
  *argc = kept;
}

}  // namespace

BENCHMARK(BM_Decode)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TrainTransform)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EvalTransform)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Loader)->Arg(1)->Arg(2)->ArgName("workers")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ResNet18TrainStep)->Unit(benchmark::kMillisecond)->Iterations(4)->UseRealTime();

int main(int argc, char** argv) {
  parse_own_flags(&argc, argv);
  // The loader's workers are the parallelism; OpenCV's own thread pool inside
  // each resize would only oversubscribe the cores.
  cv::setNumThreads(1);
  char pattern[] = "/tmp/ringtail-pets-bench-XXXXXX";
  if (!::mkdtemp(pattern)) {
    std::cerr << "cannot create a temporary folder\n";
    return 1;
  }
  data_dir = pattern;
  SynthOptions synth;
  synth.out = data_dir;
  synth.classes = kOxfordClasses;
  synth.per_class = std::max(1, settings.images / kOxfordClasses);
  synth.size = settings.source_size;
  synth.bad_per_kind = 0;
  synth.test_fraction = 0.0;
  generate_synthetic_pets(synth);
  OxfordPetsOptions options;
  options.root = data_dir;
  options.val_fraction = 0.0;
  records = OxfordPets(options).records(PetsSplit::train);
  std::cerr << records.size() << " JPEGs of " << settings.source_size << " px (longer side) in " << data_dir
            << "; output " << settings.size << " x " << settings.size << "\n";

  benchmark::Initialize(&argc, argv);
  int status = 0;
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    status = 1;
  } else {
    benchmark::RunSpecifiedBenchmarks();
  }
  benchmark::Shutdown();
  std::error_code ignored;
  fs::remove_all(data_dir, ignored);
  return status;
}
