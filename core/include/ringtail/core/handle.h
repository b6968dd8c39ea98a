#pragma once
// The asynchronous result of one operation, modelled on c10d's Work: test()
// says whether it completed, wait() blocks until it did and throws its error
// (a ringtail::Error), and error() hands the error over as a std::exception_ptr
// without throwing. Each throw and each error() call makes its own exception
// object, so threads never share one.
//
// A Handle is a cheap shared reference; copies refer to the same operation and
// may be used from any thread.

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "ringtail/core/tensor.h"

namespace ringtail::core {

namespace detail {
struct HandleState;
}

class Handle {
 public:
  Handle() = default;  // refers to no operation; only valid() may be called
  explicit Handle(std::shared_ptr<detail::HandleState> state);

  bool valid() const noexcept { return state_ != nullptr; }
  const std::string& name() const;

  // Whether the operation completed, successfully or not. Never blocks.
  bool test() const noexcept;

  // Blocks until the operation completed; rethrows its error.
  void wait() const;
  // As wait(), but throws Error(ErrorKind::timeout) naming the operation when it
  // has not completed within `timeout` (the operation itself goes on).
  void wait(std::chrono::milliseconds timeout) const;
  // Blocks at most `timeout`; returns test(). Never throws. A timeout of a
  // century or more (milliseconds::max() included) waits as long as it takes.
  bool wait_for(std::chrono::milliseconds timeout) const noexcept;

  // The error the operation completed with (a new exception_ptr per call); null
  // while it runs or on success.
  std::exception_ptr error() const noexcept;

  // After success: where the result is (the output, the input when in place,
  // or memory from the allocator or the handle itself).
  TensorView output() const;
  // alltoall: the rows that arrived from each rank.
  std::vector<std::int64_t> received_splits() const;
  // join: the last rank to join; add_process_set: the new set's id.
  std::int64_t value() const;

 private:
  std::shared_ptr<detail::HandleState> state_;
};

}  // namespace ringtail::core
