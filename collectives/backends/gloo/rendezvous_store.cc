#include "rendezvous_store.h"

#include <gloo/common/error.h>
#include <gloo/rendezvous/file_store.h>
#include <sys/stat.h>

#include <thread>

#include "ringtail/collectives/error.h"

namespace ringtail::coll::gloo_backend {
namespace {

// gloo's FileStore, with its existence check made public and a wait that keeps
// to the millisecond: gloo's own wait compares whole seconds, so a 5 s timeout
// fires after 6 s.
class FileStore final : public RendezvousStore {
 public:
  explicit FileStore(const std::string& directory) : store_(directory), directory_(directory) {}

  void set(const std::string& key, const std::vector<char>& data) override {
    // gloo's FileStore records every key it wrote in a vector: not thread-safe,
    // and communicators built from one world may be split from several threads.
    std::lock_guard<std::mutex> lock(mutex_);
    store_.set(key, data);
  }

  std::vector<char> get(const std::string& key) override {
    wait({key}, kDefaultTimeout);
    std::lock_guard<std::mutex> lock(mutex_);
    return store_.get(key);
  }

  void wait(const std::vector<std::string>& keys,
            const std::chrono::milliseconds& timeout) override {
    // A file system shared between hosts (NFS) gives no change notification
    // that works everywhere, so this polls, as gloo's FileStore does.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!contains(keys)) {
      if (std::chrono::steady_clock::now() >= deadline) {
        throw ::gloo::IoException("wait timeout for keys in " + describe());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  bool contains(const std::vector<std::string>& keys) override { return store_.contains(keys); }

  std::string describe() const override { return "file store " + directory_; }

 private:
  struct Checkable : ::gloo::rendezvous::FileStore {
    using ::gloo::rendezvous::FileStore::FileStore;
    bool contains(const std::vector<std::string>& keys) { return check(keys); }
  };

  Checkable store_;
  std::string directory_;
  std::mutex mutex_;
};

bool is_directory(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

}  // namespace

PrefixedStore::PrefixedStore(std::shared_ptr<RendezvousStore> base, std::string prefix)
    : base_(std::move(base)), prefix_(std::move(prefix)) {}

std::vector<std::string> PrefixedStore::full(const std::vector<std::string>& keys) const {
  std::vector<std::string> out;
  out.reserve(keys.size());
  for (const auto& key : keys) out.push_back(prefix_ + "/" + key);
  return out;
}

void PrefixedStore::set(const std::string& key, const std::vector<char>& data) {
  base_->set(prefix_ + "/" + key, data);
}

std::vector<char> PrefixedStore::get(const std::string& key) {
  return base_->get(prefix_ + "/" + key);
}

void PrefixedStore::wait(const std::vector<std::string>& keys,
                         const std::chrono::milliseconds& timeout) {
  base_->wait(full(keys), timeout);
}

bool PrefixedStore::contains(const std::vector<std::string>& keys) {
  return base_->contains(full(keys));
}

std::string PrefixedStore::describe() const {
  return base_->describe() + " (prefix '" + prefix_ + "')";
}

std::shared_ptr<RendezvousStore> make_file_store(const std::string& directory) {
  if (!is_directory(directory)) {
    throw Error(ErrorKind::invalid_argument,
                "gloo: the file store directory '" + directory +
                    "' (RINGTAIL_GLOO_FILE_STORE) does not exist or is not a directory");
  }
  try {
    return std::make_shared<FileStore>(directory);
  } catch (const std::exception& e) {
    throw Error(ErrorKind::invalid_argument,
                "gloo: cannot use the file store directory '" + directory + "': " + e.what());
  }
}

std::shared_ptr<RendezvousStore> make_store(const WorldOptions& options) {
  const bool file = !options.file_store_path.empty();
  const bool tcp = !options.store_address.empty();
  if (file && tcp) {
    throw Error(ErrorKind::invalid_argument,
                "gloo: both a file store (RINGTAIL_GLOO_FILE_STORE=" + options.file_store_path +
                    ") and a rendezvous server (RINGTAIL_RENDEZVOUS_ADDR=" + options.store_address +
                    ") are configured; set only one");
  }
  if (!file && !tcp) {
    throw Error(ErrorKind::invalid_argument,
                "gloo: no rendezvous store is configured; set RINGTAIL_GLOO_FILE_STORE to a "
                "directory shared by all ranks, or RINGTAIL_RENDEZVOUS_ADDR to host:port of a "
                "ringtail rendezvous server (ringtail-run sets it)");
  }
  if (options.store_prefix.empty()) {
    throw Error(ErrorKind::invalid_argument, "gloo: the store prefix (RINGTAIL_JOB_ID) is empty");
  }
  return file ? make_file_store(options.file_store_path)
              : make_tcp_store(options.store_address, options.store_secret, options.timeout);
}

}  // namespace ringtail::coll::gloo_backend
