#include "controller.h"

#include <algorithm>

#include "ringtail/collectives/error.h"

namespace ringtail::core::detail {
namespace {

constexpr std::uint64_t kJoined = 1;
constexpr std::uint64_t kPending = 2;
constexpr std::uint64_t kWaitingAtCoordinator = 4;
constexpr std::uint64_t kNewWork = 8;
constexpr std::size_t kHeaderWords = 3;  // flags, request bytes, pending count

std::size_t words_for(std::size_t bits) { return (bits + 63) / 64; }

bool test_bit(const std::uint64_t* words, std::size_t i) {
  return ((words[i / 64] >> (i % 64)) & 1u) != 0;
}

void set_bit(std::uint64_t* words, std::size_t i) { words[i / 64] |= std::uint64_t{1} << (i % 64); }

[[noreturn]] void broken(const std::string& what) {
  throw Error(ErrorKind::backend, "negotiation: " + what);
}

}  // namespace

// One round's allgathered words, viewed per rank.
struct Controller::Decoded {
  std::size_t extra_words = 0;
  std::size_t cache_words = 0;
  std::size_t stride = 0;
  const std::uint64_t* all = nullptr;
  std::vector<bool> joined;

  const std::uint64_t* row(int r) const { return all + static_cast<std::size_t>(r) * stride; }
  std::uint64_t flags(int r) const { return row(r)[0]; }
  std::uint64_t request_bytes(int r) const { return row(r)[1]; }
  std::uint64_t pending_count(int r) const { return row(r)[2]; }
  const std::uint64_t* extra(int r) const { return row(r) + kHeaderWords; }
  const std::uint64_t* cache(int r) const { return extra(r) + extra_words; }
  const std::uint64_t* stale(int r) const { return cache(r) + cache_words; }
};

Controller::Controller(coll::Communicator& comm, std::vector<int> world_ranks,
                       std::size_t cache_capacity, double stall_warn_seconds,
                       double stall_shutdown_seconds, EngineCounters& counters)
    : comm_(comm),
      world_ranks_(std::move(world_ranks)),
      counters_(counters),
      cache_(cache_capacity),
      stall_(stall_warn_seconds, stall_shutdown_seconds),
      joined_(static_cast<std::size_t>(comm.size()), false) {
  if (comm_.rank() == 0) coordinator_.emplace(comm_.size());
}

void Controller::accept(std::unique_ptr<Submission> s) {
  accepted_ = true;
  if (s->op.type == OpType::join) {
    join_ = std::move(s->handle);
    return;
  }
  Submission* raw = s.get();
  if (is_collective(s->signature.op)) {
    const ResponseCache::Found found = cache_.lookup(s->op.name, s->signature);
    if (found.result == ResponseCache::Lookup::hit) {
      raw->state = Submission::State::cached;
      raw->slot = found.slot;
      by_slot_[found.slot] = raw;
      EngineCounters::add(counters_.cache_hits);
    } else {
      if (found.result == ResponseCache::Lookup::stale) stale_.insert(found.slot);
      unsent_.push_back(raw);
      EngineCounters::add(counters_.cache_misses);
    }
  } else {
    unsent_.push_back(raw);
  }
  pending_.emplace(s->op.name, std::move(s));
}

void Controller::encode_words(const std::vector<std::uint64_t>& extra) {
  const std::size_t cache_words = words_for(cache_.slot_count());
  words_.assign(kHeaderWords + extra.size() + 2 * cache_words, 0);

  request_bytes_.clear();
  if (!unsent_.empty()) {
    std::vector<Request> requests;
    requests.reserve(unsent_.size());
    for (Submission* s : unsent_) requests.push_back({s->op.name, s->signature, s->detail});
    encode(requests, request_bytes_);
  }

  std::uint64_t flags = 0;
  if (join_) flags |= kJoined;
  if (has_work()) flags |= kPending;
  if (sent_waiting_ > 0) flags |= kWaitingAtCoordinator;
  if (accepted_) flags |= kNewWork;
  accepted_ = false;
  words_[0] = flags;
  words_[1] = request_bytes_.size();
  words_[2] = pending_.size() + (join_ ? 1 : 0);
  std::copy(extra.begin(), extra.end(), words_.begin() + kHeaderWords);
  std::uint64_t* cache_bits = words_.data() + kHeaderWords + extra.size();
  std::uint64_t* stale_bits = cache_bits + cache_words;
  for (const auto& [slot, s] : by_slot_) set_bit(cache_bits, slot);
  for (std::size_t slot : stale_) set_bit(stale_bits, slot);
  stale_.clear();

  // Everything encoded goes to the coordinator in this round's slow path.
  for (Submission* s : unsent_) s->state = Submission::State::sent;
  sent_waiting_ += unsent_.size();
  unsent_.clear();
}

Round Controller::negotiate(const std::vector<std::uint64_t>& extra) {
  Round round;
  encode_words(extra);
  const int n = comm_.size();
  const int me = comm_.rank();

  // Step 3.
  all_words_.resize(static_cast<std::size_t>(n) * words_.size());
  comm_.allgather(words_.data(), all_words_.data(), words_.size(), coll::DataType::i64);
  EngineCounters::add(counters_.rounds);
  const auto now = Clock::now();

  // Step 4.
  Decoded d;
  d.extra_words = extra.size();
  d.cache_words = words_for(cache_.slot_count());
  d.stride = words_.size();
  d.all = all_words_.data();
  d.joined.resize(static_cast<std::size_t>(n));
  bool any_request_bytes = false;
  bool any_waiting_at_coordinator = false;
  for (int r = 0; r < n; ++r) {
    d.joined[static_cast<std::size_t>(r)] = (d.flags(r) & kJoined) != 0;
    any_request_bytes |= d.request_bytes(r) > 0;
    any_waiting_at_coordinator |= (d.flags(r) & kWaitingAtCoordinator) != 0;
    round.new_work |= (d.flags(r) & kNewWork) != 0;
  }
  const bool joined_changed = d.joined != joined_;

  round.extra_or.assign(extra.size(), 0);
  for (int r = 0; r < n; ++r) {
    for (std::size_t w = 0; w < extra.size(); ++w) round.extra_or[w] |= d.extra(r)[w];
  }

  std::vector<std::size_t> ready;
  std::vector<std::size_t> stale;
  std::vector<std::pair<std::string, std::vector<int>>> partial;  // stall inspection
  const bool inspect = coordinator_ && stall_.enabled();
  for (std::size_t w = 0; w < d.cache_words; ++w) {
    std::uint64_t all_have = ~std::uint64_t{0};
    std::uint64_t some_have = 0;
    std::uint64_t any_stale = 0;
    for (int r = 0; r < n; ++r) {
      const std::uint64_t bits = d.cache(r)[w];
      some_have |= bits;
      if (!d.joined[static_cast<std::size_t>(r)]) all_have &= bits;
      any_stale |= d.stale(r)[w];
    }
    const std::uint64_t ready_bits = all_have & some_have & ~any_stale;
    if ((some_have | any_stale) == 0) continue;
    for (std::size_t b = 0; b < 64; ++b) {
      const std::uint64_t mask = std::uint64_t{1} << b;
      const std::size_t slot = w * 64 + b;
      if (ready_bits & mask) ready.push_back(slot);
      if (any_stale & mask) stale.push_back(slot);
      if (inspect && (some_have & ~all_have & ~any_stale & mask)) {
        std::vector<int> missing;
        for (int r = 0; r < n; ++r) {
          if (!d.joined[static_cast<std::size_t>(r)] && !test_bit(d.cache(r), slot)) {
            missing.push_back(world_ranks_[static_cast<std::size_t>(r)]);
          }
        }
        partial.push_back({cache_.at(slot).name, std::move(missing)});
      }
    }
  }

  for (std::size_t slot : ready) {
    RoundItem item;
    item.response = cache_.at(slot);
    item.cache_slot = slot;
    item.ready = now;
    int contributors = 0;
    for (int r = 0; r < n; ++r) contributors += test_bit(d.cache(r), slot) ? 1 : 0;
    item.response.contributors = contributors;
    auto it = by_slot_.find(slot);
    if (it != by_slot_.end()) {
      item.local = it->second;
    } else if (!d.joined[static_cast<std::size_t>(me)]) {
      broken("cache slot " + std::to_string(slot) + " is ready but this rank has nothing bound to it");
    }
    const Signature& sig = item.response.signature;
    if (sig.op == OpType::broadcast && d.joined[static_cast<std::size_t>(sig.root)] &&
        !test_bit(d.cache(sig.root), slot)) {
      item.response.kind = ResponseKind::error;
      item.response.message = "broadcast '" + item.response.name + "': root rank " +
                              std::to_string(sig.root) + " has joined and sent nothing";
    }
    round.items.push_back(std::move(item));
  }

  for (std::size_t slot : stale) {
    if (auto it = by_slot_.find(slot); it != by_slot_.end()) {
      it->second->state = Submission::State::unsent;
      unsent_.push_back(it->second);
      by_slot_.erase(it);
    }
    if (cache_.occupied(slot)) cache_.erase(slot);
  }

  // Steps 5 to 7.
  if (any_request_bytes || (joined_changed && any_waiting_at_coordinator)) {
    std::vector<Response> responses;
    slow_path(d, responses);
    for (Response& p : responses) {
      RoundItem item;
      item.ready = now;
      if (p.kind != ResponseKind::shutdown) {
        auto it = pending_.find(p.name);
        if (it != pending_.end()) {
          item.local = it->second.get();
        } else if (!d.joined[static_cast<std::size_t>(me)]) {
          broken("rank 0 answered '" + p.name + "', which this rank has not submitted");
        }
      }
      item.response = std::move(p);
      round.items.push_back(std::move(item));
    }
  }

  // Who probably still has work after this round (the wake schedule's guess).
  std::size_t answered = 0;
  for (const RoundItem& item : round.items) {
    if (item.response.kind != ResponseKind::shutdown) ++answered;
  }
  bool all_joined = true;
  for (int r = 0; r < n; ++r) {
    const bool j = d.joined[static_cast<std::size_t>(r)];
    all_joined &= j;
    if (j || d.pending_count(r) > answered) round.pending_after = true;
  }
  if (all_joined) {
    int last = n - 1;
    for (int r = n - 1; r >= 0; --r) {
      if (!joined_[static_cast<std::size_t>(r)]) {
        last = r;
        break;
      }
    }
    round.join_completed = last;
    joined_.assign(static_cast<std::size_t>(n), false);
    round.pending_after = false;
    for (int r = 0; r < n; ++r) {
      if (d.pending_count(r) > answered + 1) round.pending_after = true;
    }
  } else {
    joined_ = d.joined;
  }

  if (inspect) {
    std::vector<StallInspector::Waiting> waiting;
    const auto at_coordinator = coordinator_->waiting(d.joined);
    for (const auto& w : at_coordinator) {
      std::vector<int> missing;
      for (int r : w.missing) missing.push_back(world_ranks_[static_cast<std::size_t>(r)]);
      waiting.push_back({w.name, std::move(missing)});
    }
    for (auto& [name, missing] : partial) waiting.push_back({&name, missing});
    StallInspector::Verdict verdict = stall_.check(waiting, now);
    round.stall_warning = std::move(verdict.warning);
    round.stall_shutdown = std::move(verdict.shutdown);
  }
  return round;
}

void Controller::slow_path(const Decoded& d, std::vector<Response>& out) {
  EngineCounters::add(counters_.coordinator_rounds);
  const int n = comm_.size();
  const int me = comm_.rank();
  std::vector<std::size_t> send_counts(static_cast<std::size_t>(n), 0);
  std::vector<std::size_t> recv_counts(static_cast<std::size_t>(n), 0);
  send_counts[0] = request_bytes_.size();
  std::size_t total = 0;
  if (me == 0) {
    for (int r = 0; r < n; ++r) {
      recv_counts[static_cast<std::size_t>(r)] = d.request_bytes(r);
      total += d.request_bytes(r);
    }
  }
  gathered_bytes_.resize(total);
  comm_.alltoallv(request_bytes_.data(), send_counts, gathered_bytes_.data(), recv_counts,
                  coll::DataType::u8);

  std::uint64_t length = 0;
  if (me == 0) {
    const auto now = Clock::now();
    std::size_t offset = 0;
    for (int r = 0; r < n; ++r) {
      const std::size_t bytes = recv_counts[static_cast<std::size_t>(r)];
      if (bytes == 0) continue;
      for (Request& q : decode_requests(gathered_bytes_.data() + offset, bytes)) {
        coordinator_->add(r, std::move(q), now);
      }
      offset += bytes;
    }
    out = coordinator_->take_ready(d.joined);
    response_bytes_.clear();
    encode(out, response_bytes_);
    length = response_bytes_.size();
  }
  comm_.broadcast(&length, 1, coll::DataType::i64, 0);
  if (me != 0) response_bytes_.resize(length);
  comm_.broadcast(response_bytes_.data(), length, coll::DataType::u8, 0);
  if (me != 0) out = decode_responses(response_bytes_.data(), response_bytes_.size());
}

void Controller::send_to_coordinator(std::size_t slot) {
  auto it = by_slot_.find(slot);
  if (it == by_slot_.end()) return;
  it->second->state = Submission::State::unsent;
  unsent_.push_back(it->second);
  by_slot_.erase(it);
}

void Controller::finish(Round& round) {
  for (const RoundItem& item : round.items) {
    if (item.cache_slot) {
      if (cache_.occupied(*item.cache_slot)) cache_.touch(*item.cache_slot);
      continue;
    }
    if (item.response.kind != ResponseKind::run || !is_collective(item.response.signature.op)) continue;
    const ResponseCache::Put put = cache_.put(item.response);
    if (put.evicted) send_to_coordinator(*put.evicted);
  }
}

std::unique_ptr<Submission> Controller::release(Submission* s) {
  switch (s->state) {
    case Submission::State::cached: by_slot_.erase(s->slot); break;
    case Submission::State::sent: --sent_waiting_; break;
    case Submission::State::unsent:
      unsent_.erase(std::remove(unsent_.begin(), unsent_.end(), s), unsent_.end());
      break;
  }
  auto it = pending_.find(s->op.name);
  std::unique_ptr<Submission> out = std::move(it->second);
  pending_.erase(it);
  return out;
}

std::vector<std::unique_ptr<Submission>> Controller::release_all() {
  std::vector<std::unique_ptr<Submission>> out;
  out.reserve(pending_.size());
  for (auto& [name, s] : pending_) out.push_back(std::move(s));
  pending_.clear();
  by_slot_.clear();
  unsent_.clear();
  sent_waiting_ = 0;
  return out;
}

}  // namespace ringtail::core::detail
