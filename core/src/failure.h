#pragma once
// Why an operation failed (or the engine stopped), kept as kind and text.
// Each wait(), error() or later enqueue makes an exception object of its own
// from it, so no exception object is ever shared between the background
// thread and a caller's thread: such an object is freed through libstdc++'s
// reference count, which is correct but invisible to ThreadSanitizer (the
// library is not instrumented), so sharing it would make TSan builds report
// races that are not there.

#include <exception>
#include <string>

#include "ringtail/collectives/error.h"

namespace ringtail::core::detail {

struct Failure {
  ErrorKind kind = ErrorKind::shut_down;
  std::string message;

  std::exception_ptr make() const { return std::make_exception_ptr(Error(kind, message)); }
  [[noreturn]] void raise() const { throw Error(kind, message); }

  // The kind and text of a caught exception, with `context` before the text.
  static Failure from(const std::exception& e, const std::string& context = "") {
    if (const auto* err = dynamic_cast<const Error*>(&e)) return {err->kind(), context + e.what()};
    return {ErrorKind::backend, context + e.what()};
  }
};

}  // namespace ringtail::core::detail
