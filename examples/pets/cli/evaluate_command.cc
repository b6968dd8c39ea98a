#include <cmath>
#include <cstdio>
#include <iostream>

#include <boost/program_options.hpp>
#include <opencv2/core/utility.hpp>
#include <torch/torch.h>

#include "command.h"
#include "ringtail/collectives/error.h"
#include "ringtail/pets/train/checkpoint.h"
#include "ringtail/pets/train/evaluation.h"
#include "ringtail/pets/train/training_data.h"
#include "ringtail/torch/ringtail.h"

namespace po = boost::program_options;

namespace ringtail::pets::cli {

int evaluate_command(const std::vector<std::string>& args) {
  std::string checkpoint_file, data, split = "test", confusion;
  double val_fraction = 0.1;
  std::uint64_t split_seed = 0;
  int batch_size = 64, threads = 1, workers = 1;
  po::options_description desc("Options");
  desc.add_options()
      ("help,h", "show this help")
      ("checkpoint", po::value(&checkpoint_file)->required(), "checkpoint.rtc written by train")
      ("data", po::value(&data),
       "data folder (pets: required; fashion-mnist: default /usr/share/datasets/fashion-mnist)")
      ("split", po::value(&split)->default_value(split), "pets: test, val, train or trainval; fashion-mnist: test or train")
      ("val-fraction", po::value(&val_fraction)->default_value(val_fraction, "0.1"),
       "pets: the val fraction the run used (for --split val or train)")
      ("split-seed", po::value(&split_seed)->default_value(split_seed),
       "pets: the --seed of the run (it draws the val split)")
      ("confusion", po::value(&confusion), "write the confusion matrix here as CSV (rows: true class)")
      ("batch-size", po::value(&batch_size)->default_value(batch_size), "images per forward pass")
      ("threads", po::value(&threads)->default_value(threads), "LibTorch threads per rank")
      ("workers", po::value(&workers)->default_value(workers), "data loader threads per rank");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  if (vm.count("help")) {
    std::cout << "Usage: ringtail-pets evaluate --checkpoint FILE --data DIR [options]\n\n"
                 "Scores a checkpoint on a split with the evaluation preprocessing (the one serving\n"
                 "uses): accuracy, top-5, loss and per-class accuracy, and optionally the confusion\n"
                 "matrix as CSV. Under ringtail-run the ranks share the work.\n\n"
              << desc << "\n";
    return 0;
  }
  po::notify(vm);
  if (batch_size < 1 || threads < 1 || workers < 0) {
    throw po::error("--batch-size and --threads must be at least 1, --workers at least 0");
  }
  at::set_num_threads(threads);
  cv::setNumThreads(1);

  const train::Checkpoint checkpoint = train::load_checkpoint(checkpoint_file);
  const Classifier model = train::model_from_checkpoint(checkpoint, checkpoint_file);
  train::DataSpec spec;
  spec.dataset = checkpoint.model.dataset;
  spec.data = data;
  spec.image_size = checkpoint.model.image_size;
  spec.val_fraction = val_fraction;
  spec.split_seed = split_seed;
  const train::TrainingData dataset(spec);
  if (dataset.class_names() != checkpoint.model.class_names) {
    throw Error(ErrorKind::invalid_argument,
                "the checkpoint's " + std::to_string(checkpoint.model.class_names.size()) +
                    " classes are not this data set's " + std::to_string(dataset.class_names().size()) +
                    " (another data set?)");
  }

  ringtail::torch::init();
  ringtail::torch::Context& ctx = ringtail::torch::default_context();
  const bool lead = ctx.rank() == 0;
  if (lead && !dataset.report().empty()) std::cout << dataset.report();
  LoaderOptions loading;
  loading.batch_size = static_cast<std::size_t>(batch_size);
  loading.workers = workers;
  train::Evaluator evaluator(&ctx, dataset.source(split, /*augment=*/false), checkpoint.model.num_classes(),
                             loading);
  const train::EvalResult result = evaluator.run(*model, ::torch::kCPU, train::Precision::fp32);
  if (!lead) return 0;
  std::cout << "per-class " << split << " accuracy (worst first):\n"
            << train::per_class_table(result, checkpoint.model.class_names);
  char line[512];
  std::snprintf(line, sizeof line,
                "%s accuracy %.2f%% (top-5 %.2f%%, loss %.4f) on %lld images; %s, %s after %lld epochs\n",
                split.c_str(), 100.0 * result.accuracy, 100.0 * result.top5, result.loss,
                static_cast<long long>(result.count), checkpoint_file.c_str(), checkpoint.model.arch.c_str(),
                static_cast<long long>(checkpoint.epochs_done));
  std::cout << line;
  if (!confusion.empty()) {
    train::write_confusion_csv(confusion, result.confusion, checkpoint.model.class_names);
    std::cout << "confusion matrix: " << confusion << "\n";
  }
  return 0;
}

}  // namespace ringtail::pets::cli
