#include "fusion_plan.h"

#include <map>
#include <tuple>

namespace ringtail::core::detail {
namespace {

bool fusable(const Response& p) {
  if (p.kind != ResponseKind::run) return false;
  switch (p.signature.op) {
    case OpType::allreduce:
    case OpType::allgather:
    case OpType::broadcast:
    case OpType::reducescatter:
    case OpType::barrier:
      return true;
    default:
      return false;
  }
}

using Key = std::tuple<OpType, coll::DataType, coll::ReduceOp, int, coll::MemoryKind, int>;

Key key_of(const Signature& s) {
  const bool reduces = s.op == OpType::allreduce || s.op == OpType::reducescatter;
  return {s.op,
          s.op == OpType::barrier ? coll::DataType::u8 : s.dtype,
          reduces ? s.reduce_op : coll::ReduceOp::sum,
          s.op == OpType::broadcast ? s.root : 0,
          s.device.kind,
          s.device.index};
}

}  // namespace

std::size_t fusion_bytes(const Response& response, int set_size) {
  const Signature& s = response.signature;
  if (s.op == OpType::barrier) return 0;
  const std::size_t bytes = static_cast<std::size_t>(num_elements(s.shape)) * coll::size_of(s.dtype);
  return s.op == OpType::allgather ? bytes * static_cast<std::size_t>(set_size) : bytes;
}

std::vector<FusionGroup> plan_fusion(const std::vector<RoundItem>& items, std::size_t threshold,
                                     int set_size) {
  std::vector<FusionGroup> groups;
  std::map<Key, std::size_t> open;  // key -> index in groups
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Response& p = items[i].response;
    const std::size_t bytes = fusion_bytes(p, set_size);
    if (!fusable(p)) {
      open.clear();
      groups.push_back({{i}, bytes});
      continue;
    }
    const Key key = key_of(p.signature);
    auto it = open.find(key);
    if (threshold > 0 && it != open.end() && groups[it->second].bytes + bytes <= threshold) {
      FusionGroup& g = groups[it->second];
      g.items.push_back(i);
      g.bytes += bytes;
      continue;
    }
    groups.push_back({{i}, bytes});
    // A tensor at or above the threshold runs alone and leaves the open group open.
    if (threshold > 0 && bytes < threshold) open[key] = groups.size() - 1;
  }
  return groups;
}

}  // namespace ringtail::core::detail
