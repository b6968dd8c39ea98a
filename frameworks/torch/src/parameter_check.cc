#include "parameter_check.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstring>

#include "ringtail/collectives/error.h"
#include "ringtail/torch/ops.h"

namespace ringtail::torch::detail {
namespace {

// The first line of `a` that `b` lacks (both sorted), or empty.
std::string first_missing(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const auto& line : a) {
    if (!std::binary_search(b.begin(), b.end(), line)) return line;
  }
  return "";
}

std::vector<std::string> split_lines(const char* data, std::size_t size) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] != '\n') continue;
    lines.emplace_back(data + start, i - start);
    start = i + 1;
  }
  return lines;
}

}  // namespace

void check_same_parameters(Context& ctx, std::vector<std::string> parameters, const std::string& op_name) {
  std::sort(parameters.begin(), parameters.end());
  // A header line keeps the buffer non-empty when a rank has no parameters.
  std::string text = "parameters\n";
  for (const auto& line : parameters) text += line + "\n";
  at::Tensor mine = at::empty({static_cast<std::int64_t>(text.size())}, at::kByte);
  std::memcpy(mine.data_ptr(), text.data(), text.size());
  const at::Tensor lengths =
      allgather(ctx, at::tensor({static_cast<std::int64_t>(text.size())}, at::kLong), op_name + ".lengths");
  const at::Tensor all = allgather(ctx, mine, op_name + ".names");

  const char* data = static_cast<const char*>(all.data_ptr());
  std::vector<std::vector<std::string>> by_rank;
  std::size_t offset = 0;
  for (int r = 0; r < ctx.size(); ++r) {
    const auto length = static_cast<std::size_t>(lengths[r].item<std::int64_t>());
    by_rank.push_back(split_lines(data + offset, length));
    by_rank.back().erase(by_rank.back().begin());  // the header
    offset += length;
  }
  std::vector<int> differing;
  for (int r = 1; r < ctx.size(); ++r) {
    if (by_rank[static_cast<std::size_t>(r)] != by_rank[0]) differing.push_back(r);
  }
  if (differing.empty()) return;

  const int r = differing.front();
  const auto& theirs = by_rank[static_cast<std::size_t>(r)];
  std::string detail;
  const std::string only_root = first_missing(by_rank[0], theirs);
  const std::string only_theirs = first_missing(theirs, by_rank[0]);
  if (!only_root.empty()) detail += "rank 0 has '" + only_root + "', rank " + std::to_string(r) + " does not";
  if (!only_theirs.empty()) {
    detail += (detail.empty() ? "" : "; ") + std::string("rank ") + std::to_string(r) + " has '" + only_theirs +
              "', rank 0 does not";
  }
  std::string ranks;
  for (std::size_t i = 0; i < differing.size(); ++i) ranks += (i ? ", " : "") + std::to_string(differing[i]);
  throw Error(ErrorKind::mismatch, "DistributedOptimizer: the ranks train different parameters (rank(s) " +
                                       ranks + " differ from rank 0): " + detail +
                                       ". Every rank must build the same model and freeze the same parameters");
}

}  // namespace ringtail::torch::detail
