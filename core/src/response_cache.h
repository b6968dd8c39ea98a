#pragma once
// The response cache: responses of operations negotiated before, so that an
// operation submitted again with the same signature is negotiated with one bit
// (its slot) in the round's bit vector instead of a trip through rank 0.
//
// Every rank of a process set holds an identical cache: it changes only while
// a round's ordered response list is applied, which every rank does in the
// same order (put, touch, erase). Slots are assigned lowest-free-first, so the
// bit vector stays as short as the highest slot in use. Eviction is LRU.
//
// Capacity 0 sizes the cache automatically: it starts at kInitialCapacity and
// doubles (up to kMaxCapacity) whenever a name it evicted comes back, the sign
// of a working set larger than the cache, so models with thousands of tensors
// do not thrash. The decision depends on the response stream only, so every
// rank grows its cache at the same moment.

#include <cstddef>
#include <deque>
#include <list>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "message.h"

namespace ringtail::core::detail {

class ResponseCache {
 public:
  static constexpr std::size_t kInitialCapacity = 1024;
  static constexpr std::size_t kMaxCapacity = std::size_t{1} << 20;

  explicit ResponseCache(std::size_t capacity);

  enum class Lookup {
    miss,   // not cached: negotiate through the coordinator
    hit,    // cached with the same signature: set the slot's bit
    stale,  // cached with another signature: invalidate the slot on every rank
  };
  struct Found {
    Lookup result = Lookup::miss;
    std::size_t slot = 0;
  };
  Found lookup(const std::string& name, const Signature& signature) const;

  bool occupied(std::size_t slot) const { return slot < slots_.size() && slots_[slot].has_value(); }
  const Response& at(std::size_t slot) const { return slots_[slot]->response; }

  // Marks a slot as used now (LRU order).
  void touch(std::size_t slot);
  // Caches `response` (replacing an entry of the same name). Returns the slot it
  // took and, when the cache was full, the slot it evicted first (callers move
  // requests bound to that slot back to the slow path).
  struct Put {
    std::size_t slot = 0;
    std::optional<std::size_t> evicted;
  };
  Put put(const Response& response);
  void erase(std::size_t slot);

  // Length of the bit vector: the highest slot in use + 1.
  std::size_t slot_count() const { return slots_.size(); }
  std::size_t size() const { return by_name_.size(); }
  std::size_t capacity() const { return capacity_; }

 private:
  struct Entry {
    Response response;
    std::list<std::size_t>::iterator lru;
  };

  void remember_eviction(const std::string& name);
  void trim_trailing_free();

  bool automatic_;
  std::size_t capacity_;
  std::vector<std::optional<Entry>> slots_;
  std::set<std::size_t> free_;   // free slots below slots_.size()
  std::list<std::size_t> lru_;   // front: least recently used
  std::unordered_map<std::string, std::size_t> by_name_;
  std::deque<std::string> evicted_order_;  // automatic sizing: recent evictions
  std::unordered_set<std::string> evicted_;
};

}  // namespace ringtail::core::detail
