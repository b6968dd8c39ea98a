#include <cmath>
#include <iostream>

#include <boost/program_options.hpp>

#include "command.h"
#include "ringtail/pets/train/checkpoint.h"
#include "ringtail/pets/train/torchscript_export.h"

namespace po = boost::program_options;

namespace ringtail::pets::cli {

int export_command(const std::vector<std::string>& args) {
  std::string checkpoint_file, out;
  po::options_description desc("Options");
  desc.add_options()
      ("help,h", "show this help")
      ("checkpoint", po::value(&checkpoint_file)->required(), "checkpoint.rtc written by train")
      ("out", po::value(&out)->required(), "model folder to write (model.pt, model.json)");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  if (vm.count("help")) {
    std::cout << "Usage: ringtail-pets export --checkpoint FILE --out DIR\n\n"
                 "Writes the model folder that 'ringtail-pets serve' loads (docs/serving.md):\n"
                 "model.pt, a TorchScript module taking a float32 N x 3 x S x S batch and returning\n"
                 "logits, and model.json with the class names, input size and normalization.\n"
                 "The TorchScript module is checked against the model before anything is written.\n\n"
              << desc << "\n";
    return 0;
  }
  po::notify(vm);
  const train::Checkpoint checkpoint = train::load_checkpoint(checkpoint_file);
  const Classifier model = train::model_from_checkpoint(checkpoint, checkpoint_file);
  train::JsonObject info;
  info.add("dataset", checkpoint.model.dataset).add("epochs", checkpoint.epochs_done);
  if (std::isfinite(checkpoint.eval_accuracy)) {
    info.add("eval_accuracy", checkpoint.eval_accuracy).add("eval_top5", checkpoint.eval_top5);
  }
  const auto eval_split = checkpoint.settings.find("eval-split");
  if (eval_split != checkpoint.settings.end()) info.add("eval_split", eval_split->second);
  const train::ExportResult result = train::export_model(*model, checkpoint.model, out, info);
  const EvalTransform transform = checkpoint.model.eval_transform();
  std::cout << "wrote " << result.model_file.string() << " and " << result.config_file.string() << " ("
            << checkpoint.model.arch << ", " << checkpoint.model.num_classes() << " classes, input "
            << transform.size << ", resize " << transform.resize
            << "); TorchScript logits match the model's within " << result.max_abs_difference << "\n";
  return 0;
}

}  // namespace ringtail::pets::cli
