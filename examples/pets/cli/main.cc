// ringtail-pets: the Oxford-IIIT Pet reference workload of ringtail.
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options/errors.hpp>

#include "command.h"

namespace {

using ringtail::pets::cli::Command;

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"synth", "write a synthetic data set in the Oxford-IIIT Pet layout",
       &ringtail::pets::cli::synth_command},
      {"inspect", "check a data set (Oxford-IIIT Pet layout or Fashion-MNIST) and report bad files",
       &ringtail::pets::cli::inspect_command},
      {"train", "train a classifier data-parallel (run it under ringtail-run)",
       &ringtail::pets::cli::train_command},
      {"evaluate", "score a checkpoint on a split; per-class accuracy, confusion matrix CSV",
       &ringtail::pets::cli::evaluate_command},
      {"export", "write a checkpoint as a TorchScript model folder for serve",
       &ringtail::pets::cli::export_command},
      {"serve", "answer HTTP inference requests with an exported model (SageMaker contract)",
       &ringtail::pets::cli::serve_command},
  };
  return table;
}

void usage(std::ostream& out) {
  out << "Usage: ringtail-pets <command> [options]\n\n"
         "The Oxford-IIIT Pet (37 breeds) reference workload of ringtail.\n\nCommands:\n";
  for (const auto& command : commands()) {
    out << "  " << command.name << std::string(10 - std::strlen(command.name), ' ')
        << command.summary << "\n";
  }
  out << "\nRun 'ringtail-pets <command> --help' for the options of a command.\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(std::cerr);
    return 2;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    usage(std::cout);
    return 0;
  }
  for (const auto& command : commands()) {
    if (name != command.name) continue;
    try {
      return command.run(std::vector<std::string>(argv + 2, argv + argc));
    } catch (const boost::program_options::error& e) {
      std::cerr << "ringtail-pets " << name << ": " << e.what()
                << " (see 'ringtail-pets " << name << " --help')\n";
      return 2;
    } catch (const std::exception& e) {
      std::cerr << "ringtail-pets " << name << ": error: " << e.what() << "\n";
      return 1;
    }
  }
  std::cerr << "ringtail-pets: unknown command '" << name << "'\n\n";
  usage(std::cerr);
  return 2;
}
