#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <numeric>

#include <boost/program_options.hpp>
#include <opencv2/core/utility.hpp>
#include <torch/torch.h>

#include "command.h"
#include "ringtail/collectives/error.h"
#include "ringtail/pets/batch_tensor.h"
#include "ringtail/pets/train/checkpoint.h"
#include "ringtail/pets/train/evaluation.h"
#include "ringtail/pets/train/train_options.h"
#include "ringtail/pets/train/training_data.h"
#include "ringtail/torch/ringtail.h"

namespace po = boost::program_options;

namespace ringtail::pets::cli {
namespace {

// --predictions: one CSV row per image of the split, in split order:
//   image,true_class,class_1,probability_1,...,class_k,probability_k
// The probabilities are the softmax of the float32 logits, most probable
// first, ties to the lower class id: what `ringtail-pets serve` answers for
// the same image file (docs/serving.md), so the two can be compared row by row.
// A second pass over the split on rank 0, through the same source (the
// evaluation preprocessing) and the same model as the metrics.
void write_predictions(const std::string& file, ClassifierImpl& model,
                       const std::shared_ptr<const ExampleSource>& source,
                       const std::vector<std::string>& class_names, int top_k,
                       const LoaderOptions& loading) {
  const auto* pets = dynamic_cast<const PetsSource*>(source.get());
  const auto classes = static_cast<std::int64_t>(class_names.size());
  const int k = static_cast<int>(std::min<std::int64_t>(top_k, classes));
  // Breed names have no commas or quotes; quoting keeps any other name intact.
  auto cell = [](const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return q + "\"";
  };
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(ErrorKind::invalid_argument, "--predictions " + file + ": cannot be written");
  out << "image,true_class";
  for (int r = 1; r <= k; ++r) out << ",class_" << r << ",probability_" << r;
  out << "\n";

  Loader loader(source, loading);
  std::vector<std::size_t> all(source->size());
  std::iota(all.begin(), all.end(), std::size_t{0});
  loader.start_epoch(all, 0);
  ::torch::NoGradGuard no_grad;
  model.eval();
  std::vector<std::int64_t> order(static_cast<std::size_t>(classes));
  char number[32];
  while (auto batch = loader.next()) {
    const std::vector<std::size_t> examples = batch->examples;
    BatchTensors t = to_tensors(std::move(*batch));
    const ::torch::Tensor p =
        ::torch::softmax(model.forward(t.images).to(::torch::kFloat32), 1).contiguous();
    const float* rows = p.data_ptr<float>();
    for (std::size_t i = 0; i < examples.size(); ++i) {
      const std::size_t example = examples[i];
      const float* row = rows + static_cast<std::int64_t>(i) * classes;
      std::iota(order.begin(), order.end(), std::int64_t{0});
      std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](std::int64_t a, std::int64_t b) {
        return row[a] > row[b] || (row[a] == row[b] && a < b);
      });
      out << cell(pets ? pets->record(example).name : "#" + std::to_string(example)) << ','
          << cell(class_names.at(static_cast<std::size_t>(source->label(example))));
      for (int r = 0; r < k; ++r) {
        std::snprintf(number, sizeof number, "%.9g", static_cast<double>(row[order[r]]));
        out << ',' << cell(class_names.at(static_cast<std::size_t>(order[r]))) << ',' << number;
      }
      out << '\n';
    }
  }
  out.close();
  if (!out) throw Error(ErrorKind::invalid_argument, "--predictions " + file + ": write failed");
}

}  // namespace

int evaluate_command(const std::vector<std::string>& args) {
  std::string checkpoint_file, data, split = "test", confusion, predictions;
  double val_fraction = 0.1;
  std::uint64_t split_seed = 0;
  int batch_size = 64, threads = 1, workers = 1, top_k = 5;
  po::options_description desc("Options");
  desc.add_options()
      ("help,h", "show this help")
      ("checkpoint", po::value(&checkpoint_file)->required(), "checkpoint.rtc written by train")
      ("data", po::value(&data),
       "data folder (pets: required; fashion-mnist: default /usr/share/datasets/fashion-mnist)")
      ("split", po::value(&split)->default_value(split), "pets: test, val, train or trainval; fashion-mnist: test or train")
      ("val-fraction", po::value(&val_fraction),
       "pets: fraction of trainval drawn for val (for --split val or train; default: the run's, "
       "from the checkpoint)")
      ("split-seed", po::value(&split_seed),
       "pets: seed of the val draw (default: the run's --seed, from the checkpoint)")
      ("confusion", po::value(&confusion), "write the confusion matrix here as CSV (rows: true class)")
      ("predictions", po::value(&predictions),
       "write each image's top-k classes and probabilities here as CSV (what serve answers)")
      ("top-k", po::value(&top_k)->default_value(top_k), "classes per image in --predictions")
      ("batch-size", po::value(&batch_size)->default_value(batch_size), "images per forward pass")
      ("threads", po::value(&threads)->default_value(threads), "LibTorch threads per rank")
      ("workers", po::value(&workers)->default_value(workers), "data loader threads per rank");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  if (vm.count("help")) {
    std::cout << "Usage: ringtail-pets evaluate --checkpoint FILE --data DIR [options]\n\n"
                 "Scores a checkpoint on a split with the evaluation preprocessing (the one serving\n"
                 "uses): accuracy, top-5, loss and per-class accuracy, and optionally the confusion\n"
                 "matrix and each image's top-k predictions as CSV. Under ringtail-run the ranks\n"
                 "share the work (rank 0 alone writes --predictions, in a second pass).\n\n"
              << desc << "\n";
    return 0;
  }
  po::notify(vm);
  if (batch_size < 1 || threads < 1 || workers < 0 || top_k < 1) {
    throw po::error("--batch-size, --threads and --top-k must be at least 1, --workers at least 0");
  }
  at::set_num_threads(threads);
  cv::setNumThreads(1);

  const train::Checkpoint checkpoint = train::load_checkpoint(checkpoint_file);
  const Classifier model = train::model_from_checkpoint(checkpoint, checkpoint_file);
  // The val draw of the run, unless told otherwise: another seed or fraction
  // draws another val split, part of which the run trained on.
  const auto setting = [&](const char* key) -> const std::string* {
    const auto it = checkpoint.settings.find(key);
    return it == checkpoint.settings.end() ? nullptr : &it->second;
  };
  if (!vm.count("val-fraction") && setting("val-fraction")) val_fraction = std::stod(*setting("val-fraction"));
  if (!vm.count("split-seed") && setting("seed")) split_seed = std::stoull(*setting("seed"));
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
  if (lead && setting("train-split") && train::splits_share_images(*setting("train-split"), split)) {
    std::cout << "note: the checkpoint's run trained on " << *setting("train-split") << ", which holds the "
              << split << " images: this is not a held-out accuracy\n";
  }
  LoaderOptions loading;
  loading.batch_size = static_cast<std::size_t>(batch_size);
  loading.workers = workers;
  const std::shared_ptr<const ExampleSource> source = dataset.source(split, /*augment=*/false);
  train::Evaluator evaluator(&ctx, source, checkpoint.model.num_classes(), loading);
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
  if (!predictions.empty()) {
    write_predictions(predictions, *model, source, checkpoint.model.class_names, top_k, loading);
    std::cout << "predictions: " << predictions << "\n";
  }
  return 0;
}

}  // namespace ringtail::pets::cli
