// ringtail's rows: the algorithm objects of collectives/algorithms on each
// backend's world, exactly as the engine runs them.
#include <algorithm>

#include "contenders.h"
#include "ringtail/collectives/algorithms/allgather.h"
#include "ringtail/collectives/algorithms/allreduce.h"
#include "ringtail/collectives/registry.h"

namespace ringtail::bench {
namespace {

class AllreduceRow final : public Contender {
 public:
  AllreduceRow(std::string name, std::unique_ptr<coll::AllreduceAlgorithm> a)
      : name_(std::move(name)), algorithm_(std::move(a)) {}
  std::string name() const override { return name_; }
  bool is_ringtail() const override { return true; }
  Collective op() const override { return Collective::allreduce; }
  void run(const Call& c) override {
    algorithm_->run(c.send, c.recv, c.shape->count, c.shape->type, c.shape->reduce);
  }

 private:
  std::string name_;
  std::unique_ptr<coll::AllreduceAlgorithm> algorithm_;
};

class AllgatherRow final : public Contender {
 public:
  AllgatherRow(std::string name, std::unique_ptr<coll::AllgatherAlgorithm> a)
      : name_(std::move(name)), algorithm_(std::move(a)) {}
  std::string name() const override { return name_; }
  bool is_ringtail() const override { return true; }
  Collective op() const override { return Collective::allgather; }
  void run(const Call& c) override {
    algorithm_->run(c.send, c.recv, c.shape->count, c.shape->type);
  }

 private:
  std::string name_;
  std::unique_ptr<coll::AllgatherAlgorithm> algorithm_;
};

// The backend's own broadcast, reducescatter and alltoall through the
// Communicator interface (what the engine calls for these).
class NativeRow final : public Contender {
 public:
  NativeRow(std::string name, Collective op, coll::Communicator& world)
      : name_(std::move(name)), op_(op), world_(world) {}
  std::string name() const override { return name_; }
  bool is_ringtail() const override { return true; }
  Collective op() const override { return op_; }
  bool in_place() const override { return op_ == Collective::broadcast; }
  void prepare(const Call& c) override {
    counts_.assign(static_cast<std::size_t>(world_.size()), c.shape->count);
  }
  void run(const Call& c) override {
    const Shape& s = *c.shape;
    switch (op_) {
      case Collective::broadcast: world_.broadcast(c.recv, s.count, s.type, 0); break;
      case Collective::reducescatter:
        world_.reducescatter(c.send, c.recv, counts_, s.type, s.reduce);
        break;
      case Collective::alltoall: world_.alltoall(c.send, c.recv, s.count, s.type); break;
      default: break;
    }
  }

 private:
  std::string name_;
  Collective op_;
  coll::Communicator& world_;
  std::vector<std::size_t> counts_;
};

// The swept size is the ring's segment, or the area of the shm allreduce.
std::string segment_suffix(std::size_t segment, bool shm) {
  return segment == 0 ? "" : (shm ? " area=" : " seg=") + format_bytes(segment);
}

std::string chunk_suffix(std::size_t chunk) { return chunk == 0 ? "" : " chunk=" + format_bytes(chunk); }

// Named only when the run compares methods.
std::string local_suffix(const Options& o, coll::PhaseMethod method) {
  return o.local_methods.size() < 2 ? "" : " local=" + std::string(coll::to_string(method));
}

}  // namespace

void add_ringtail_contenders(Collective op, Environment& env, Contenders& out) {
  const Options& o = env.options();
  const bool several_hosts = env.num_hosts() > 1;
  std::vector<std::size_t> segments = o.segments;
  if (segments.empty()) segments.push_back(0);
  for (const std::string& backend : o.backends) {
    coll::Communicator& world = env.world(backend);
    const std::string prefix = "ringtail/" + backend + "/";
    if (op != Collective::allreduce && op != Collective::allgather) {
      out.push_back(std::make_unique<NativeRow>(prefix + "native", op, world));
      continue;
    }
    for (const std::string& name : o.algorithms) {
      const coll::AllreduceKind kind = *coll::parse_allreduce_kind(name);
      // On one host hierarchical is only its phases inside the host, which
      // the ring and shm rows measure already.
      if (kind == coll::AllreduceKind::hierarchical && !several_hosts) continue;
      // The shared-memory allreduce spans one machine; it has no allgather.
      if (kind == coll::AllreduceKind::shm && (several_hosts || op != Collective::allreduce)) continue;
      const bool segmented = kind == coll::AllreduceKind::ring ||
                             kind == coll::AllreduceKind::hierarchical ||
                             kind == coll::AllreduceKind::shm;
      // Only the hierarchical allreduce runs in pipeline chunks.
      const bool chunked = kind == coll::AllreduceKind::hierarchical && op == Collective::allreduce;
      const std::vector<std::size_t> chunks = chunked && !o.chunks.empty() ? o.chunks : std::vector<std::size_t>{0};
      // The local method matters to the hierarchical rows (and to auto, which
      // may run hierarchical); the others run once.
      const bool has_local_phases = kind == coll::AllreduceKind::hierarchical ||
                                    kind == coll::AllreduceKind::automatic;
      std::vector<coll::PhaseMethod> locals = o.local_methods;
      if (locals.empty() || !has_local_phases) locals = {coll::AlgorithmOptions{}.local_method};
      for (std::size_t segment : segmented ? segments : std::vector<std::size_t>{0}) {
        for (std::size_t chunk : chunks) {
          for (coll::PhaseMethod local : locals) {
            coll::AlgorithmOptions options;
            const bool shm = kind == coll::AllreduceKind::shm;
            (shm ? options.shm_area_bytes : options.segment_bytes) = segment;
            options.pipeline_chunk_bytes = chunk;
            options.local_method = local;
            options.cross_method = o.cross_method;
            const std::string row = prefix + name + segment_suffix(segment, shm) + chunk_suffix(chunk) +
                                    (has_local_phases ? local_suffix(o, local) : "");
            if (op == Collective::allreduce) {
              out.push_back(std::make_unique<AllreduceRow>(
                  row, coll::make_allreduce(kind, world, env.layout(backend), options)));
            } else {
              const auto gather_kind = *coll::parse_allgather_kind(name);
              if (segmented && segment != segments.front()) continue;  // allgather has no segments
              out.push_back(std::make_unique<AllgatherRow>(
                  prefix + name + (has_local_phases ? local_suffix(o, local) : ""),
                  coll::make_allgather(gather_kind, world, env.layout(backend), options)));
            }
          }
        }
      }
    }
  }
}

}  // namespace ringtail::bench
