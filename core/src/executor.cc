#include "executor.h"

#include <cstring>

#include "reduction.h"
#include "ringtail/collectives/error.h"

namespace ringtail::core::detail {

Executor::Executor(coll::Communicator& comm, AllreduceStrategy& allreduce,
                   AllgatherStrategy& allgather, FusionBuffer& fusion, FusionBuffer& scratch,
                   EngineCounters& counters)
    : comm_(comm),
      allreduce_(allreduce),
      allgather_(allgather),
      fusion_(fusion),
      scratch_(scratch),
      counters_(counters),
      allreduce_name_(std::string(comm.backend()) + "." + allreduce.name() + ".allreduce"),
      allgather_name_(std::string(comm.backend()) + "." + allgather.name() + ".allgather") {}

void Executor::run(std::vector<RoundItem>& items, const FusionGroup& group) {
  switch (items[group.items.front()].response.signature.op) {
    case OpType::allreduce: return allreduce(items, group);
    case OpType::broadcast: return broadcast(items, group);
    case OpType::allgather: return allgather(items, group);
    case OpType::reducescatter: return reducescatter(items, group);
    case OpType::alltoall: return alltoall(items[group.items.front()]);
    case OpType::barrier: {
      Phases t;
      t.start = t.packed = Clock::now();
      comm_.barrier();
      t.reduced = t.unpacked = Clock::now();
      tally(group, 0);
      record(items, group, t, collective_name("barrier"));
      return;
    }
    default:
      throw Error(ErrorKind::backend, std::string("executor: cannot run ") +
                                          to_string(items[group.items.front()].response.signature.op));
  }
}

void Executor::tally(const FusionGroup& group, std::size_t bytes_packed) {
  EngineCounters::add(counters_.collectives);
  if (group.items.size() > 1) {
    EngineCounters::add(counters_.fused_tensors, group.items.size());
    EngineCounters::add(counters_.bytes_fused, bytes_packed);
  }
}

std::string Executor::collective_name(const char* what) const {
  return std::string(comm_.backend()) + ".native." + what;
}

void* Executor::result_memory(RoundItem& item, const Shape& shape) {
  Submission& s = *item.local;
  const std::size_t bytes = static_cast<std::size_t>(num_elements(shape)) * coll::size_of(s.signature.dtype);
  void* data = nullptr;
  try {
    if (s.op.allocate_output) {
      data = s.op.allocate_output(shape);
      if (!data && bytes > 0) {
        throw Error(ErrorKind::invalid_argument, "the output allocator returned null");
      }
    } else {
      s.handle->storage.resize(bytes);
      data = s.handle->storage.data();
    }
  } catch (const Error& e) {
    item.error = Failure{e.kind(), "'" + s.op.name + "': " + e.what()};
    return nullptr;
  } catch (const std::exception& e) {
    item.error = Failure{ErrorKind::invalid_argument, "'" + s.op.name + "': the output allocator threw: " + e.what()};
    return nullptr;
  } catch (...) {
    // Anything else would escape the executor and stop this rank's engine
    // alone, leaving the other ranks waiting in the next round.
    item.error = Failure{ErrorKind::invalid_argument,
                         "'" + s.op.name + "': the output allocator threw something that is not a std::exception"};
    return nullptr;
  }
  s.handle->output = TensorView{data, s.signature.dtype, shape, s.signature.device};
  return data;
}

void Executor::record(const std::vector<RoundItem>& items, const FusionGroup& group,
                      const Phases& t, const std::string& collective) {
  if (!spans_) return;
  for (std::size_t i : group.items) {
    const RoundItem& item = items[i];
    if (!item.local) continue;
    const std::string& name = item.local->op.name;
    spans_->push_back({name, "QUEUE", item.ready, t.start});
    if (t.packed > t.start) spans_->push_back({name, "PACK", t.start, t.packed});
    spans_->push_back({name, collective, t.packed, t.reduced});
    if (t.unpacked > t.reduced) spans_->push_back({name, "UNPACK", t.reduced, t.unpacked});
  }
}

void Executor::allreduce(std::vector<RoundItem>& items, const FusionGroup& group) {
  const Signature& sig = items[group.items.front()].response.signature;
  const coll::DataType type = sig.dtype;
  const coll::ReduceOp op = sig.reduce_op;
  const coll::ReduceOp wire_op = op == coll::ReduceOp::average ? coll::ReduceOp::sum : op;
  const std::size_t esize = coll::size_of(type);
  Phases t;
  t.start = Clock::now();

  if (group.items.size() == 1) {
    RoundItem& item = items[group.items.front()];
    const std::size_t count = static_cast<std::size_t>(num_elements(sig.shape));
    void* out;
    if (item.local) {
      const Submission& s = *item.local;
      out = s.op.output.data ? s.op.output.data : s.op.input.data;
      if (out != s.op.input.data && count > 0) std::memcpy(out, s.op.input.data, count * esize);
      apply_prescale(out, count, type, s.signature.prescale);
    } else {
      out = fusion_.reserve(count * esize);
      fill_identity(out, count, type, op);
    }
    t.packed = Clock::now();
    allreduce_.run(out, count, type, wire_op);
    t.reduced = Clock::now();
    if (item.local) {
      finish_reduction(out, count, type, op, item.response.contributors, item.local->signature.postscale);
    }
    t.unpacked = Clock::now();
    tally(group, 0);
    record(items, group, t, allreduce_name_);
    return;
  }

  std::size_t total = 0;
  for (std::size_t i : group.items) {
    total += static_cast<std::size_t>(num_elements(items[i].response.signature.shape));
  }
  std::uint8_t* buffer = fusion_.reserve(total * esize);
  std::size_t offset = 0;
  for (std::size_t i : group.items) {
    const std::size_t n = static_cast<std::size_t>(num_elements(items[i].response.signature.shape));
    std::uint8_t* region = buffer + offset * esize;
    if (const Submission* s = items[i].local) {
      if (n > 0) std::memcpy(region, s->op.input.data, n * esize);
      apply_prescale(region, n, type, s->signature.prescale);
    } else {
      fill_identity(region, n, type, op);
    }
    offset += n;
  }
  t.packed = Clock::now();
  allreduce_.run(buffer, total, type, wire_op);
  t.reduced = Clock::now();
  offset = 0;
  for (std::size_t i : group.items) {
    const std::size_t n = static_cast<std::size_t>(num_elements(items[i].response.signature.shape));
    std::uint8_t* region = buffer + offset * esize;
    if (const Submission* s = items[i].local) {
      finish_reduction(region, n, type, op, items[i].response.contributors, s->signature.postscale);
      void* out = s->op.output.data ? s->op.output.data : s->op.input.data;
      if (n > 0) std::memcpy(out, region, n * esize);
    }
    offset += n;
  }
  t.unpacked = Clock::now();
  tally(group, total * esize);
  record(items, group, t, allreduce_name_);
}

void Executor::broadcast(std::vector<RoundItem>& items, const FusionGroup& group) {
  const Signature& sig = items[group.items.front()].response.signature;
  const coll::DataType type = sig.dtype;
  const std::size_t esize = coll::size_of(type);
  const int root = sig.root;
  const bool is_root = comm_.rank() == root;
  auto output_of = [](const Submission& s) { return s.op.output.data ? s.op.output.data : s.op.input.data; };
  Phases t;
  t.start = Clock::now();

  if (group.items.size() == 1) {
    RoundItem& item = items[group.items.front()];
    const std::size_t count = static_cast<std::size_t>(num_elements(sig.shape));
    void* out;
    if (item.local) {
      out = output_of(*item.local);
      if (is_root && out != item.local->op.input.data && count > 0) {
        std::memcpy(out, item.local->op.input.data, count * esize);
      }
    } else {
      out = scratch_.reserve(count * esize);
    }
    t.packed = Clock::now();
    comm_.broadcast(out, count, type, root);
    t.reduced = t.unpacked = Clock::now();
    tally(group, 0);
    record(items, group, t, collective_name("broadcast"));
    return;
  }

  std::size_t total = 0;
  for (std::size_t i : group.items) {
    total += static_cast<std::size_t>(num_elements(items[i].response.signature.shape));
  }
  std::uint8_t* buffer = fusion_.reserve(total * esize);
  if (is_root) {
    std::size_t offset = 0;
    for (std::size_t i : group.items) {
      const std::size_t n = static_cast<std::size_t>(num_elements(items[i].response.signature.shape));
      if (n > 0) std::memcpy(buffer + offset * esize, items[i].local->op.input.data, n * esize);
      offset += n;
    }
  }
  t.packed = Clock::now();
  comm_.broadcast(buffer, total, type, root);
  t.reduced = Clock::now();
  std::size_t offset = 0;
  for (std::size_t i : group.items) {
    const std::size_t n = static_cast<std::size_t>(num_elements(items[i].response.signature.shape));
    if (const Submission* s = items[i].local) {
      void* out = output_of(*s);
      if (n > 0 && (!is_root || out != s->op.input.data)) {
        std::memcpy(out, buffer + offset * esize, n * esize);
      }
    }
    offset += n;
  }
  t.unpacked = Clock::now();
  tally(group, total * esize);
  record(items, group, t, collective_name("broadcast"));
}

}  // namespace ringtail::core::detail
