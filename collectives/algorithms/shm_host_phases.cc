#include "shm_host_phases.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "ringtail/collectives/error.h"
#include "ringtail/collectives/log.h"
#include "ringtail/collectives/reduce_kernels.h"

namespace ringtail::coll::detail {
namespace {

constexpr std::size_t kAlign = 64;
constexpr unsigned kReduceScatterTag = 2;
constexpr unsigned kAllgatherTag = 3;

std::size_t round_down(std::size_t bytes) { return std::max(kAlign, bytes / kAlign * kAlign); }

// Steps needed to move the largest shard `per_step` elements at a time; at
// least one, so that ranks meet (and compare their calls) even with nothing to move.
std::size_t steps_for(const std::vector<std::size_t>& shards, std::size_t per_step) {
  std::size_t largest = 0;
  for (std::size_t j = 0; j + 1 < shards.size(); ++j) largest = std::max(largest, shards[j + 1] - shards[j]);
  return std::max<std::size_t>(1, (largest + per_step - 1) / per_step);
}

// What every rank compares at each step of a call besides count, dtype and
// op: the cut (FNV-1a over the offsets) mixed with the step's index, so ranks
// that agree on the total but cut it differently, or stand at different steps
// of their calls, fail together.
std::uint32_t hash_of(const std::vector<std::size_t>& shards) {
  std::uint32_t hash = 2166136261U;
  for (std::size_t offset : shards) {
    for (int byte = 0; byte < 8; ++byte) {
      hash = (hash ^ static_cast<std::uint32_t>(offset >> (8 * byte) & 0xFF)) * 16777619U;
    }
  }
  return hash;
}
std::uint32_t shape_at(std::uint32_t cut, std::size_t k) {
  return cut ^ static_cast<std::uint32_t>(k * 0x9E3779B9U);
}

// [begin, end) of shard j's elements moved at step k.
std::pair<std::size_t, std::size_t> piece(const std::vector<std::size_t>& shards, int j,
                                          std::size_t k, std::size_t per_step) {
  const std::size_t begin = std::min(shards[j] + k * per_step, shards[j + 1]);
  return {begin, std::min(begin + per_step, shards[j + 1])};
}

}  // namespace

ShmHostPhases::ShmHostPhases(Communicator& local, std::size_t area_bytes,
                             std::chrono::milliseconds timeout)
    : n_(local.size()),
      rank_(local.rank()),
      part_bytes_(round_down(area_bytes / 2)),
      half_bytes_(part_bytes_ * n_),
      exchange_(local, 2 * half_bytes_ * n_, timeout, "shared-memory phase inside the host") {}

unsigned char* ShmHostPhases::half(int owner, unsigned parity) const {
  return exchange_.payload() + half_bytes_ * (2 * static_cast<std::size_t>(owner) + parity);
}

void ShmHostPhases::reduce_scatter(const void* send, void* recv,
                                   const std::vector<std::size_t>& shards, DataType type,
                                   ReduceOp op, const PhaseCall& call) {
  const std::size_t esize = size_of(type);
  const std::size_t per_step = std::max<std::size_t>(1, part_bytes_ / esize);
  const auto* in = static_cast<const unsigned char*>(send);
  auto* out = static_cast<unsigned char*>(recv);
  const std::size_t steps = steps_for(shards, per_step);
  const std::uint32_t cut = hash_of(shards);
  for (std::size_t k = 0; k < steps; ++k) {
    const unsigned parity = exchange_.next_parity();
    for (int j = 0; j < n_; ++j) {
      const auto [begin, end] = piece(shards, j, k, per_step);
      if (j != rank_ && end > begin) {
        std::memcpy(half(rank_, parity) + part_bytes_ * j, in + begin * esize, (end - begin) * esize);
      }
    }
    exchange_.arrive_and_wait(
        SharedExchange::describe(call.count, type, call.op, kReduceScatterTag, shape_at(cut, k)));
    const auto [begin, end] = piece(shards, rank_, k, per_step);
    if (end == begin) continue;
    unsigned char* dst = out + begin * esize;
    const unsigned char* src = in + begin * esize;
    bool started = false;
    for (int j = 0; j < n_; ++j) {
      if (j == rank_) continue;
      const unsigned char* theirs = half(j, parity) + part_bytes_ * rank_;
      if (!started && src != dst) {
        reduce(dst, src, theirs, end - begin, type, op);
      } else {
        reduce_into(dst, theirs, end - begin, type, op);
      }
      started = true;
    }
  }
}

void ShmHostPhases::allgather(void* buffer, const std::vector<std::size_t>& shards, DataType type,
                              const PhaseCall& call) {
  const std::size_t esize = size_of(type);
  const std::size_t per_step = std::max<std::size_t>(1, half_bytes_ / esize);
  auto* data = static_cast<unsigned char*>(buffer);
  const std::size_t steps = steps_for(shards, per_step);
  const std::uint32_t cut = hash_of(shards);
  for (std::size_t k = 0; k < steps; ++k) {
    const unsigned parity = exchange_.next_parity();
    if (const auto [begin, end] = piece(shards, rank_, k, per_step); end > begin) {
      std::memcpy(half(rank_, parity), data + begin * esize, (end - begin) * esize);
    }
    exchange_.arrive_and_wait(
        SharedExchange::describe(call.count, type, call.op, kAllgatherTag, shape_at(cut, k)));
    for (int j = 0; j < n_; ++j) {
      const auto [begin, end] = piece(shards, j, k, per_step);
      if (j != rank_ && end > begin) {
        std::memcpy(data + begin * esize, half(j, parity), (end - begin) * esize);
      }
    }
  }
}

std::unique_ptr<ShmHostPhases> make_shm_host_phases(HostLayout& hosts, AlgorithmOptions& options,
                                                   const char* algorithm) {
  if (options.cross_method == PhaseMethod::shm) {
    throw Error(ErrorKind::invalid_argument,
                std::string(algorithm) + ": the phase across hosts cannot run through shared memory "
                                         "(cross method shm); use ring or native");
  }
  Communicator& local = hosts.local();
  if (options.local_method != PhaseMethod::shm || local.size() == 1) return nullptr;
  if (local.memory() != MemoryKind::host) {
    options.local_method = PhaseMethod::native;
    return nullptr;
  }
  try {
    return std::make_unique<ShmHostPhases>(local, options.effective_shm_area_bytes(),
                                           options.peer_timeout);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::unsupported) throw;
    log::warning(algorithm, ": inside the host on the ring instead of shared memory: ", e.what());
    options.local_method = PhaseMethod::ring;
    return nullptr;
  }
}

}  // namespace ringtail::coll::detail
