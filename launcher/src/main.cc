// ringtail-run: starts a distributed ringtail job. docs/launching.md is its manual.

#include <cstdio>
#include <string>
#include <vector>

#include "ringtail/collectives/error.h"
#include "ringtail/launcher/launch.h"
#include "ringtail/launcher/options.h"
#include "ringtail/launcher/presets.h"

int main(int argc, char** argv) {
  using namespace ringtail;
  try {
    const launcher::LaunchOptions options =
        launcher::parse_command_line(std::vector<std::string>(argv + 1, argv + argc));
    if (options.help) {
      std::fputs(launcher::usage().c_str(), stdout);
      return 0;
    }
    if (options.list_instances) {
      std::fputs(launcher::describe_presets().c_str(), stdout);
      return 0;
    }
    return launcher::launch(options, stdout);
  } catch (const Error& e) {
    std::fprintf(stderr, "ringtail-run: %s\n", e.what());
    // 2 for a command line or setup that cannot work, as for a usage error.
    return e.kind() == ErrorKind::invalid_argument ? 2 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ringtail-run: %s\n", e.what());
    return 1;
  }
}
