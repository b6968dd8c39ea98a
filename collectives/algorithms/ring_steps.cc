#include "ring_steps.h"

#include <algorithm>

#include "partition.h"
#include "ringtail/collectives/reduce_kernels.h"

namespace ringtail::coll::detail {
namespace {

int wrap(int value, int n) { return ((value % n) + n) % n; }

// How many segments every block is cut into (0: nothing to move), the same
// number for every block, so sender and receiver agree on each segment's size
// without talking; `scratch` grows to hold the largest segment.
std::size_t plan_segments(const std::vector<std::size_t>& offsets, int n, std::size_t segment_elems,
                          std::size_t esize, std::vector<char>& scratch) {
  std::size_t longest = 0;
  for (int j = 0; j < n; ++j) longest = std::max(longest, offsets[j + 1] - offsets[j]);
  if (longest == 0) return 0;
  segment_elems = std::max<std::size_t>(segment_elems, 1);
  const std::size_t segments = (longest + segment_elems - 1) / segment_elems;
  const std::size_t scratch_bytes = ((longest + segments - 1) / segments) * esize;
  if (scratch.size() < scratch_bytes) scratch.resize(scratch_bytes);
  return segments;
}

}  // namespace

// Rank r ends with block r: at step t it sends block r-t-1 and receives block
// r-t-2, so the block it receives at step t is the one it sends at step t+1,
// and at the last step (t = n-2) it receives block r.
void ring_reduce_scatter(Communicator& comm, const void* send, void* recv,
                         const std::vector<std::size_t>& offsets, DataType type, ReduceOp op,
                         std::size_t segment_elems, std::vector<char>& scratch) {
  const int n = comm.size();
  const int r = comm.rank();
  if (n == 1) return;
  const int right = wrap(r + 1, n);
  const int left = wrap(r - 1, n);
  const std::size_t esize = size_of(type);
  const auto* in = static_cast<const char*>(send);
  auto* out = static_cast<char*>(recv);

  const std::size_t segments = plan_segments(offsets, n, segment_elems, esize, scratch);
  if (segments == 0) return;

  for (int t = 0; t < n - 1; ++t) {
    const int out_block = wrap(r - t - 1, n);
    const int in_block = wrap(r - t - 2, n);
    // At step 0 nothing is reduced yet, so the outgoing block comes from send.
    const char* source = (t == 0 ? in : out) + offsets[out_block] * esize;
    const std::size_t out_length = offsets[out_block + 1] - offsets[out_block];
    const std::size_t in_length = offsets[in_block + 1] - offsets[in_block];
    for (std::size_t s = 0; s < segments; ++s) {
      const std::size_t out_begin = segment_begin(out_length, segments, s);
      const std::size_t out_count = segment_begin(out_length, segments, s + 1) - out_begin;
      const std::size_t in_begin = segment_begin(in_length, segments, s);
      const std::size_t in_count = segment_begin(in_length, segments, s + 1) - in_begin;
      comm.sendrecv(source + out_begin * esize, out_count, right, scratch.data(), in_count, left,
                    type, kRingTag);
      const std::size_t at = (offsets[in_block] + in_begin) * esize;
      reduce(out + at, in + at, scratch.data(), in_count, type, op);
    }
  }
}

// Rank r starts with block r: at step t it sends block r-t and receives block
// r-t-1 straight into place.
void ring_allgather(Communicator& comm, void* buffer, const std::vector<std::size_t>& offsets,
                    DataType type) {
  const int n = comm.size();
  const int r = comm.rank();
  if (n == 1) return;
  const int right = wrap(r + 1, n);
  const int left = wrap(r - 1, n);
  const std::size_t esize = size_of(type);
  auto* data = static_cast<char*>(buffer);
  if (offsets[n] == 0) return;
  for (int t = 0; t < n - 1; ++t) {
    const int out_block = wrap(r - t, n);
    const int in_block = wrap(r - t - 1, n);
    comm.sendrecv(data + offsets[out_block] * esize, offsets[out_block + 1] - offsets[out_block],
                  right, data + offsets[in_block] * esize,
                  offsets[in_block + 1] - offsets[in_block], left, type, kRingTag);
  }
}

void ring_allreduce_segmented(Communicator& comm, const void* send, void* recv,
                              const std::vector<std::size_t>& offsets, DataType type, ReduceOp op,
                              std::size_t segment_elems, std::vector<char>& scratch,
                              bool average) {
  const int n = comm.size();
  const int r = comm.rank();
  const int right = wrap(r + 1, n);
  const int left = wrap(r - 1, n);
  const std::size_t esize = size_of(type);
  const auto* in = static_cast<const char*>(send);
  auto* out = static_cast<char*>(recv);

  const std::size_t segments = plan_segments(offsets, n, segment_elems, esize, scratch);
  if (segments == 0) return;

  // Element range of segment s of block j.
  auto segment = [&](int j, std::size_t s, std::size_t* begin, std::size_t* count) {
    const std::size_t length = offsets[j + 1] - offsets[j];
    const std::size_t b = segment_begin(length, segments, s);
    *begin = offsets[j] + b;
    *count = segment_begin(length, segments, s + 1) - b;
  };

  for (std::size_t s = 0; s < segments; ++s) {
    std::size_t out_begin, out_count, in_begin, in_count;
    // Reduce-scatter of segment s: rank r ends with segment s of block r.
    for (int t = 0; t < n - 1; ++t) {
      segment(wrap(r - t - 1, n), s, &out_begin, &out_count);
      segment(wrap(r - t - 2, n), s, &in_begin, &in_count);
      comm.sendrecv((t == 0 ? in : out) + out_begin * esize, out_count, right, scratch.data(),
                    in_count, left, type, kRingTag);
      reduce(out + in_begin * esize, in + in_begin * esize, scratch.data(), in_count, type, op);
    }
    if (average) {
      segment(r, s, &out_begin, &out_count);
      divide(out + out_begin * esize, out_count, type, n);
    }
    // Allgather of segment s, straight into place.
    for (int t = 0; t < n - 1; ++t) {
      segment(wrap(r - t, n), s, &out_begin, &out_count);
      segment(wrap(r - t - 1, n), s, &in_begin, &in_count);
      comm.sendrecv(out + out_begin * esize, out_count, right, out + in_begin * esize, in_count,
                    left, type, kRingTag);
    }
  }
}

}  // namespace ringtail::coll::detail
