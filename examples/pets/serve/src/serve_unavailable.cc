// `ringtail-pets serve` in a build without the server (its dependencies were
// not found, or -DRINGTAIL_WITH_SERVE=OFF): the subcommand exists and says why.
#include <string>
#include <vector>

#include "ringtail/collectives/error.h"

namespace ringtail::pets::cli {

int serve_command(const std::vector<std::string>& /*args*/) {
  throw Error(ErrorKind::unsupported,
              "this build has no inference server: it needs cpp-httplib and nlohmann-json "
              "(apt-get install libcpp-httplib-dev nlohmann-json3-dev) and -DRINGTAIL_WITH_SERVE=ON");
}

}  // namespace ringtail::pets::cli
