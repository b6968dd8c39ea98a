#include "ringtail/collectives/algorithms/host_layout.h"

#include <algorithm>
#include <numeric>
#include <string>

#include "partition.h"
#include "ringtail/collectives/error.h"

namespace ringtail::coll {
namespace {

// Pieces are handed out in rounds: one split() per round, no rank in two pieces
// of the same round (a split gives each rank one color). Equal hosts need one
// round; 4 ranks beside 8 need two.
struct PieceDraft {
  Fraction begin;
  Fraction end;
  std::vector<int> owners;  // world rank of the owner on each host, by host index
  int round = 0;
};

Fraction reduced(std::int64_t num, std::int64_t den) {
  const std::int64_t g = std::gcd(num, den);
  return Fraction{num / g, den / g};
}

void require_same_ranks(const Communicator& world, const Communicator* other, const char* name) {
  if (other == nullptr) return;
  if (other->size() != world.size() || other->rank() != world.rank()) {
    throw Error(ErrorKind::invalid_argument,
                std::string("host layout: ") + name + " has rank " + std::to_string(other->rank()) +
                    " of " + std::to_string(other->size()) + " but the world has rank " +
                    std::to_string(world.rank()) + " of " + std::to_string(world.size()) +
                    "; it must span the same ranks in the same order");
  }
}

}  // namespace

// Numerators and denominators are rank counts (0 <= num <= den < 2^31), so the
// cross products below fit in 64 bits.
std::size_t Fraction::at(std::size_t count) const {
  return detail::mul_div_floor(count, static_cast<std::size_t>(num), static_cast<std::size_t>(den));
}

bool Fraction::operator<(const Fraction& other) const { return num * other.den < other.num * den; }

bool Fraction::operator==(const Fraction& other) const { return num * other.den == other.num * den; }

std::shared_ptr<HostLayout> HostLayout::create(Communicator& world, const std::string& hostname,
                                               Communicator* local_world,
                                               Communicator* cross_world) {
  require_same_ranks(world, local_world, "local_world");
  require_same_ranks(world, cross_world, "cross_world");
  if (local_world == nullptr) local_world = &world;
  if (cross_world == nullptr) cross_world = &world;

  std::shared_ptr<HostLayout> layout(new HostLayout());
  layout->topology_ = discover_topology(world, hostname);
  const Topology& t = layout->topology_;
  const int hosts = t.num_hosts();

  layout->ranks_of_host_.assign(static_cast<std::size_t>(hosts), {});
  for (int r = 0; r < t.size; ++r) layout->ranks_of_host_[t.host_of_rank[r]].push_back(r);
  int expected = 0;
  for (const auto& ranks : layout->ranks_of_host_) {
    for (int r : ranks) layout->hosts_contiguous_ = layout->hosts_contiguous_ && (r == expected++);
  }

  layout->local_ = local_world->split(t.host, t.rank);

  // The cut points of every host, merged: consecutive points bound the pieces.
  std::vector<Fraction> cuts;
  for (int h = 0; h < hosts; ++h) {
    const int l = t.ranks_per_host[h];
    for (int i = 0; i <= l; ++i) cuts.push_back(reduced(i, l));
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());

  std::vector<PieceDraft> drafts;
  for (std::size_t k = 0; k + 1 < cuts.size(); ++k) {
    PieceDraft d{cuts[k], cuts[k + 1], {}, 0};
    for (int h = 0; h < hosts; ++h) {
      // The shard of host h that contains the piece: floor(begin * L_h).
      const int l = t.ranks_per_host[h];
      const std::size_t local = d.begin.at(static_cast<std::size_t>(l));
      d.owners.push_back(layout->ranks_of_host_[h][local]);
    }
    drafts.push_back(std::move(d));
  }
  int rounds = 0;
  for (std::size_t k = 0; k < drafts.size(); ++k) {
    int round = 0;
    for (;; ++round) {
      bool clash = false;
      for (std::size_t j = 0; j < k && !clash; ++j) {
        if (drafts[j].round != round) continue;
        for (int owner : drafts[k].owners) {
          if (std::find(drafts[j].owners.begin(), drafts[j].owners.end(), owner) !=
              drafts[j].owners.end()) {
            clash = true;
            break;
          }
        }
      }
      if (!clash) break;
    }
    drafts[k].round = round;
    rounds = std::max(rounds, round + 1);
  }

  // Every rank takes part in every round's split (color -1 when it owns no
  // piece of that round); the key orders a piece's owners by host.
  std::vector<Communicator*> comm_of_piece(drafts.size(), nullptr);
  for (int round = 0; round < rounds; ++round) {
    int color = -1;
    for (std::size_t k = 0; k < drafts.size(); ++k) {
      if (drafts[k].round != round) continue;
      if (drafts[k].owners[t.host] == t.rank) color = static_cast<int>(k);
    }
    std::unique_ptr<Communicator> comm = hosts > 1 ? cross_world->split(color, t.host) : nullptr;
    if (comm) {
      comm_of_piece[static_cast<std::size_t>(color)] = comm.get();
      layout->piece_comms_.push_back(std::move(comm));
    }
  }
  for (std::size_t k = 0; k < drafts.size(); ++k) {
    if (drafts[k].owners[t.host] != t.rank) continue;
    layout->pieces_.push_back(Piece{drafts[k].begin, drafts[k].end, comm_of_piece[k]});
  }
  return layout;
}

}  // namespace ringtail::coll
