#include "stall_inspector.h"

#include <map>
#include <sstream>
#include <unordered_set>

namespace ringtail::core::detail {
namespace {

constexpr std::size_t kNamesPerRank = 5;

double seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string ranks_text(const std::vector<int>& ranks) {
  std::string out;
  for (std::size_t i = 0; i < ranks.size(); ++i) out += (i ? ", " : "") + std::to_string(ranks[i]);
  return out;
}

}  // namespace

StallInspector::StallInspector(double warn_seconds, double shutdown_seconds)
    : warn_seconds_(warn_seconds), shutdown_seconds_(shutdown_seconds) {}

StallInspector::Verdict StallInspector::check(const std::vector<Waiting>& waiting,
                                              Clock::time_point now) {
  Verdict verdict;
  if (!enabled()) return verdict;

  std::unordered_set<std::string> listed;
  for (const Waiting& w : waiting) {
    listed.insert(*w.name);
    since_.try_emplace(*w.name, now);
  }
  for (auto it = since_.begin(); it != since_.end();) {
    it = listed.count(it->first) ? std::next(it) : since_.erase(it);
  }

  // Shutdown: the first operation past the limit names the culprits.
  if (shutdown_seconds_ > 0) {
    for (const Waiting& w : waiting) {
      const double waited = seconds(now - since_[*w.name]);
      if (waited < shutdown_seconds_ || w.missing.empty()) continue;
      std::ostringstream out;
      out.setf(std::ios::fixed);
      out.precision(1);
      out << "stall shutdown: '" << *w.name << "' waited " << waited << " s for rank" << (w.missing.size() > 1 ? "s " : " ") << ranks_text(w.missing)
          << " (RINGTAIL_STALL_SHUTDOWN_SECONDS=" << std::defaultfloat << shutdown_seconds_ << ")";
      verdict.shutdown = out.str();
      return verdict;
    }
  }

  if (warn_seconds_ <= 0) return verdict;
  if (warned_ && seconds(now - last_warning_) < warn_seconds_) return verdict;
  // Missing rank -> the operations waiting for it.
  std::map<int, std::vector<const std::string*>> by_rank;
  std::size_t stalled = 0;
  for (const Waiting& w : waiting) {
    if (seconds(now - since_[*w.name]) < warn_seconds_ || w.missing.empty()) continue;
    ++stalled;
    for (int r : w.missing) by_rank[r].push_back(w.name);
  }
  if (stalled == 0) return verdict;
  std::ostringstream out;
  out << "stall: " << stalled << " operation" << (stalled > 1 ? "s have" : " has")
      << " waited more than " << warn_seconds_ << " s for other ranks (RINGTAIL_STALL_CHECK_SECONDS)."
      << " Missing ranks:";
  bool first_rank = true;
  for (const auto& [rank, names] : by_rank) {
    out << (first_rank ? " rank " : "; rank ") << rank << " has not submitted [";
    first_rank = false;
    for (std::size_t i = 0; i < names.size() && i < kNamesPerRank; ++i) {
      out << (i ? ", " : "") << *names[i];
    }
    if (names.size() > kNamesPerRank) out << ", and " << names.size() - kNamesPerRank << " more";
    out << "]";
  }
  out << ". Do all ranks submit the same names (or call join() when out of data)?";
  verdict.warning = out.str();
  warned_ = true;
  last_warning_ = now;
  return verdict;
}

}  // namespace ringtail::core::detail
