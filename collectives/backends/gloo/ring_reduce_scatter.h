#pragma once
// Reduce-scatter with uneven blocks and every dtype, over point-to-point
// messages on a ring, reducing with ringtail's kernels.
//
// Gloo's own reduce-scatter (ReduceScatterHalvingDoubling) is an old-style
// algorithm typed on T with gloo's own reduction functions: no bf16, no
// ringtail kernels. An allreduce followed by a copy would move size() times
// the data. This is the bandwidth-optimal ring: in step s (0 <= s < n-1) rank r
// sends its partial sum of block r-s-1 to rank r+1 and receives block r-s-2
// from rank r-1, adding its own contribution; after n-1 steps it holds the full
// reduction of block r. Blocks travel in segments, so adding one segment
// overlaps receiving the next, and a reduced segment is forwarded at once.

#include <gloo/context.h>

#include <chrono>
#include <cstddef>
#include <vector>

#include "ringtail/collectives/data_type.h"

namespace ringtail::coll::gloo_backend {

// `send` holds sum(counts) elements, `recv` receives counts[rank] elements.
// `scratch` is working memory kept by the caller between calls. Throws
// PeerWaitFailure (peer_wait.h) or gloo's exceptions.
void ring_reduce_scatter(::gloo::Context& context, const void* send, void* recv,
                         const std::vector<std::size_t>& counts, DataType type, ReduceOp op,
                         std::chrono::milliseconds timeout, std::vector<char>& scratch,
                         std::size_t segment_bytes = std::size_t{256} << 10);

}  // namespace ringtail::coll::gloo_backend
