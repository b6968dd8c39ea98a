#pragma once
// Waiting for several engine operations whose memory the caller frees on return.

#include <exception>
#include <vector>

#include "ringtail/core/handle.h"

namespace ringtail::torch::detail {

// Waits for every handle, then rethrows the first error: returning (or
// throwing) while a later operation still runs would free memory it writes.
inline void wait_all(const std::vector<core::Handle>& handles) {
  std::exception_ptr first_error;
  for (const auto& handle : handles) {
    try {
      handle.wait();
    } catch (...) {
      if (!first_error) first_error = std::current_exception();
    }
  }
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace ringtail::torch::detail
