#pragma once
// Keeps SIGPIPE from killing the process while gloo writes to a socket whose
// peer died: gloo writes with writev(2), which raises SIGPIPE, and the default
// action of SIGPIPE ends the process before gloo can report the broken
// connection. Rather than ignore SIGPIPE for the whole program (process-global
// state the program may want for itself), the signal is blocked in the calling
// thread for the duration of a gloo call, and a SIGPIPE that arrived meanwhile
// is discarded before the old mask comes back: the write then just fails with
// EPIPE, which gloo turns into an exception. Gloo's event-loop thread inherits
// the blocked mask when the device is created inside a guard.
//
// Nesting is fine: an inner guard finds SIGPIPE blocked and leaves it to the
// outer one.

#include <pthread.h>
#include <signal.h>
#include <time.h>

namespace ringtail::coll::gloo_backend {

class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
    owner_ = sigismember(&old_, SIGPIPE) == 0;
  }
  ~SigpipeGuard() {
    if (!owner_) return;
    sigset_t pending;
    sigemptyset(&pending);
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
      const timespec now{0, 0};
      sigtimedwait(&pipe_, nullptr, &now);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool owner_ = false;
};

}  // namespace ringtail::coll::gloo_backend
