#include "train_options.h"

#include <cerrno>
#include <cstdlib>
#include <functional>
#include <map>

#include "ringtail/collectives/error.h"

namespace ringtail::bench {
namespace {

[[noreturn]] void bad(const std::string& what) { throw Error(ErrorKind::invalid_argument, "ringtail-bench train: " + what); }

int parse_int(const std::string& flag, const std::string& value, long min, long max) {
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || errno != 0 || *end != '\0' || v < min || v > max) {
    bad(flag + " '" + value + "': expected a whole number from " + std::to_string(min) + " to " +
        std::to_string(max));
  }
  return static_cast<int>(v);
}

double parse_positive(const std::string& flag, const std::string& value) {
  char* end = nullptr;
  const double v = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || !(v > 0)) bad(flag + " '" + value + "': expected a positive number");
  return v;
}

}  // namespace

const char* train_usage() {
  return R"(ringtail-bench train [options]     (run under ringtail-run; one rank runs alone)

Trains a pets model on one synthetic batch per rank (random images and labels,
made once) with ringtail's DistributedOptimizer, and reports images per second
and where the step time goes.

  --model NAME          resnet18, resnet34, resnet50 or small_cnn (default resnet18)
  --image-size N        input is 3 x N x N (default 128)
  --classes N           classifier outputs (default 37)
  --batch-size N        images per rank per step (default 16)
  --threads N           intra-op threads per rank (default 1)
  --warmup-steps N      untimed steps first (default 3)
  --steps N             timed steps (default 20)
  --compression C       gradients travel as none, fp16 or bf16 (default none)
  --lr X                SGD learning rate, momentum 0.9 (default 0.01)
  --json                print one JSON line on rank 0 instead of the table
  --trace FILE          rank 0 writes the last timed step as CSV: its phases and every
                        allreduce (submitted, completed), in ms from the step's start

Engine settings come from the environment, as always: RINGTAIL_ALLREDUCE,
RINGTAIL_FUSION_THRESHOLD, RINGTAIL_CYCLE_TIME_MS, ... (docs/configuration.md).
)";
}

TrainOptions parse_train_options(int argc, char** argv) {
  TrainOptions o;
  using Setter = std::function<void(const std::string& flag, const std::string& value)>;
  const std::map<std::string, Setter> with_value = {
      {"--model", [&](auto&, auto& v) { o.model = v; }},
      {"--image-size", [&](auto& f, auto& v) { o.image_size = parse_int(f, v, 8, 4096); }},
      {"--classes", [&](auto& f, auto& v) { o.classes = parse_int(f, v, 1, 1 << 20); }},
      {"--batch-size", [&](auto& f, auto& v) { o.batch_size = parse_int(f, v, 1, 1 << 16); }},
      {"--threads", [&](auto& f, auto& v) { o.threads = parse_int(f, v, 1, 1024); }},
      {"--warmup-steps", [&](auto& f, auto& v) { o.warmup_steps = parse_int(f, v, 0, 1 << 20); }},
      {"--steps", [&](auto& f, auto& v) { o.steps = parse_int(f, v, 1, 1 << 20); }},
      {"--compression",
       [&](auto& f, auto& v) {
         if (v != "none" && v != "fp16" && v != "bf16") bad(f + " '" + v + "': expected none, fp16 or bf16");
         o.compression = v;
       }},
      {"--lr", [&](auto& f, auto& v) { o.learning_rate = parse_positive(f, v); }},
      {"--trace", [&](auto&, auto& v) { o.trace_path = v; }},
  };
  for (int i = 0; i < argc; ++i) {
    std::string flag = argv[i];
    std::string value;
    bool has_inline_value = false;
    if (const auto eq = flag.find('='); flag.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_inline_value = true;
    }
    if (flag == "-h" || flag == "--help") {
      o.help = true;
    } else if (flag == "--json") {
      o.json = true;
    } else if (const auto it = with_value.find(flag); it != with_value.end()) {
      if (!has_inline_value) {
        if (i + 1 >= argc) bad(flag + " needs a value");
        value = argv[++i];
      }
      it->second(flag, value);
    } else {
      bad("unknown option '" + flag + "' (--help lists them)");
    }
  }
  return o;
}

}  // namespace ringtail::bench
