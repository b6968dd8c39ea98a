#include "response_cache.h"

#include "ringtail/collectives/log.h"

namespace ringtail::core::detail {

ResponseCache::ResponseCache(std::size_t capacity)
    : automatic_(capacity == 0), capacity_(capacity == 0 ? kInitialCapacity : capacity) {}

ResponseCache::Found ResponseCache::lookup(const std::string& name,
                                           const Signature& signature) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return {Lookup::miss, 0};
  const Signature& cached = slots_[it->second]->response.signature;
  return {compatible(cached, signature) ? Lookup::hit : Lookup::stale, it->second};
}

void ResponseCache::touch(std::size_t slot) {
  Entry& e = *slots_[slot];
  lru_.splice(lru_.end(), lru_, e.lru);
}

ResponseCache::Put ResponseCache::put(const Response& response) {
  Put result;
  if (auto it = by_name_.find(response.name); it != by_name_.end()) erase(it->second);

  if (evicted_.count(response.name) && automatic_ && capacity_ < kMaxCapacity) {
    // A name evicted recently is back: the working set is larger than the cache.
    capacity_ *= 2;
    log::debug("response cache grows to ", capacity_, " entries");
  }
  if (by_name_.size() >= capacity_) {
    const std::size_t victim = lru_.front();
    remember_eviction(slots_[victim]->response.name);
    erase(victim);
    result.evicted = victim;
  }

  std::size_t slot;
  if (!free_.empty()) {
    slot = *free_.begin();
    free_.erase(free_.begin());
  } else {
    slot = slots_.size();
    slots_.emplace_back();
  }
  lru_.push_back(slot);
  slots_[slot] = Entry{response, std::prev(lru_.end())};
  by_name_[response.name] = slot;
  result.slot = slot;
  return result;
}

void ResponseCache::erase(std::size_t slot) {
  Entry& e = *slots_[slot];
  by_name_.erase(e.response.name);
  lru_.erase(e.lru);
  slots_[slot].reset();
  free_.insert(slot);
  trim_trailing_free();
}

void ResponseCache::trim_trailing_free() {
  while (!slots_.empty() && !slots_.back().has_value()) {
    free_.erase(slots_.size() - 1);
    slots_.pop_back();
  }
}

void ResponseCache::remember_eviction(const std::string& name) {
  if (!automatic_) return;
  if (evicted_.insert(name).second) evicted_order_.push_back(name);
  while (evicted_order_.size() > capacity_) {
    evicted_.erase(evicted_order_.front());
    evicted_order_.pop_front();
  }
}

}  // namespace ringtail::core::detail
