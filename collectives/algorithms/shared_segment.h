#pragma once
// A POSIX shared-memory segment mapped by every rank of a communicator, for
// algorithms that exchange data through memory instead of messages. Internal
// to the algorithms.
//
// Made collectively: rank 0 creates the segment under a random name and
// reserves its pages (so a full /dev/shm fails here, not later with SIGBUS),
// the name travels by broadcast, the others map it, and one allreduce agrees
// that every rank succeeded. The name is unlinked before create() returns, so
// nothing is left in /dev/shm however the processes end. A rank on another
// machine cannot open the name: every rank then fails with the same error.

#include <cstddef>
#include <memory>

#include "ringtail/collectives/communicator.h"

namespace ringtail::coll::detail {

class SharedSegment {
 public:
  // Collective over `comm`. `bytes` must agree across ranks; the memory is
  // zero-filled. `what` names the user in error messages.
  static std::unique_ptr<SharedSegment> create(Communicator& comm, std::size_t bytes,
                                               const char* what);
  ~SharedSegment();
  SharedSegment(const SharedSegment&) = delete;
  SharedSegment& operator=(const SharedSegment&) = delete;

  unsigned char* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return bytes_; }

 private:
  SharedSegment(unsigned char* data, std::size_t bytes) : data_(data), bytes_(bytes) {}
  unsigned char* data_;
  std::size_t bytes_;
};

}  // namespace ringtail::coll::detail
