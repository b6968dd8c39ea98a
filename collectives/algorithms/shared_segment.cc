#include "shared_segment.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#include "ringtail/collectives/error.h"

namespace ringtail::coll::detail {
namespace {

constexpr std::size_t kNameBytes = 64;

std::string errno_text(const char* call, int error) {
  return std::string(call) + ": " + std::strerror(error);
}

// A name no other job on the machine will pick: the creator's pid and 64
// random bits.
std::array<char, kNameBytes> unique_name() {
  std::random_device random;
  const unsigned long long bits = (static_cast<unsigned long long>(random()) << 32) ^ random();
  std::array<char, kNameBytes> name{};
  std::snprintf(name.data(), name.size(), "/ringtail-%ld-%016llx", static_cast<long>(getpid()), bits);
  return name;
}

// Opens (or with `create`, makes and reserves) the segment and maps it; returns
// nullptr and sets `error` on failure.
unsigned char* map_segment(const char* name, std::size_t bytes, bool create, std::string& error) {
  const int fd = create ? shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600) : shm_open(name, O_RDWR, 0);
  if (fd < 0) {
    error = errno_text("shm_open", errno);
    return nullptr;
  }
  if (create) {
    // posix_fallocate returns the error instead of setting errno.
    if (const int rc = posix_fallocate(fd, 0, static_cast<off_t>(bytes)); rc != 0) {
      error = errno_text("posix_fallocate", rc) + " (reserving " + std::to_string(bytes) +
              " bytes in /dev/shm)";
      close(fd);
      shm_unlink(name);
      return nullptr;
    }
  } else {
    struct stat st {};
    if (fstat(fd, &st) != 0 || static_cast<std::size_t>(st.st_size) != bytes) {
      error = "the segment has " + std::to_string(st.st_size) + " bytes, expected " +
              std::to_string(bytes);
      close(fd);
      return nullptr;
    }
  }
  // MAP_POPULATE maps every page now, so the first calls do not pay page faults.
  void* data = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
  const int map_errno = errno;
  close(fd);  // the mapping keeps the segment alive
  if (data == MAP_FAILED) {
    error = errno_text("mmap", map_errno);
    if (create) shm_unlink(name);
    return nullptr;
  }
  return static_cast<unsigned char*>(data);
}

}  // namespace

std::unique_ptr<SharedSegment> SharedSegment::create(Communicator& comm, std::size_t bytes,
                                                     const char* what) {
  if (bytes == 0) throw Error(ErrorKind::invalid_argument, std::string(what) + ": empty shared segment");
  std::array<char, kNameBytes> name{};
  std::string error;
  unsigned char* data = nullptr;
  if (comm.rank() == 0) {
    name = unique_name();
    data = map_segment(name.data(), bytes, true, error);
    if (!data) name[0] = '\0';  // map_segment unlinked it
  }
  comm.broadcast(name.data(), name.size(), DataType::u8, 0);
  if (comm.rank() != 0) {
    if (name[0] == '\0') {
      error = "rank 0 could not create it";
    } else {
      data = map_segment(name.data(), bytes, false, error);
    }
  }
  std::int32_t ok = data != nullptr ? 1 : 0;
  comm.allreduce(&ok, 1, DataType::i32, ReduceOp::min);
  // Everyone has opened the name or failed to: it is no longer needed.
  if (comm.rank() == 0 && name[0] != '\0') shm_unlink(name.data());
  if (!ok) {
    if (data) munmap(data, bytes);
    throw Error(ErrorKind::unsupported,
                std::string(what) + " needs every rank on one machine sharing /dev/shm; " +
                    (error.empty() ? "another rank could not map the shared segment"
                                   : "rank " + std::to_string(comm.rank()) +
                                         " could not map it: " + error));
  }
  return std::unique_ptr<SharedSegment>(new SharedSegment(data, bytes));
}

SharedSegment::~SharedSegment() { munmap(data_, bytes_); }

}  // namespace ringtail::coll::detail
