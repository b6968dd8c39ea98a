#pragma once
// SIGTERM and SIGINT as an ordinary event: the constructor blocks both in the
// calling thread, so every thread started afterwards inherits the mask, and a
// dedicated thread takes them with sigwait() and calls the handler there, where
// anything is allowed (no async-signal-safety limits). Construct it before any
// other thread starts; a signal that arrives before set_handler() is kept and
// handed over when the handler comes.

#include <signal.h>

#include <functional>
#include <mutex>
#include <thread>

namespace ringtail::pets::serve {

class SignalWaiter {
 public:
  SignalWaiter();
  ~SignalWaiter();  // stops the waiting thread; the old mask comes back
  SignalWaiter(const SignalWaiter&) = delete;
  SignalWaiter& operator=(const SignalWaiter&) = delete;

  void set_handler(std::function<void(int signal)> handler);

 private:
  void wait_loop();

  sigset_t signals_;
  sigset_t previous_mask_;
  std::mutex mutex_;
  std::function<void(int)> handler_;
  int unhandled_ = 0;   // a signal that came before the handler
  bool closing_ = false;
  std::thread thread_;
};

}  // namespace ringtail::pets::serve
