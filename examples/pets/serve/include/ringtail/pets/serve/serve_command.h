#pragma once
// `ringtail-pets serve`: the subcommand behind the HTTP inference endpoint. Its
// signature is ringtail-pets' CommandFunction (examples/pets/cli/command.h):
// `args` excludes the program and subcommand names; it returns the exit status
// (0 after a SIGTERM/SIGINT shutdown) and throws ringtail::Error or Boost's
// option errors for bad input (a bad model directory included), which the
// program's main prints.

#include <optional>
#include <string>
#include <vector>

namespace ringtail::pets::cli {

int serve_command(const std::vector<std::string>& args);

}  // namespace ringtail::pets::cli

namespace ringtail::pets::serve {

// --port if given, else SAGEMAKER_BIND_TO_PORT (`env`, may be null), else 8080.
// Throws ringtail::Error for a value that is not a port number.
int resolve_port(std::optional<int> flag, const char* env);

}  // namespace ringtail::pets::serve
