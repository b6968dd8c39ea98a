// Google Benchmark of the serving hot paths, one process, no HTTP:
//   BM_Preprocess      one 500x375 JPEG -> decoded, checked, eval-transformed (224)
//   BM_Classify/N      one forward pass of N images through the frozen,
//                      optimized TorchScript model (items/s = images/s)
//   BM_GatherBatch/N   the batcher's one copy: N preprocessed images into the
//                      contiguous batch buffer the forward pass reads
// The ratio of BM_Classify/8 to /1 items per second (CPU time) is the most
// dynamic batching can gain end to end on this machine.
//
//   build/benchmarks/serve/ringtail_serve_make_model --out /tmp/pets-model --size 224
//   build/benchmarks/serve/ringtail_serve_bench --model-dir /tmp/pets-model [--threads 1] [--no-optimize]
#include <benchmark/benchmark.h>

#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "ringtail/pets/serve/model_config.h"
#include "ringtail/pets/serve/request.h"
#include "ringtail/pets/serve/torchscript_classifier.h"

namespace {

using namespace ringtail::pets::serve;

std::string g_model_dir;
bool g_optimize = true;

struct Loaded {
  ModelConfig config;
  std::unique_ptr<TorchScriptClassifier> model;
  std::vector<std::uint8_t> jpeg;
};

Loaded& loaded() {
  static Loaded l = [] {
    Loaded out;
    out.config = load_model_config(g_model_dir);
    out.model = std::make_unique<TorchScriptClassifier>(g_model_dir, out.config, LoadOptions{g_optimize});
    std::ifstream in(g_model_dir + "/test.jpg", std::ios::binary);
    out.jpeg.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return out;
  }();
  return l;
}

void BM_Preprocess(benchmark::State& state) {
  Loaded& l = loaded();
  if (l.jpeg.empty()) {
    state.SkipWithError("no test.jpg in the model directory (ringtail_serve_make_model writes one)");
    return;
  }
  const auto transform = l.config.eval_transform();
  for (auto _ : state) {
    auto image = preprocess_image(l.jpeg.data(), l.jpeg.size(), transform, {}, "bench");
    benchmark::DoNotOptimize(image.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Preprocess)->Unit(benchmark::kMillisecond);

void BM_Classify(benchmark::State& state) {
  Loaded& l = loaded();
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto side = static_cast<std::size_t>(l.config.input_size);
  std::vector<float> images(n * 3 * side * side, 0.25f);
  std::vector<float> probabilities(n * l.config.classes.size());
  for (auto _ : state) {
    l.model->classify(images.data(), n, probabilities.data());
    benchmark::DoNotOptimize(probabilities.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}
BENCHMARK(BM_Classify)->Arg(1)->Arg(4)->Arg(8)->Arg(16)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_GatherBatch(benchmark::State& state) {
  Loaded& l = loaded();
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto side = static_cast<std::size_t>(l.config.input_size);
  const std::size_t floats = 3 * side * side;
  std::vector<std::vector<float>> images(n, std::vector<float>(floats, 0.25f));
  std::vector<float> batch(n * floats);
  for (auto _ : state) {
    for (std::size_t i = 0; i < n; ++i) {
      std::memcpy(batch.data() + i * floats, images[i].data(), floats * sizeof(float));
    }
    benchmark::DoNotOptimize(batch.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}
BENCHMARK(BM_GatherBatch)->Arg(8)->Arg(16)->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--model-dir") == 0 && i + 1 < argc) {
      g_model_dir = argv[++i];
    } else if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      set_intra_op_threads(std::stoi(argv[++i]));
    } else if (std::strcmp(argv[i], "--no-optimize") == 0) {
      g_optimize = false;
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (g_model_dir.empty()) {
    std::cerr << "usage: ringtail_serve_bench --model-dir DIR [--threads N] [--no-optimize] [benchmark flags]\n"
                 "  (make a DIR with: ringtail_serve_make_model --out DIR --size 224)\n";
    return 2;
  }
  int count = static_cast<int>(rest.size());
  benchmark::Initialize(&count, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
