#pragma once
// Command-line options of `ringtail-bench train`. The defaults are the
// reference comparison (docs/performance.md); the DDP peer script
// (benchmarks/peers/ddp_train.py) takes the same flags.

#include <string>

namespace ringtail::bench {

struct TrainOptions {
  std::string model = "resnet18";  // resnet18, resnet34, resnet50, small_cnn
  int image_size = 128;            // square synthetic images, 3 channels
  int classes = 37;
  int batch_size = 16;             // per rank
  int threads = 1;                 // intra-op threads per rank
  int warmup_steps = 3;
  int steps = 20;
  std::string compression = "none";  // none, fp16, bf16
  double learning_rate = 0.01;
  bool json = false;  // one JSON line on rank 0 instead of the table
  std::string trace_path;  // rank 0 writes the last timed step's phases and allreduces here (CSV)
  bool help = false;
};

// Throws ringtail::Error(invalid_argument) naming the bad flag or value.
TrainOptions parse_train_options(int argc, char** argv);
const char* train_usage();

}  // namespace ringtail::bench
