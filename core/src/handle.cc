#include "ringtail/core/handle.h"

#include "handle_state.h"
#include "ringtail/collectives/error.h"
#include "ringtail/collectives/log.h"

namespace ringtail::core {
namespace detail {

void HandleState::complete(std::optional<Failure> result) noexcept {
  if (callback) {
    try {
      callback(result ? result->make() : nullptr);
    } catch (const std::exception& e) {
      log::error("the completion callback of '", name, "' threw (ignored): ", e.what());
    } catch (...) {
      log::error("the completion callback of '", name, "' threw (ignored)");
    }
    callback = nullptr;  // release what it captured here, not in a waiter's thread
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    failure = std::move(result);
    done.store(true, std::memory_order_release);
  }
  completed.notify_all();
}

}  // namespace detail

namespace {

// Longer than any job runs, and far from overflowing steady_clock.
constexpr std::chrono::hours kForever{24 * 365 * 100};

detail::HandleState& checked(const std::shared_ptr<detail::HandleState>& state) {
  if (!state) throw Error(ErrorKind::invalid_argument, "this Handle refers to no operation");
  return *state;
}

void require_success(detail::HandleState& s, const char* what) {
  if (!s.done.load(std::memory_order_acquire)) {
    throw Error(ErrorKind::invalid_argument,
                std::string("Handle::") + what + " of '" + s.name + "' before it completed");
  }
  if (s.failure) s.failure->raise();
}

}  // namespace

Handle::Handle(std::shared_ptr<detail::HandleState> state) : state_(std::move(state)) {}

const std::string& Handle::name() const { return checked(state_).name; }

bool Handle::test() const noexcept {
  return state_ && state_->done.load(std::memory_order_acquire);
}

void Handle::wait() const {
  detail::HandleState& s = checked(state_);
  if (!s.done.load(std::memory_order_acquire)) {
    std::unique_lock<std::mutex> lock(s.mutex);
    s.completed.wait(lock, [&] { return s.done.load(std::memory_order_relaxed); });
  }
  if (s.failure) s.failure->raise();
}

void Handle::wait(std::chrono::milliseconds timeout) const {
  detail::HandleState& s = checked(state_);
  if (!wait_for(timeout)) {
    throw Error(ErrorKind::timeout, "'" + s.name + "' did not complete within " +
                                        std::to_string(timeout.count()) + " ms");
  }
  if (s.failure) s.failure->raise();
}

bool Handle::wait_for(std::chrono::milliseconds timeout) const noexcept {
  if (!state_) return false;
  detail::HandleState& s = *state_;
  if (s.done.load(std::memory_order_acquire)) return true;
  std::unique_lock<std::mutex> lock(s.mutex);
  const auto done = [&] { return s.done.load(std::memory_order_relaxed); };
  // steady_clock counts nanoseconds in 64 bits, so now() + a timeout near
  // milliseconds::max() wraps into the past and would time out at once; such
  // a timeout means "as long as it takes".
  if (timeout >= kForever) {
    s.completed.wait(lock, done);
    return true;
  }
  return s.completed.wait_for(lock, timeout, done);
}

std::exception_ptr Handle::error() const noexcept {
  if (!state_ || !state_->done.load(std::memory_order_acquire)) return nullptr;
  return state_->failure ? state_->failure->make() : nullptr;
}

TensorView Handle::output() const {
  detail::HandleState& s = checked(state_);
  require_success(s, "output()");
  return s.output;
}

std::vector<std::int64_t> Handle::received_splits() const {
  detail::HandleState& s = checked(state_);
  require_success(s, "received_splits()");
  return s.received_splits;
}

std::int64_t Handle::value() const {
  detail::HandleState& s = checked(state_);
  require_success(s, "value()");
  return s.value;
}

}  // namespace ringtail::core
