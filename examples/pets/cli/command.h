#pragma once
// ringtail-pets subcommands. Each one parses its own options with
// Boost.Program_options and answers --help; main.cc keeps the table. A new
// subcommand (train, evaluate, export) is a function with this signature in its
// own file plus one row in that table.

#include <string>
#include <vector>

namespace ringtail::pets::cli {

// `args` excludes the program and subcommand names. Returns the exit status;
// errors are thrown (ringtail::Error or Boost's option errors) and main prints them.
using CommandFunction = int (*)(const std::vector<std::string>& args);

struct Command {
  const char* name;
  const char* summary;
  CommandFunction run;
};

int synth_command(const std::vector<std::string>& args);
int inspect_command(const std::vector<std::string>& args);
int train_command(const std::vector<std::string>& args);
int evaluate_command(const std::vector<std::string>& args);
int export_command(const std::vector<std::string>& args);
int serve_command(const std::vector<std::string>& args);  // examples/pets/serve

}  // namespace ringtail::pets::cli
