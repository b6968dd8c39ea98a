#include "ringtail/pets/serve/serve_command.h"

#include <signal.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <memory>
#include <thread>

#include <boost/program_options.hpp>

#include "ringtail/collectives/error.h"
#include "ringtail/pets/serve/batch_calibration.h"
#include "ringtail/pets/serve/model_config.h"
#include "ringtail/pets/serve/server.h"
#include "ringtail/pets/serve/torchscript_classifier.h"
#include "signal_waiter.h"

namespace po = boost::program_options;

namespace ringtail::pets::serve {

int resolve_port(std::optional<int> flag, const char* env) {
  int port = 8080;
  std::string source = "the default";
  if (flag) {
    port = *flag;
    source = "--port";
  } else if (env != nullptr && *env != '\0') {
    const char* end = env + std::strlen(env);
    const auto [ptr, ec] = std::from_chars(env, end, port);
    if (ec != std::errc() || ptr != end) {
      throw Error(ErrorKind::invalid_argument,
                  std::string("SAGEMAKER_BIND_TO_PORT=\"") + env + "\" is not a port number");
    }
    source = "SAGEMAKER_BIND_TO_PORT";
  }
  if (port < 0 || port > 65535) {
    throw Error(ErrorKind::invalid_argument,
                source + " gives port " + std::to_string(port) + "; ports are 0..65535 (0: any free port)");
  }
  return port;
}

namespace {

void say(const std::string& line) { std::cout << "ringtail-pets serve: " << line << std::endl; }

const char* signal_name(int signal) { return signal == SIGINT ? "SIGINT" : "SIGTERM"; }

std::string format_ms(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", seconds * 1000.0);
  return text;
}

}  // namespace
}  // namespace ringtail::pets::serve

namespace ringtail::pets::cli {

int serve_command(const std::vector<std::string>& args) {
  using namespace ringtail::pets::serve;
  std::string model_dir = "/opt/ml/model";
  ServerOptions options;
  int port = 0;
  int threads = 0;
  int max_batch = static_cast<int>(options.batching.max_batch);
  double max_delay_ms = 5.0;
  double max_body_mb = 6.0;
  int http_threads = static_cast<int>(options.http_threads);
  bool no_optimize = false;
  bool no_batch_calibration = false;
  po::options_description desc("Options");
  desc.add_options()
      ("help,h", "show this help")
      ("model-dir", po::value(&model_dir)->default_value(model_dir),
       "model directory: model.json and the TorchScript file it names (SageMaker unpacks "
       "model.tar.gz to /opt/ml/model)")
      ("host", po::value(&options.host)->default_value(options.host), "address to listen on")
      ("port", po::value(&port),
       "port to listen on; default $SAGEMAKER_BIND_TO_PORT, else 8080; 0 picks a free port")
      ("threads", po::value(&threads)->default_value(threads),
       "intra-op threads of the forward pass (0: LibTorch's default, one per core)")
      ("max-batch", po::value(&max_batch)->default_value(max_batch),
       "most images in one forward pass; 1 turns dynamic batching off")
      ("no-batch-calibration", po::bool_switch(&no_batch_calibration),
       "gather up to --max-batch images whatever they cost; by default the model is timed at "
       "load and batches stop at the smallest size within 5% of its best time per image")
      ("max-delay-ms", po::value(&max_delay_ms)->default_value(max_delay_ms),
       "longest an image waits for others to share its forward pass")
      ("max-body-mb", po::value(&max_body_mb)->default_value(max_body_mb),
       "largest request body in MiB; larger ones get 413")
      ("http-threads", po::value(&http_threads)->default_value(http_threads),
       "connections served at once")
      ("no-optimize", po::bool_switch(&no_optimize),
       "skip torch::jit::freeze and optimize_for_inference (for comparisons)");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  if (vm.count("help")) {
    std::cout << "Usage: ringtail-pets serve [--model-dir DIR] [--port N] [options]\n\n"
                 "Serves a model directory (docs/serving.md) over HTTP on the SageMaker\n"
                 "container contract: GET /ping, POST /invocations, and GET /metrics.\n"
                 "SIGTERM or SIGINT stops accepting, answers the requests in flight, exits 0.\n\n"
              << desc << "\n";
    return 0;
  }
  po::notify(vm);

  options.port = resolve_port(vm.count("port") ? std::optional<int>(port) : std::nullopt,
                              std::getenv("SAGEMAKER_BIND_TO_PORT"));
  if (threads < 0) throw Error(ErrorKind::invalid_argument, "--threads must be 0 or more");
  if (max_batch < 1 || max_batch > 4096) {
    throw Error(ErrorKind::invalid_argument, "--max-batch must be from 1 to 4096");
  }
  if (!(max_delay_ms >= 0.0 && max_delay_ms <= 60'000.0)) {
    throw Error(ErrorKind::invalid_argument, "--max-delay-ms must be from 0 to 60000");
  }
  if (!(max_body_mb > 0.0 && max_body_mb <= 4096.0)) {
    throw Error(ErrorKind::invalid_argument, "--max-body-mb must be above 0 and at most 4096");
  }
  if (http_threads < 1 || http_threads > 4096) {
    throw Error(ErrorKind::invalid_argument, "--http-threads must be from 1 to 4096");
  }
  options.batching.max_batch = static_cast<std::size_t>(max_batch);
  options.batching.max_delay =
      std::chrono::microseconds(static_cast<std::int64_t>(std::llround(max_delay_ms * 1000.0)));
  options.max_body_bytes = static_cast<std::size_t>(max_body_mb * 1024.0 * 1024.0);
  options.http_threads = static_cast<std::size_t>(http_threads);

  // A bad directory or model.json fails here, before the port is taken.
  const ModelConfig config = load_model_config(model_dir);

  // A client that hangs up mid-answer must not kill the process.
  ::signal(SIGPIPE, SIG_IGN);
  InferenceServer server(config, options);
  // Before any thread starts (LibTorch's pool, the HTTP workers, the loader),
  // so that SIGTERM/SIGINT reach only the waiter.
  SignalWaiter signals;
  signals.set_handler([&server](int signal) {
    say(std::string(signal_name(signal)) + " received: finishing the requests in flight");
    server.stop();
  });
  if (threads > 0) set_intra_op_threads(threads);

  const int bound_port = server.bind();
  say("listening on http://" + options.host + ":" + std::to_string(bound_port) + " (loading " +
      (std::filesystem::path(model_dir) / config.model_file).string() + ")");

  std::exception_ptr load_error;
  std::thread loader([&] {
    try {
      const auto start = std::chrono::steady_clock::now();
      auto classifier = std::make_shared<TorchScriptClassifier>(
          model_dir, config, LoadOptions{!no_optimize});
      std::size_t batch_limit = options.batching.max_batch;
      std::string calibration;
      if (!no_batch_calibration && batch_limit > 1) {
        const auto side = static_cast<std::size_t>(config.input_size);
        const std::vector<BatchTiming> timings =
            time_batches(*classifier, 3 * side * side, config.classes.size(), batch_limit);
        batch_limit = choose_batch_limit(timings);
        calibration = " (calibrated; ms per image by batch:";
        for (const BatchTiming& t : timings) {
          calibration += " " + std::to_string(t.batch) + ": " + format_ms(t.seconds_per_image);
        }
        calibration += ")";
      }
      server.set_classifier(std::move(classifier), batch_limit);
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      say("model ready: " + config.architecture + ", " + std::to_string(config.classes.size()) +
          " classes, input " + std::to_string(config.input_size) + ", " +
          std::to_string(intra_op_threads()) + " intra-op threads, max batch " +
          std::to_string(batch_limit) + calibration + ", loaded in " + std::to_string(seconds) + " s");
    } catch (...) {
      load_error = std::current_exception();
      server.stop();
    }
  });
  server.serve();
  loader.join();
  if (load_error) std::rethrow_exception(load_error);
  say("stopped");
  return 0;
}

}  // namespace ringtail::pets::cli
