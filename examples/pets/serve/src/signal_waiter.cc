#include "signal_waiter.h"

#include <pthread.h>

#include <cstring>

#include "ringtail/collectives/error.h"

namespace ringtail::pets::serve {

SignalWaiter::SignalWaiter() {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGTERM);
  sigaddset(&signals_, SIGINT);
  const int rc = pthread_sigmask(SIG_BLOCK, &signals_, &previous_mask_);
  if (rc != 0) {
    throw Error(ErrorKind::backend, std::string("pthread_sigmask: ") + std::strerror(rc));
  }
  thread_ = std::thread([this] { wait_loop(); });
}

SignalWaiter::~SignalWaiter() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;
  }
  // The thread sits in sigwait(); a SIGTERM aimed at it wakes it, and
  // closing_ tells it this one is ours.
  pthread_kill(thread_.native_handle(), SIGTERM);
  thread_.join();
  pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
}

void SignalWaiter::set_handler(std::function<void(int)> handler) {
  int pending = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    handler_ = handler;
    pending = unhandled_;
    unhandled_ = 0;
  }
  if (pending != 0 && handler) handler(pending);
}

void SignalWaiter::wait_loop() {
  while (true) {
    int signal = 0;
    if (sigwait(&signals_, &signal) != 0) continue;
    std::function<void(int)> handler;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (closing_) return;
      handler = handler_;
      if (!handler) unhandled_ = signal;
    }
    if (handler) handler(signal);
  }
}

}  // namespace ringtail::pets::serve
