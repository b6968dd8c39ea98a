#include "coordinator.h"

#include "ringtail/collectives/error.h"
#include "validation.h"

namespace ringtail::core::detail {

void Coordinator::add(int rank, Request request, Clock::time_point now) {
  if (request.signature.op == OpType::shutdown) {
    if (shutdown_.empty()) shutdown_ = request.detail.empty() ? "shut down" : request.detail;
    return;
  }
  auto [it, inserted] = table_.try_emplace(request.name);
  Entry& e = it->second;
  if (inserted) {
    e.by_rank.resize(static_cast<std::size_t>(size_));
    e.since = now;
    order_.push_back(request.name);
  }
  auto& slot = e.by_rank[static_cast<std::size_t>(rank)];
  if (slot) {
    // Ranks refuse duplicates at enqueue, so this is a broken protocol.
    throw Error(ErrorKind::backend, "negotiation: rank " + std::to_string(rank) + " sent '" +
                                        request.name + "' twice");
  }
  slot = std::move(request);
  ++e.submitted;
}

std::vector<Response> Coordinator::take_ready(const std::vector<bool>& joined) {
  std::vector<Response> out;
  if (!shutdown_.empty()) {
    Response p;
    p.kind = ResponseKind::shutdown;
    p.name = "ringtail.shutdown";
    p.signature.op = OpType::shutdown;
    p.message = shutdown_;
    out.push_back(std::move(p));
    shutdown_.clear();
  }
  std::vector<std::string> still_waiting;
  for (std::string& name : order_) {
    Entry& e = table_.at(name);
    bool ready = true;
    for (int r = 0; r < size_ && ready; ++r) {
      if (!joined[static_cast<std::size_t>(r)] && !e.by_rank[static_cast<std::size_t>(r)]) ready = false;
    }
    if (!ready) {
      still_waiting.push_back(std::move(name));
      continue;
    }
    std::vector<const Request*> by_rank(e.by_rank.size(), nullptr);
    const Request* first = nullptr;
    for (std::size_t r = 0; r < e.by_rank.size(); ++r) {
      if (e.by_rank[r]) {
        by_rank[r] = &*e.by_rank[r];
        if (!first) first = by_rank[r];
      }
    }
    Response p;
    p.name = name;
    p.signature = first->signature;
    p.contributors = e.submitted;
    if (auto problem = find_disagreement(name, by_rank)) {
      p.kind = ResponseKind::error;
      p.message = *problem;
    } else if (p.signature.op == OpType::broadcast && !by_rank[static_cast<std::size_t>(p.signature.root)]) {
      p.kind = ResponseKind::error;
      p.message = "broadcast '" + name + "': root rank " + std::to_string(p.signature.root) +
                  " has joined and sent nothing";
    }
    out.push_back(std::move(p));
    table_.erase(name);
  }
  order_ = std::move(still_waiting);
  return out;
}

std::vector<Coordinator::Waiting> Coordinator::waiting(const std::vector<bool>& joined) const {
  std::vector<Waiting> out;
  for (const std::string& name : order_) {
    const auto it = table_.find(name);
    const Entry& e = it->second;
    Waiting w{&it->first, e.since, {}};
    for (int r = 0; r < size_; ++r) {
      if (!joined[static_cast<std::size_t>(r)] && !e.by_rank[static_cast<std::size_t>(r)]) w.missing.push_back(r);
    }
    out.push_back(std::move(w));
  }
  return out;
}

}  // namespace ringtail::core::detail
