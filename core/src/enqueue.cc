// The engine's front door: validate an operation where it is submitted (so a
// bad argument is an exception at the call site, naming what was wrong), fill
// in its signature, queue it, wake the background thread. Nothing else.

#include <algorithm>
#include <cmath>
#include <map>

#include "engine.h"
#include "ringtail/collectives/error.h"
#include "ringtail/collectives/reduce_kernels.h"

namespace ringtail::core::detail {
namespace {

[[noreturn]] void invalid(const Operation& op, const std::string& what) {
  throw Error(ErrorKind::invalid_argument,
              std::string(to_string(op.type)) + " '" + op.name + "': " + what);
}

void check_view(const Operation& op, const TensorView& v, const char* which) {
  for (std::int64_t d : v.shape) {
    if (d < 0) invalid(op, std::string(which) + " shape " + to_string(v.shape) + " has a negative dimension");
  }
  if (v.data == nullptr && v.num_elements() > 0) {
    invalid(op, std::string(which) + " data is null but its shape is " + to_string(v.shape));
  }
}

// The checks that need nothing but the operation itself.
std::unique_ptr<Submission> prepare(Operation&& op) {
  if (op.name.empty()) {
    throw Error(ErrorKind::invalid_argument,
                std::string(to_string(op.type)) + ": every operation needs a name");
  }
  if (op.name.rfind("ringtail.", 0) == 0) invalid(op, "names starting with 'ringtail.' are reserved");
  if (!is_collective(op.type)) invalid(op, "not an operation enqueue() accepts (use the Runtime's methods)");

  auto s = std::make_unique<Submission>();
  Signature& sig = s->signature;
  sig.op = op.type;
  if (op.type == OpType::barrier) {
    sig.dtype = coll::DataType::u8;
  } else {
    check_view(op, op.input, "input");
    sig.dtype = op.input.dtype;
    sig.shape = op.input.shape;
    sig.device = op.input.device;
  }

  const bool reduces = op.type == OpType::allreduce || op.type == OpType::reducescatter;
  if (reduces) {
    if (!coll::supports(op.input.dtype, op.reduce_op)) {
      invalid(op, std::string("reduce op ") + std::string(coll::to_string(op.reduce_op)) +
                      " is not defined for " + std::string(coll::to_string(op.input.dtype)));
    }
    sig.reduce_op = op.reduce_op;
  }
  if (!std::isfinite(op.prescale) || !std::isfinite(op.postscale)) {
    invalid(op, "prescale and postscale must be finite");
  }
  if (!reduces && (op.prescale != 1.0 || op.postscale != 1.0)) {
    invalid(op, "prescale and postscale apply to allreduce and reducescatter only");
  }
  sig.prescale = op.prescale;
  sig.postscale = op.postscale;

  const bool in_place_kind = op.type == OpType::allreduce || op.type == OpType::broadcast;
  if (op.output.data != nullptr) {
    if (!in_place_kind) {
      invalid(op, "the result's size is decided by negotiation: pass allocate_output instead of output");
    }
    check_view(op, op.output, "output");
    if (op.output.dtype != op.input.dtype || op.output.shape != op.input.shape ||
        op.output.device != op.input.device) {
      invalid(op, "output (" + std::string(coll::to_string(op.output.dtype)) + " " +
                      to_string(op.output.shape) + ") must match the input (" +
                      std::string(coll::to_string(op.input.dtype)) + " " + to_string(op.input.shape) + ")");
    }
  }
  if (op.type == OpType::allgather || op.type == OpType::alltoall || op.type == OpType::reducescatter) {
    if (op.input.shape.empty()) invalid(op, "needs a tensor with at least one dimension");
  }
  if (op.type == OpType::broadcast) sig.root = op.root;

  s->handle = std::make_shared<HandleState>(op.name);
  s->handle->callback = std::move(op.on_complete);
  s->op = std::move(op);
  return s;
}

}  // namespace

void Engine::admit(const Submission& s, const std::unordered_set<std::string>& also_in_flight) const {
  const Operation& op = s.op;
  if (stopped_ || shutdown_requested_) {
    if (stop_reason_) stop_reason_->raise();
    throw Error(ErrorKind::shut_down, std::string(to_string(op.type)) + " '" + op.name +
                                          "': the runtime has shut down");
  }
  auto it = queues_.find(op.process_set);
  if (it == queues_.end()) invalid(op, "there is no process set " + std::to_string(op.process_set));
  const SetQueue& q = it->second;
  if (q.rank < 0) {
    invalid(op, "rank " + std::to_string(rank_) + " is not in process set " + std::to_string(op.process_set));
  }
  if (q.joining) {
    invalid(op, "this rank has joined process set " + std::to_string(op.process_set) +
                    "; submit nothing more until join() returns");
  }
  if (q.in_flight.count(op.name) || also_in_flight.count(op.name)) {
    invalid(op, "this name was submitted again before its previous submission completed");
  }
  const int n = static_cast<int>(q.ranks.size());
  if (op.type == OpType::barrier) return;
  if (op.input.device.kind != memory_) {
    invalid(op, "the tensor is in " + to_string(op.input.device) + " memory; the " + backend_ +
                    " backend works on " + std::string(coll::to_string(memory_)) + " memory");
  }
  if (op.type == OpType::broadcast && (op.root < 0 || op.root >= n)) {
    invalid(op, "root " + std::to_string(op.root) + " is outside the process set (size " +
                    std::to_string(n) + ")");
  }
  if (op.type == OpType::alltoall) {
    const std::int64_t rows = op.input.shape[0];
    if (op.splits.empty()) {
      if (rows % n != 0) {
        invalid(op, "the first dimension (" + std::to_string(rows) + ") does not split evenly over " +
                        std::to_string(n) + " ranks; pass splits");
      }
    } else {
      if (op.splits.size() != static_cast<std::size_t>(n)) {
        invalid(op, "splits has " + std::to_string(op.splits.size()) + " entries; the process set has " +
                        std::to_string(n) + " ranks");
      }
      std::int64_t sum = 0;
      for (std::int64_t v : op.splits) {
        if (v < 0) invalid(op, "splits has a negative entry");
        sum += v;
      }
      if (sum != rows) {
        invalid(op, "splits add up to " + std::to_string(sum) + ", not the first dimension " +
                        std::to_string(rows));
      }
    }
  }
}

std::vector<Handle> Engine::enqueue(std::vector<Operation> operations) {
  std::vector<std::unique_ptr<Submission>> prepared;
  prepared.reserve(operations.size());
  for (Operation& op : operations) prepared.push_back(prepare(std::move(op)));
  const auto now = Clock::now();
  std::vector<Handle> handles;
  handles.reserve(prepared.size());
  bool notify;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Names are per process set: the group's earlier names, by set.
    std::map<ProcessSetId, std::unordered_set<std::string>> group_names;
    for (const auto& s : prepared) {
      std::unordered_set<std::string>& earlier = group_names[s->op.process_set];
      admit(*s, earlier);
      if (prepared.size() > 1) earlier.insert(s->op.name);
    }
    for (auto& s : prepared) {
      s->enqueued = now;
      handles.emplace_back(s->handle);
      SetQueue& q = queues_.at(s->op.process_set);
      q.in_flight.insert(s->op.name);
      q.incoming.push_back(std::move(s));
    }
    has_new_work_ = true;
    notify = wake_on_work_;
    wake_on_work_ = false;
  }
  if (notify) wake_.notify_one();
  return handles;
}

Handle Engine::submit_control(std::unique_ptr<Submission> s, ProcessSetId set) {
  s->op.process_set = set;
  s->enqueued = Clock::now();
  Handle handle(s->handle);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_ || shutdown_requested_) {
      if (stop_reason_) stop_reason_->raise();
      throw Error(ErrorKind::shut_down, s->op.name + ": the runtime has shut down");
    }
    auto it = queues_.find(set);
    if (it == queues_.end()) {
      throw Error(ErrorKind::invalid_argument, s->op.name + ": there is no process set " + std::to_string(set));
    }
    SetQueue& q = it->second;
    if (q.rank < 0) {
      throw Error(ErrorKind::invalid_argument, s->op.name + ": rank " + std::to_string(rank_) +
                                                   " is not in process set " + std::to_string(set));
    }
    if (s->op.type == OpType::join) {
      if (q.joining) {
        throw Error(ErrorKind::invalid_argument,
                    "join: this rank has already joined process set " + std::to_string(set));
      }
      q.joining = true;
    } else {
      // The coordinator leaves joined ranks out of the requests it counts, so
      // a process-set change from a joined rank could run without it and its
      // own request would then wait forever.
      if (q.joining) {
        throw Error(ErrorKind::invalid_argument,
                    s->op.name + ": this rank has joined process set " + std::to_string(set) +
                        "; submit nothing more until join() returns");
      }
      if (q.in_flight.count(s->op.name)) {
        throw Error(ErrorKind::invalid_argument,
                    s->op.name + ": the previous call has not completed yet (one at a time)");
      }
      q.in_flight.insert(s->op.name);
    }
    q.incoming.push_back(std::move(s));
    has_new_work_ = true;
  }
  wake_.notify_one();
  return handle;
}

namespace {

std::unique_ptr<Submission> control(OpType type, const std::string& name) {
  auto s = std::make_unique<Submission>();
  s->op.type = type;
  s->op.name = name;
  s->signature.op = type;
  s->signature.dtype = coll::DataType::u8;
  s->handle = std::make_shared<HandleState>(name);
  return s;
}

}  // namespace

Handle Engine::join(ProcessSetId set) { return submit_control(control(OpType::join, "ringtail.join"), set); }

Handle Engine::add_process_set(std::vector<int> ranks) {
  std::sort(ranks.begin(), ranks.end());
  if (ranks.empty()) throw Error(ErrorKind::invalid_argument, "add_process_set: no ranks given");
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    if (ranks[i] < 0 || ranks[i] >= size_) {
      throw Error(ErrorKind::invalid_argument, "add_process_set: rank " + std::to_string(ranks[i]) +
                                                   " is outside the world (size " + std::to_string(size_) + ")");
    }
    if (i > 0 && ranks[i] == ranks[i - 1]) {
      throw Error(ErrorKind::invalid_argument,
                  "add_process_set: rank " + std::to_string(ranks[i]) + " is listed twice");
    }
  }
  auto s = control(OpType::add_process_set, "ringtail.add_process_set");
  s->signature.shape.assign(ranks.begin(), ranks.end());
  return submit_control(std::move(s), kGlobalProcessSet);
}

Handle Engine::remove_process_set(ProcessSetId id) {
  if (id == kGlobalProcessSet) {
    throw Error(ErrorKind::invalid_argument, "remove_process_set: the global process set cannot be removed");
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!queues_.count(id)) {
      throw Error(ErrorKind::invalid_argument,
                  "remove_process_set: there is no process set " + std::to_string(id));
    }
  }
  auto s = control(OpType::remove_process_set, "ringtail.remove_process_set");
  s->signature.root = id;
  return submit_control(std::move(s), kGlobalProcessSet);
}

void Engine::shutdown() noexcept {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopped_ && !shutdown_requested_) {
      shutdown_requested_ = true;
      auto s = control(OpType::shutdown, "ringtail.shutdown");
      s->detail = "rank " + std::to_string(rank_) + " shut its runtime down";
      s->enqueued = Clock::now();
      queues_.at(kGlobalProcessSet).incoming.push_back(std::move(s));
      has_new_work_ = true;
    }
  }
  wake_.notify_all();
  if (std::this_thread::get_id() == loop_id_) return;  // a callback: the loop ends after it
  std::lock_guard<std::mutex> lock(join_mutex_);
  if (thread_.joinable()) thread_.join();
}

}  // namespace ringtail::core::detail
