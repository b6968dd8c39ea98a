#pragma once
// The server's state: keys and values under one mutex, and one condition
// variable that every set() notifies, so requests for missing keys sleep until
// a key arrives, their deadline passes, or stop().

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace ringtail::rendezvous {

class KeyValueTable {
 public:
  using Clock = std::chrono::steady_clock;

  void set(const std::string& key, std::vector<char> value);
  // The value, or nullopt when the deadline passes first. Throws
  // ringtail::Error (shut_down) once stop() was called.
  std::optional<std::vector<char>> get(const std::string& key, Clock::time_point deadline);
  // Blocks until every key exists or the deadline passes; returns the keys still
  // missing (empty: all there). Throws ringtail::Error (shut_down) after stop().
  std::vector<std::string> wait(const std::vector<std::string>& keys, Clock::time_point deadline);
  bool contains_all(const std::vector<std::string>& keys) const;
  // Adds to the decimal integer at `key` (0 when absent); throws ringtail::Error
  // (invalid_argument) when the value there is not a decimal integer.
  std::int64_t add(const std::string& key, std::int64_t delta);
  void stop();

 private:
  std::vector<std::string> missing_locked(const std::vector<std::string>& keys) const;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, std::vector<char>> values_;
  bool stopped_ = false;
};

}  // namespace ringtail::rendezvous
