#include "ringtail/core/runtime.h"

#include "engine.h"
#include "ringtail/collectives/registry.h"

namespace ringtail::core {

Runtime::Runtime(const Config& config) : Runtime(config, coll::create_world(config.world)) {}

Runtime::Runtime(const Config& config, std::unique_ptr<coll::Communicator> world)
    : engine_(std::make_unique<detail::Engine>(config, std::move(world))) {}

Runtime::~Runtime() = default;  // the engine's destructor shuts down; it never throws

int Runtime::rank() const noexcept { return engine_->rank(); }
int Runtime::size() const noexcept { return engine_->size(); }
const Config& Runtime::config() const noexcept { return engine_->config(); }

Handle Runtime::enqueue(Operation operation) {
  std::vector<Operation> one;
  one.push_back(std::move(operation));
  return engine_->enqueue(std::move(one)).front();
}

std::vector<Handle> Runtime::enqueue_group(std::vector<Operation> operations) {
  if (operations.empty()) return {};
  return engine_->enqueue(std::move(operations));
}

Handle Runtime::allreduce(std::string name, const TensorView& tensor, coll::ReduceOp op,
                          ProcessSetId set) {
  Operation o;
  o.type = OpType::allreduce;
  o.name = std::move(name);
  o.input = tensor;
  o.reduce_op = op;
  o.process_set = set;
  return enqueue(std::move(o));
}

Handle Runtime::allgather(std::string name, const TensorView& tensor, ProcessSetId set) {
  Operation o;
  o.type = OpType::allgather;
  o.name = std::move(name);
  o.input = tensor;
  o.process_set = set;
  return enqueue(std::move(o));
}

Handle Runtime::broadcast(std::string name, const TensorView& tensor, int root, ProcessSetId set) {
  Operation o;
  o.type = OpType::broadcast;
  o.name = std::move(name);
  o.input = tensor;
  o.root = root;
  o.process_set = set;
  return enqueue(std::move(o));
}

Handle Runtime::barrier(std::string name, ProcessSetId set) {
  Operation o;
  o.type = OpType::barrier;
  o.name = std::move(name);
  o.process_set = set;
  return enqueue(std::move(o));
}

Handle Runtime::join_async(ProcessSetId set) { return engine_->join(set); }

int Runtime::join(ProcessSetId set) {
  Handle h = engine_->join(set);
  h.wait();
  return static_cast<int>(h.value());
}

ProcessSetId Runtime::add_process_set(std::vector<int> ranks) {
  Handle h = engine_->add_process_set(std::move(ranks));
  h.wait();
  return static_cast<ProcessSetId>(h.value());
}

void Runtime::remove_process_set(ProcessSetId id) { engine_->remove_process_set(id).wait(); }

ProcessSetInfo Runtime::process_set(ProcessSetId id) const { return engine_->process_set(id); }

Counters Runtime::counters() const { return engine_->counters(); }

TunedParameters Runtime::tuned_parameters() const { return engine_->tuned_parameters(); }

std::string Runtime::last_stall_report() const { return engine_->last_stall_report(); }

void Runtime::shutdown() noexcept { engine_->shutdown(); }

bool Runtime::is_shut_down() const noexcept { return engine_->is_shut_down(); }

}  // namespace ringtail::core
