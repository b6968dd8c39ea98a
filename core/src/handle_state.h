#pragma once
// The shared state behind a Handle. The background thread writes the results,
// then publishes completion under the mutex (and in `done`, for test() without
// a lock); waiting threads sleep on the condition variable.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "failure.h"
#include "ringtail/core/operation.h"
#include "ringtail/core/tensor.h"

namespace ringtail::core::detail {

struct HandleState {
  explicit HandleState(std::string operation_name) : name(std::move(operation_name)) {}

  // Runs the callback, then publishes the results and wakes waiters. Called
  // once, on the background thread. No failure: success.
  void complete(std::optional<Failure> failure) noexcept;

  const std::string name;
  CompletionCallback callback;

  // Results: written before completion, read after it.
  TensorView output;
  std::vector<std::uint8_t> storage;  // the result, when there is no allocator
  std::vector<std::int64_t> received_splits;
  std::int64_t value = 0;

  std::atomic<bool> done{false};
  std::mutex mutex;
  std::condition_variable completed;
  // Guarded by mutex until done. Kept as kind and text, not as an exception
  // object: every wait() throws (and every error() makes) an exception of its
  // own, so no exception object is shared between the background thread and
  // the caller's threads (failure.h says why that matters).
  std::optional<Failure> failure;
};

}  // namespace ringtail::core::detail
