#include "ring_reduce_scatter.h"

#include <gloo/transport/unbound_buffer.h>

#include <algorithm>
#include <memory>

#include "peer_wait.h"
#include "ringtail/collectives/reduce_kernels.h"
#include "slots.h"

namespace ringtail::coll::gloo_backend {
namespace {

using Buffers = std::vector<std::unique_ptr<::gloo::transport::UnboundBuffer>>;

struct Segment {
  std::size_t offset;  // elements from the start of the block
  std::size_t count;
};

std::vector<Segment> segments_of(std::size_t count, std::size_t per_segment) {
  std::vector<Segment> out;
  for (std::size_t offset = 0; offset < count; offset += per_segment) {
    out.push_back({offset, std::min(per_segment, count - offset)});
  }
  return out;
}

}  // namespace

void ring_reduce_scatter(::gloo::Context& context, const void* send, void* recv,
                         const std::vector<std::size_t>& counts, DataType type, ReduceOp op,
                         std::chrono::milliseconds timeout, std::vector<char>& scratch,
                         std::size_t segment_bytes) {
  const int n = context.size;
  const int me = context.rank;
  const std::size_t esize = size_of(type);
  const auto block = [n](int b) { return ((b % n) + n) % n; };
  const int next = block(me + 1);
  const int prev = block(me - 1);

  std::vector<std::size_t> offsets(static_cast<std::size_t>(n), 0);
  for (int b = 1; b < n; ++b) offsets[b] = offsets[b - 1] + counts[b - 1];
  const std::size_t per_segment = std::max<std::size_t>(1, segment_bytes / esize);
  const auto mine = [&](int b) { return static_cast<const char*>(send) + offsets[b] * esize; };

  // Partial sums alternate between two halves of the scratch space: step s
  // receives into one while step s's sends still read the other. The last step
  // receives straight into `recv`.
  const std::size_t largest = *std::max_element(counts.begin(), counts.end()) * esize;
  if (n > 2 && scratch.size() < 2 * largest) scratch.resize(2 * largest);
  const int last = n - 2;
  const auto partial = [&](int step) {
    return step == last ? static_cast<char*>(recv) : scratch.data() + (step % 2) * largest;
  };

  Buffers receives;
  Buffers sends[2];
  const auto post_receives = [&](int step) {
    receives.clear();
    char* into = partial(step);
    for (const Segment& seg : segments_of(counts[block(me - step - 2)], per_segment)) {
      auto buffer = context.createUnboundBuffer(into + seg.offset * esize, seg.count * esize);
      post_for(prev, [&] {
        buffer->recv(prev, make_slot(kReduceScatterPrefix, static_cast<std::uint64_t>(step)), 0,
                     seg.count * esize);
      });
      receives.push_back(std::move(buffer));
    }
  };
  const auto post_send = [&](int step, const char* from, const Segment& seg) {
    auto buffer = context.createUnboundBuffer(const_cast<char*>(from) + seg.offset * esize,
                                              seg.count * esize);
    post_for(next, [&] {
      buffer->send(next, make_slot(kReduceScatterPrefix, static_cast<std::uint64_t>(step)), 0,
                   seg.count * esize);
    });
    sends[step % 2].push_back(std::move(buffer));
  };

  post_receives(0);
  const int first_block = block(me - 1);
  for (const Segment& seg : segments_of(counts[first_block], per_segment)) {
    post_send(0, mine(first_block), seg);
  }
  for (int step = 0; step <= last; ++step) {
    const int b = block(me - step - 2);
    char* into = partial(step);
    const std::vector<Segment> segs = segments_of(counts[b], per_segment);
    for (std::size_t i = 0; i < segs.size(); ++i) {
      wait_recv_from(*receives[i], prev, timeout);
      reduce_into(into + segs[i].offset * esize, mine(b) + segs[i].offset * esize, segs[i].count,
                  type, op);
      // This segment is complete for this step: it is what the next step sends.
      if (step < last) post_send(step + 1, into, segs[i]);
    }
    for (auto& buffer : sends[step % 2]) wait_send_to(*buffer, next, timeout);
    sends[step % 2].clear();
    if (step < last) post_receives(step + 1);
  }
}

}  // namespace ringtail::coll::gloo_backend
