#pragma once
// Fake host layouts for hierarchical tests on one machine: every rank names its
// host from a table, so one box can play 2 hosts x 2 ranks, 1 + 3, and hosts
// whose ranks are not consecutive.

#include <string>
#include <vector>

namespace ringtail::test {

struct FakeLayout {
  std::string name;
  std::vector<int> host_of_rank;
};

// The layouts worth testing for a world of `size` ranks (always includes one
// where every rank is alone and one where all share a host).
inline std::vector<FakeLayout> fake_layouts(int size) {
  std::vector<FakeLayout> out;
  switch (size) {
    case 2:
      out = {{"1+1", {0, 1}}, {"2", {0, 0}}};
      break;
    case 3:
      out = {{"1+2", {0, 1, 1}}, {"2+1", {0, 0, 1}}, {"interleaved", {0, 1, 0}}};
      break;
    case 4:
      out = {{"2+2", {0, 0, 1, 1}}, {"1+3", {0, 1, 1, 1}}, {"3+1", {0, 0, 0, 1}},
             {"interleaved 2+2", {0, 1, 0, 1}}, {"2+1+1", {0, 0, 1, 2}}};
      break;
    default: {
      FakeLayout pairs{"pairs", {}};
      for (int r = 0; r < size; ++r) pairs.host_of_rank.push_back(r / 2);
      out.push_back(pairs);
    }
  }
  FakeLayout alone{"one rank per host", {}};
  for (int r = 0; r < size; ++r) alone.host_of_rank.push_back(r);
  if (size > 2) out.push_back(alone);
  return out;
}

inline std::string fake_hostname(const FakeLayout& layout, int rank) {
  return "fakehost" + std::to_string(layout.host_of_rank[static_cast<std::size_t>(rank)]);
}

}  // namespace ringtail::test
