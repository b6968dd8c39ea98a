#include "key_value_table.h"

#include <cerrno>
#include <cstdlib>

#include "ringtail/collectives/error.h"

namespace ringtail::rendezvous {
namespace {

[[noreturn]] void stopped() {
  throw Error(ErrorKind::shut_down, "the rendezvous server is stopping");
}

}  // namespace

void KeyValueTable::set(const std::string& key, std::vector<char> value) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    values_[key] = std::move(value);
  }
  changed_.notify_all();
}

std::optional<std::vector<char>> KeyValueTable::get(const std::string& key, Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  const bool ready = changed_.wait_until(lock, deadline, [&] { return stopped_ || values_.count(key) != 0; });
  if (stopped_) stopped();
  if (!ready) return std::nullopt;
  return values_.at(key);
}

std::vector<std::string> KeyValueTable::missing_locked(const std::vector<std::string>& keys) const {
  std::vector<std::string> missing;
  for (const auto& key : keys) {
    if (values_.count(key) == 0) missing.push_back(key);
  }
  return missing;
}

std::vector<std::string> KeyValueTable::wait(const std::vector<std::string>& keys, Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_until(lock, deadline, [&] { return stopped_ || missing_locked(keys).empty(); });
  if (stopped_) stopped();
  return missing_locked(keys);
}

bool KeyValueTable::contains_all(const std::vector<std::string>& keys) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return missing_locked(keys).empty();
}

std::int64_t KeyValueTable::add(const std::string& key, std::int64_t delta) {
  std::int64_t result = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& stored = values_[key];
    std::int64_t current = 0;
    if (!stored.empty()) {
      const std::string text(stored.begin(), stored.end());
      char* end = nullptr;
      errno = 0;
      current = std::strtoll(text.c_str(), &end, 10);
      if (errno != 0 || *end != '\0') {
        throw Error(ErrorKind::invalid_argument,
                    "rendezvous add: the value of key '" + key + "' is not a decimal integer");
      }
    }
    result = current + delta;
    const std::string text = std::to_string(result);
    stored.assign(text.begin(), text.end());
  }
  changed_.notify_all();
  return result;
}

void KeyValueTable::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
  }
  changed_.notify_all();
}

}  // namespace ringtail::rendezvous
