#include "atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "ringtail/collectives/error.h"

namespace fs = std::filesystem;

namespace ringtail::pets::train {
namespace {

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace

void write_file_atomically(const fs::path& file, const std::vector<std::string_view>& parts,
                           const std::string& what) {
  const fs::path folder = file.parent_path().empty() ? fs::path(".") : file.parent_path();
  const fs::path temporary = folder / ("." + file.filename().string() + ".tmp-" + std::to_string(::getpid()));
  auto failure = [&](const std::string& step) {
    const std::string reason = std::strerror(errno);
    std::error_code ignored;
    fs::remove(temporary, ignored);
    return Error(ErrorKind::invalid_argument,
                 what + " " + file.string() + ": cannot " + step + " (" + reason + ")");
  };
  FileDescriptor fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) throw failure("create " + temporary.string());
  for (std::string_view part : parts) {
    while (!part.empty()) {
      const ssize_t n = ::write(fd.get(), part.data(), part.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw failure("write");
      part.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  if (::fsync(fd.get()) != 0) throw failure("flush to disk");
  if (::close(fd.release()) != 0) throw failure("close");
  if (::rename(temporary.c_str(), file.c_str()) != 0) throw failure("rename " + temporary.string());
  // The rename itself reaches the disk with the folder's metadata.
  FileDescriptor dir(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0) ::fsync(dir.get());
}

}  // namespace ringtail::pets::train
