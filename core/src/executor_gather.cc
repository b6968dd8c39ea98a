// The executor's collectives whose result size depends on the other ranks:
// allgather, reducescatter and alltoall (executor.h).

#include <algorithm>
#include <cstring>
#include <numeric>

#include "executor.h"
#include "reduction.h"

namespace ringtail::core::detail {
namespace {

Shape with_rows(const Shape& like, std::int64_t rows) {
  Shape s = like;
  s[0] = rows;
  return s;
}

}  // namespace

// Each rank packs its tensors' rows, in group order, at its own place in the
// buffer; one allgatherv (RINGTAIL_ALLGATHER's algorithm) fills in the others. The row counts travel first (one
// small allgather per group), because they may differ per rank and per step.
void Executor::allgather(std::vector<RoundItem>& items, const FusionGroup& group) {
  const Signature& sig = items[group.items.front()].response.signature;
  const coll::DataType type = sig.dtype;
  const std::size_t esize = coll::size_of(type);
  const std::size_t tensors = group.items.size();
  const int n = comm_.size();
  const int me = comm_.rank();
  Phases t;
  t.start = Clock::now();

  std::vector<std::int64_t> my_rows(tensors, 0);
  std::vector<std::size_t> row_elems(tensors);
  for (std::size_t k = 0; k < tensors; ++k) {
    const RoundItem& item = items[group.items[k]];
    row_elems[k] = static_cast<std::size_t>(row_elements(item.response.signature.shape));
    if (item.local) my_rows[k] = item.local->op.input.shape[0];
  }
  std::vector<std::int64_t> rows(tensors * static_cast<std::size_t>(n));
  comm_.allgather(my_rows.data(), rows.data(), tensors, coll::DataType::i64);
  auto rows_of = [&](int r, std::size_t k) {
    return static_cast<std::size_t>(rows[static_cast<std::size_t>(r) * tensors + k]);
  };

  std::vector<std::size_t> counts(static_cast<std::size_t>(n), 0);
  std::vector<std::size_t> offsets(static_cast<std::size_t>(n), 0);
  std::size_t total = 0;
  for (int r = 0; r < n; ++r) {
    offsets[static_cast<std::size_t>(r)] = total;
    for (std::size_t k = 0; k < tensors; ++k) counts[static_cast<std::size_t>(r)] += rows_of(r, k) * row_elems[k];
    total += counts[static_cast<std::size_t>(r)];
  }
  std::uint8_t* buffer = fusion_.reserve(total * esize);
  std::uint8_t* mine = buffer + offsets[static_cast<std::size_t>(me)] * esize;
  std::size_t at = 0;
  for (std::size_t k = 0; k < tensors; ++k) {
    const std::size_t elems = rows_of(me, k) * row_elems[k];
    if (elems > 0) std::memcpy(mine + at * esize, items[group.items[k]].local->op.input.data, elems * esize);
    at += elems;
  }
  t.packed = Clock::now();
  allgather_.run(mine, buffer, counts, type);
  t.reduced = Clock::now();

  for (std::size_t k = 0; k < tensors; ++k) {
    RoundItem& item = items[group.items[k]];
    if (!item.local) continue;
    std::size_t out_rows = 0;
    for (int r = 0; r < n; ++r) out_rows += rows_of(r, k);
    auto* out = static_cast<std::uint8_t*>(
        result_memory(item, with_rows(item.response.signature.shape, static_cast<std::int64_t>(out_rows))));
    if (!out) continue;
    std::size_t written = 0;
    for (int r = 0; r < n; ++r) {
      std::size_t before = 0;  // rank r's elements of the tensors packed before k
      for (std::size_t j = 0; j < k; ++j) before += rows_of(r, j) * row_elems[j];
      const std::size_t elems = rows_of(r, k) * row_elems[k];
      if (elems > 0) {
        std::memcpy(out + written * esize, buffer + (offsets[static_cast<std::size_t>(r)] + before) * esize,
                    elems * esize);
      }
      written += elems;
    }
  }
  t.unpacked = Clock::now();
  tally(group, tensors > 1 ? total * esize : 0);
  record(items, group, t, allgather_name_);
}

// Rank r receives rows [start_r, start_r + rows_r) of every tensor, the first
// dimension split as evenly as possible (the first dim % size ranks get one row
// more). The buffer is packed destination-major so one reducescatter serves the
// whole group.
void Executor::reducescatter(std::vector<RoundItem>& items, const FusionGroup& group) {
  const Signature& sig = items[group.items.front()].response.signature;
  const coll::DataType type = sig.dtype;
  const coll::ReduceOp op = sig.reduce_op;
  const coll::ReduceOp wire_op = op == coll::ReduceOp::average ? coll::ReduceOp::sum : op;
  const std::size_t esize = coll::size_of(type);
  const std::size_t tensors = group.items.size();
  const int n = comm_.size();
  const int me = comm_.rank();
  Phases t;
  t.start = Clock::now();

  auto rows_for = [n](std::int64_t dim0, int r) {
    return static_cast<std::size_t>(dim0 / n + (r < dim0 % n ? 1 : 0));
  };
  auto first_row = [n](std::int64_t dim0, int r) {
    const std::int64_t base = dim0 / n;
    const std::int64_t extra = dim0 % n;
    return static_cast<std::size_t>(base * r + std::min<std::int64_t>(r, extra));
  };

  std::vector<std::size_t> counts(static_cast<std::size_t>(n), 0);
  std::size_t total = 0;
  for (std::size_t k = 0; k < tensors; ++k) {
    const Shape& shape = items[group.items[k]].response.signature.shape;
    const std::size_t row = static_cast<std::size_t>(row_elements(shape));
    for (int r = 0; r < n; ++r) counts[static_cast<std::size_t>(r)] += rows_for(shape[0], r) * row;
    total += static_cast<std::size_t>(shape[0]) * row;
  }
  std::uint8_t* buffer = fusion_.reserve(total * esize);
  std::uint8_t* received = scratch_.reserve(counts[static_cast<std::size_t>(me)] * esize);

  std::size_t at = 0;
  for (int r = 0; r < n; ++r) {
    for (std::size_t k = 0; k < tensors; ++k) {
      const RoundItem& item = items[group.items[k]];
      const Shape& shape = item.response.signature.shape;
      const std::size_t row = static_cast<std::size_t>(row_elements(shape));
      const std::size_t elems = rows_for(shape[0], r) * row;
      std::uint8_t* region = buffer + at * esize;
      if (item.local) {
        const auto* in = static_cast<const std::uint8_t*>(item.local->op.input.data);
        if (elems > 0) std::memcpy(region, in + first_row(shape[0], r) * row * esize, elems * esize);
        apply_prescale(region, elems, type, item.local->signature.prescale);
      } else {
        fill_identity(region, elems, type, op);
      }
      at += elems;
    }
  }
  t.packed = Clock::now();
  comm_.reducescatter(buffer, received, counts, type, wire_op);
  t.reduced = Clock::now();

  at = 0;
  for (std::size_t k = 0; k < tensors; ++k) {
    RoundItem& item = items[group.items[k]];
    const Shape& shape = item.response.signature.shape;
    const std::size_t my_rows = rows_for(shape[0], me);
    const std::size_t elems = my_rows * static_cast<std::size_t>(row_elements(shape));
    std::uint8_t* region = received + at * esize;
    at += elems;
    if (!item.local) continue;
    finish_reduction(region, elems, type, op, item.response.contributors, item.local->signature.postscale);
    void* out = result_memory(item, with_rows(shape, static_cast<std::int64_t>(my_rows)));
    if (out && elems > 0) std::memcpy(out, region, elems * esize);
  }
  t.unpacked = Clock::now();
  tally(group, tensors > 1 ? total * esize : 0);
  record(items, group, t, collective_name("reducescatter"));
}

// Never fused: the split sizes travel first (one alltoall of one integer per
// rank), then the rows.
void Executor::alltoall(RoundItem& item) {
  const Signature& sig = item.response.signature;
  const coll::DataType type = sig.dtype;
  const std::size_t esize = coll::size_of(type);
  const int n = comm_.size();
  Phases t;
  t.start = Clock::now();

  std::vector<std::int64_t> splits(static_cast<std::size_t>(n), 0);
  if (item.local) {
    const Operation& op = item.local->op;
    if (op.splits.empty()) {
      std::fill(splits.begin(), splits.end(), op.input.shape[0] / n);
    } else {
      splits = op.splits;
    }
  }
  std::vector<std::int64_t> arriving(static_cast<std::size_t>(n), 0);
  comm_.alltoall(splits.data(), arriving.data(), 1, coll::DataType::i64);

  const std::size_t row = static_cast<std::size_t>(row_elements(sig.shape));
  std::vector<std::size_t> send_counts(static_cast<std::size_t>(n));
  std::vector<std::size_t> recv_counts(static_cast<std::size_t>(n));
  std::int64_t out_rows = 0;
  for (std::size_t r = 0; r < static_cast<std::size_t>(n); ++r) {
    send_counts[r] = static_cast<std::size_t>(splits[r]) * row;
    recv_counts[r] = static_cast<std::size_t>(arriving[r]) * row;
    out_rows += arriving[r];
  }
  const std::size_t out_bytes = static_cast<std::size_t>(out_rows) * row * esize;
  void* out = nullptr;
  if (item.local) out = result_memory(item, with_rows(sig.shape, out_rows));
  if (!out) out = scratch_.reserve(out_bytes);  // joined, or the allocator failed
  t.packed = Clock::now();
  comm_.alltoallv(item.local ? item.local->op.input.data : nullptr, send_counts, out, recv_counts, type);
  t.reduced = t.unpacked = Clock::now();
  if (item.local) item.local->handle->received_splits = std::move(arriving);
  FusionGroup single{{0}, 0};
  tally(single, 0);
  if (spans_ && item.local) {
    const std::string& name = item.local->op.name;
    spans_->push_back({name, "QUEUE", item.ready, t.start});
    spans_->push_back({name, collective_name("alltoall"), t.packed, t.reduced});
  }
}

}  // namespace ringtail::core::detail
