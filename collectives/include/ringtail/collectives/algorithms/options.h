#pragma once
// The names of the allreduce and allgather algorithms, and the options every
// algorithm object is built with. Shared by the factories (allreduce.h,
// allgather.h), the engine (core::Config maps RINGTAIL_ALLREDUCE /
// RINGTAIL_ALLGATHER / RINGTAIL_RING_SEGMENT_BYTES /
// RINGTAIL_SHM_AREA_BYTES onto these) and ringtail-bench.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ringtail::coll {

enum class AllreduceKind : std::uint8_t {
  native,        // the communicator's own allreduce (MPI_Allreduce, Gloo, NCCL)
  ring,          // ringtail's ring: reduce-scatter + allgather over sendrecv
  hierarchical,  // inside hosts, then across hosts, then inside hosts again
  automatic,     // one of the above per call, by size and topology (selection.h)
  shm,           // ranks of one machine through a shared-memory segment
};

enum class AllgatherKind : std::uint8_t {
  native,        // the communicator's own allgatherv ("flat")
  ring,          // ringtail's ring over sendrecv
  hierarchical,  // gather inside hosts, exchange across hosts, spread inside hosts
  automatic,
};

// How one phase of a hierarchical algorithm runs on its communicator: ringtail's
// ring over sendrecv, the communicator's own collective, or (inside a host
// only) a shared-memory segment. A communicator on device memory (NCCL inside a
// host) always runs its phase natively.
enum class PhaseMethod : std::uint8_t { ring, native, shm };

std::string_view to_string(AllreduceKind kind);
std::string_view to_string(AllgatherKind kind);
std::string_view to_string(PhaseMethod method);
// Accept the names printed by to_string plus "auto"; allgather also accepts "flat"
// for native (the name RINGTAIL_ALLGATHER uses).
std::optional<AllreduceKind> parse_allreduce_kind(std::string_view name);
std::optional<AllgatherKind> parse_allgather_kind(std::string_view name);
std::optional<PhaseMethod> parse_phase_method(std::string_view name);

// The ring's segment: how many bytes travel per sendrecv while reducing. Small
// enough that a received segment is still in cache when it is reduced, large
// enough that per-message latency stays small (docs/performance.md, the
// segment sweep).
inline constexpr std::size_t kDefaultSegmentBytes = std::size_t{1} << 20;

// The shared-memory allreduce's area: what one rank hands another per step.
// Its segment holds n^2 areas, touched over and over while large buffers
// stream through, so it stays small enough to live in the cache
// (docs/performance.md, the shm segment sweep).
inline constexpr std::size_t kDefaultShmAreaBytes = std::size_t{256} << 10;

// The hierarchical allreduce's pipeline chunk: the cross-host phase of one
// chunk runs while the host reduces the next and gathers the previous. Large
// enough that each chunk's collectives are bandwidth-bound, small enough that
// filling and draining the pipeline (one chunk's local phases) is a small part
// of a large allreduce; at most kMaxPipelineChunks chunks.
inline constexpr std::size_t kDefaultPipelineChunkBytes = std::size_t{4} << 20;
inline constexpr std::size_t kMaxPipelineChunks = 64;

struct AlgorithmOptions {
  // The ring's segment. 0: kDefaultSegmentBytes; tests force tiny ones.
  std::size_t segment_bytes = 0;
  // The shared-memory area (flat shm allreduce and shm phases inside a host),
  // apart from the ring's segment: the best sizes differ by 4x, and a segment
  // tuned for a TCP ring would make an n^2-area segment too big for /dev/shm.
  // 0: kDefaultShmAreaBytes; tests force tiny ones.
  std::size_t shm_area_bytes = 0;
  // Hierarchical phases. Inside a host, shared memory: 1.6x to 1.9x faster than
  // the ring there on 2 hosts x 2 ranks (docs/performance.md); where the segment
  // cannot be made the host's ranks use the ring. Across hosts, the ring: Open
  // MPI's allreduce of two ranks over TCP was slower. A local communicator on
  // device memory runs its phases natively whatever is asked.
  PhaseMethod local_method = PhaseMethod::shm;    // inside a host
  PhaseMethod cross_method = PhaseMethod::ring;   // across hosts
  std::size_t pipeline_chunk_bytes = 0;  // 0: kDefaultPipelineChunkBytes; tests force tiny chunks
  // How long the shared-memory allreduce waits for a rank at one step before
  // it fails with ErrorKind::timeout (the world's timeout, for the engine).
  std::chrono::milliseconds peer_timeout{std::chrono::seconds(60)};

  std::size_t effective_segment_bytes() const {
    return segment_bytes == 0 ? kDefaultSegmentBytes : segment_bytes;
  }
  std::size_t effective_shm_area_bytes() const {
    return shm_area_bytes == 0 ? kDefaultShmAreaBytes : shm_area_bytes;
  }
  std::size_t effective_pipeline_chunk_bytes() const {
    return pipeline_chunk_bytes == 0 ? kDefaultPipelineChunkBytes : pipeline_chunk_bytes;
  }
};

}  // namespace ringtail::coll
