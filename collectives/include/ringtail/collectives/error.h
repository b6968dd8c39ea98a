#pragma once
// The error convention of collectives/ and core/: operations report failure by
// throwing ringtail::Error (never by return codes), and the message names what was
// wrong: the argument, the tensor, the rank. Across threads (the engine's handles)
// the same Error travels inside a std::exception_ptr and is rethrown on wait().

#include <stdexcept>
#include <string>
#include <string_view>

namespace ringtail {

enum class ErrorKind {
  invalid_argument,  // the caller passed something wrong; nothing was sent
  mismatch,          // ranks disagree on a collective (count, dtype, op, root, shape)
  timeout,           // a peer did not answer within the configured timeout
  peer_lost,         // a peer's connection broke (the process died or the link failed)
  unsupported,       // a valid request that this backend or build cannot do
  shut_down,         // the runtime stopped before the operation ran
  backend,           // the underlying library reported an error
};

std::string_view to_string(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message);
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

}  // namespace ringtail
