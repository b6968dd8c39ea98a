#include "ringtail/collectives/error.h"

namespace ringtail {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalid_argument: return "invalid argument";
    case ErrorKind::mismatch: return "mismatch across ranks";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::peer_lost: return "peer lost";
    case ErrorKind::unsupported: return "unsupported";
    case ErrorKind::shut_down: return "shut down";
    case ErrorKind::backend: return "backend error";
  }
  return "unknown error";
}

Error::Error(ErrorKind kind, const std::string& message)
    : std::runtime_error(message), kind_(kind) {}

}  // namespace ringtail
