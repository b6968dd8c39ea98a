#include "engine.h"

#include <algorithm>
#include <numeric>

#include "fusion_plan.h"
#include "ringtail/collectives/error.h"
#include "ringtail/collectives/log.h"

namespace ringtail::core::detail {
namespace {

coll::Communicator& require(const std::unique_ptr<coll::Communicator>& world) {
  if (!world) throw Error(ErrorKind::invalid_argument, "Runtime: the world communicator is null");
  return *world;
}

}  // namespace

Engine::Engine(const Config& config, std::unique_ptr<coll::Communicator> world)
    : config_(config),
      rank_(require(world).rank()),
      size_(world->size()),
      memory_(world->memory()),
      backend_(world->backend()),
      origin_(Clock::now()),
      schedule_(config.cycle_time, config.heartbeat_max),
      fusion_threshold_(config.fusion_threshold_bytes),
      global_allreduce_(config.allreduce) {
  log::set_level(config_.log_level);
  log::set_rank(rank_);

  // Everything that can fail on one rank only fails on every rank: a rank
  // that threw here while the others went on would leave them waiting.
  std::exception_ptr failure;
  std::unique_ptr<AllreduceStrategy> allreduce;
  std::unique_ptr<AutotuneLog> autotune_log;
  try {
    allreduce = make_allreduce_strategy(config_, *world);
    if (rank_ == 0 && !config_.timeline_path.empty()) {
      timeline_ = std::make_unique<Timeline>(config_.timeline_path, origin_);
    }
    if (rank_ == 0 && config_.autotune && !config_.autotune_log.empty()) {
      autotune_log = std::make_unique<AutotuneLog>(config_.autotune_log);
    }
  } catch (const std::exception&) {
    failure = std::current_exception();
  }
  check_agreement(*world, failure);
  global_allreduce_ = allreduce->algorithm();
  if (config_.autotune) {
    // Collective (the algorithms may need the hosts); autotune agrees by now.
    const TuningCandidate start{fusion_threshold_, config_.cycle_time, global_allreduce_};
    autotune_ = std::make_unique<AutotuneSession>(
        Autotuner(tuning_grid(start, tunable_algorithms(config_, *world, global_allreduce_)), start),
        StepMeter(AutotuneSession::kWarmupSteps, AutotuneSession::kStepsPerSample),
        std::move(autotune_log));
  }
  if (autotune_ && autotune_->done()) autotune_.reset();  // nothing to tune
  publish_tuned_parameters(autotune_ ? AutotuneState::tuning
                                     : config_.autotune ? AutotuneState::done : AutotuneState::off,
                           0);

  std::vector<int> ranks(static_cast<std::size_t>(size_));
  std::iota(ranks.begin(), ranks.end(), 0);
  sets_.emplace(kGlobalProcessSet, make_set(std::move(world), ranks, std::move(allreduce)));
  SetQueue q;
  q.ranks = std::move(ranks);
  q.rank = rank_;
  queues_.emplace(kGlobalProcessSet, std::move(q));
  thread_ = std::thread([this] { loop(); });
  loop_id_ = thread_.get_id();
}

Engine::~Engine() { shutdown(); }

// One allgather of what must agree: whether the rank could start, the fusion
// threshold (fusion decides which collectives run), the cache capacity (the
// bit vector's length), the allreduce algorithm, whether autotuning is on
// with which starting cycle time (the ranks must search the same grid), the
// ring's segment and the shm area sizes, and the allgather algorithm (building
// a hierarchical one is collective).
void Engine::check_agreement(coll::Communicator& world, std::exception_ptr local_failure) {
  const std::int64_t mine[] = {local_failure ? 1 : 0,
                               static_cast<std::int64_t>(config_.fusion_threshold_bytes),
                               static_cast<std::int64_t>(config_.cache_capacity),
                               static_cast<std::int64_t>(config_.allreduce),
                               config_.autotune ? 1 : 0,
                               config_.autotune ? static_cast<std::int64_t>(config_.cycle_time.count()) : 0,
                               static_cast<std::int64_t>(config_.ring_segment_bytes),
                               static_cast<std::int64_t>(config_.shm_area_bytes),
                               static_cast<std::int64_t>(config_.allgather)};
  constexpr std::size_t kFields = sizeof(mine) / sizeof(mine[0]);
  std::vector<std::int64_t> all(kFields * static_cast<std::size_t>(size_));
  world.allgather(mine, all.data(), kFields, coll::DataType::i64);
  // Settings first: a disagreement (the same on every rank) is usually why a
  // collective algorithm could not be built here, and it names the cause;
  // the ring and shm settings decide message sizes and segment layouts, so
  // ranks that disagree would fail later with errors about truncated
  // messages or unmappable segments.
  const char* names[] = {nullptr,
                         "RINGTAIL_FUSION_THRESHOLD",
                         "RINGTAIL_CACHE_CAPACITY",
                         "RINGTAIL_ALLREDUCE",
                         "RINGTAIL_AUTOTUNE",
                         "RINGTAIL_CYCLE_TIME_MS (with RINGTAIL_AUTOTUNE on; in microseconds)",
                         "RINGTAIL_RING_SEGMENT_BYTES",
                         "RINGTAIL_SHM_AREA_BYTES",
                         "RINGTAIL_ALLGATHER"};
  static_assert(sizeof(names) / sizeof(names[0]) == kFields);
  for (std::size_t f = 1; f < kFields; ++f) {
    std::string values;
    bool differs = false;
    for (int r = 0; r < size_; ++r) {
      const std::int64_t v = all[static_cast<std::size_t>(r) * kFields + f];
      differs |= v != all[f];
      values += (r ? ", " : "") + std::to_string(v) + " on rank " + std::to_string(r);
    }
    if (differs) {
      throw Error(ErrorKind::mismatch,
                  std::string("Runtime: ") + names[f] + " must be the same on every rank; it is " + values);
    }
  }
  if (local_failure) std::rethrow_exception(local_failure);
  for (int r = 0; r < size_; ++r) {
    if (all[static_cast<std::size_t>(r) * kFields] != 0) {
      throw Error(ErrorKind::invalid_argument,
                  "Runtime: rank " + std::to_string(r) + " could not start its runtime (its own error says why)");
    }
  }
}

Engine::SetState Engine::make_set(std::unique_ptr<coll::Communicator> comm, std::vector<int> ranks,
                                  std::unique_ptr<AllreduceStrategy> allreduce) {
  SetState set;
  set.comm = std::move(comm);
  set.allreduce = allreduce ? std::move(allreduce) : make_allreduce_strategy(config_, *set.comm);
  set.allgather = make_allgather_strategy(config_, *set.comm);
  set.controller = std::make_unique<Controller>(*set.comm, std::move(ranks), config_.cache_capacity,
                                                config_.stall_check_seconds,
                                                config_.stall_shutdown_seconds, counters_);
  set.executor = std::make_unique<Executor>(*set.comm, *set.allreduce, *set.allgather, fusion_, scratch_,
                                            counters_);
  return set;
}

void Engine::loop() {
  std::optional<Failure> failure;
  try {
    for (;;) {
      wait_for_round();
      if (!iterate()) break;
    }
  } catch (const std::exception& e) {
    log::error("the engine stops: ", e.what());
    failure = Failure::from(e, "ringtail engine stopped: ");
  } catch (...) {
    log::error("the engine stops: unknown exception");
    failure = Failure{ErrorKind::backend, "ringtail engine stopped: unknown exception"};
  }
  if (!failure) failure = shutdown_message_;
  stop(failure ? *failure : Failure{ErrorKind::shut_down, "ringtail runtime shut down"});
}

void Engine::wait_for_round() {
  const bool wake_on_work = schedule_.wake_on_local_work();
  const Clock::time_point deadline = schedule_.next();
  // A timed wait whose deadline has already passed still sleeps: the kernel
  // arms a timer and reschedules the thread tens of microseconds later (about
  // 90 us on the 2-core test machines), which every round that follows a
  // productive one would pay.
  if (deadline <= Clock::now()) return;
  std::unique_lock<std::mutex> lock(mutex_);
  // Enqueuers notify only while this is set, and the first one clears it: a
  // burst of submissions costs one wake-up, not one per submission.
  wake_on_work_ = wake_on_work;
  wake_.wait_until(lock, deadline, [&] { return wake_on_work && has_new_work_; });
  wake_on_work_ = false;
}

bool Engine::iterate() {
  std::vector<std::pair<ProcessSetId, std::unique_ptr<Submission>>> drained;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [id, q] : queues_) {
      for (auto& s : q.incoming) drained.emplace_back(id, std::move(s));
      q.incoming.clear();
    }
    has_new_work_ = false;
  }
  for (auto& [id, s] : drained) sets_.at(id).controller->accept(std::move(s));

  // The global set's round runs every time and says which other sets have work:
  // one bit per live set, in id order. Every rank knows the same live sets
  // (they change only in the global set's rounds), and ids are never reused,
  // so indexing by id instead would grow each round's message for as long as
  // a job keeps creating and removing sets.
  std::vector<ProcessSetId> live;
  for (const auto& [id, set] : sets_) {
    if (id != kGlobalProcessSet) live.push_back(id);
  }
  std::vector<std::uint64_t> extra((live.size() + 63) / 64, 0);
  for (std::size_t k = 0; k < live.size(); ++k) {
    const SetState& set = sets_.at(live[k]);
    if (set.controller && set.controller->has_work()) extra[k / 64] |= std::uint64_t{1} << (k % 64);
  }
  Round round = sets_.at(kGlobalProcessSet).controller->negotiate(extra);
  if (autotune_) tune(round);
  // New submissions anywhere count as progress: in a burst the other ranks are
  // submitting the same names right now, so the next round goes at once.
  const bool productive = !round.items.empty() || round.join_completed.has_value() || round.new_work;
  bool active = round.pending_after;
  for (std::uint64_t w : round.extra_or) active |= w != 0;
  const std::vector<std::uint64_t> busy_sets = round.extra_or;
  if (!run_round(kGlobalProcessSet, sets_.at(kGlobalProcessSet), round)) return false;

  // The global round may have added or removed sets: `live` is the list the
  // bits were set by; a removed set is skipped, a new one has no work yet.
  for (std::size_t k = 0; k < live.size(); ++k) {
    if (k / 64 >= busy_sets.size() || ((busy_sets[k / 64] >> (k % 64)) & 1u) == 0) continue;
    const ProcessSetId id = live[k];
    auto it = sets_.find(id);
    if (it == sets_.end() || !it->second.controller) continue;
    Round set_round = it->second.controller->negotiate({});
    if (!run_round(id, it->second, set_round)) return false;
  }

  using Outcome = WakeSchedule::Outcome;
  schedule_.after_round(productive ? Outcome::productive : active ? Outcome::active : Outcome::idle,
                        Clock::now());
  if (timeline_ && !spans_.empty()) {
    timeline_->submit(std::move(spans_));
    spans_.clear();
  }
  return true;
}

bool Engine::run_round(ProcessSetId id, SetState& set, Round& round) {
  if (!round.stall_warning.empty()) {
    log::warning(round.stall_warning);
    EngineCounters::add(counters_.stall_warnings);
    std::lock_guard<std::mutex> lock(mutex_);
    last_stall_report_ = round.stall_warning;
  }
  if (!round.stall_shutdown.empty()) request_stall_shutdown(round.stall_shutdown);

  if (timeline_) {
    for (const RoundItem& item : round.items) {
      if (item.local) spans_.push_back({item.local->op.name, "NEGOTIATE", item.local->enqueued, item.ready});
    }
  }
  set.executor->set_timeline(timeline_ ? &spans_ : nullptr);

  const std::vector<FusionGroup> groups =
      plan_fusion(round.items, fusion_threshold_, set.controller->size());
  for (const FusionGroup& group : groups) {
    RoundItem& first = round.items[group.items.front()];
    switch (first.response.kind) {
      case ResponseKind::shutdown:
        shutdown_message_ = Failure{ErrorKind::shut_down, "ringtail runtime shut down: " + first.response.message};
        return false;
      case ResponseKind::error:
        first.error = Failure{ErrorKind::mismatch, first.response.message};
        break;
      case ResponseKind::run:
        if (first.response.signature.op == OpType::add_process_set) {
          run_add_process_set(first);
        } else if (first.response.signature.op == OpType::remove_process_set) {
          run_remove_process_set(first);
        } else {
          set.executor->run(round.items, group);
        }
        break;
    }
    complete_items(id, set, round.items, group.items);
  }
  set.controller->finish(round);

  if (round.join_completed) {
    std::shared_ptr<HandleState> join = set.controller->take_join();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (auto q = queues_.find(id); q != queues_.end()) q->second.joining = false;
    }
    if (join) {
      join->value = *round.join_completed;
      join->complete(std::nullopt);
    }
  }
  return true;
}

void Engine::complete_items(ProcessSetId id, SetState& set, std::vector<RoundItem>& items,
                            const std::vector<std::size_t>& indices) {
  std::vector<std::pair<std::unique_ptr<Submission>, std::optional<Failure>>> done;
  for (std::size_t i : indices) {
    if (!items[i].local) continue;
    done.emplace_back(set.controller->release(items[i].local), std::move(items[i].error));
    items[i].local = nullptr;
  }
  if (done.empty()) return;
  {
    // Retire the names first: a caller may resubmit as soon as wait() returns.
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto q = queues_.find(id); q != queues_.end()) {
      for (const auto& d : done) q->second.in_flight.erase(d.first->op.name);
    }
  }
  for (auto& [s, error] : done) {
    HandleState& h = *s->handle;
    if (!error && (s->op.type == OpType::allreduce || s->op.type == OpType::broadcast)) {
      h.output = s->op.output.data ? s->op.output : s->op.input;
    }
    EngineCounters::add(error ? counters_.errors : counters_.tensors);
    h.complete(std::move(error));
  }
}

void Engine::run_add_process_set(RoundItem& item) {
  std::vector<int> ranks(item.response.signature.shape.begin(), item.response.signature.shape.end());
  const auto at = std::find(ranks.begin(), ranks.end(), rank_);
  const bool member = at != ranks.end();
  // Collective over the world: every rank runs this item, members or not.
  std::unique_ptr<coll::Communicator> comm =
      sets_.at(kGlobalProcessSet).comm->split(member ? 0 : -1, rank_);
  const ProcessSetId id = next_set_id_++;
  sets_.emplace(id, member ? make_set(std::move(comm), ranks, nullptr) : SetState{});
  {
    std::lock_guard<std::mutex> lock(mutex_);
    SetQueue q;
    q.rank = member ? static_cast<int>(at - ranks.begin()) : -1;
    q.ranks = std::move(ranks);
    queues_.emplace(id, std::move(q));
  }
  if (item.local) item.local->handle->value = id;
}

void Engine::run_remove_process_set(RoundItem& item) {
  const ProcessSetId id = item.response.signature.root;
  auto it = sets_.find(id);
  if (it == sets_.end()) {
    item.error = Failure{ErrorKind::invalid_argument,
                         "remove_process_set: there is no process set " + std::to_string(id)};
    return;
  }
  std::vector<std::shared_ptr<HandleState>> orphans;
  if (it->second.controller) {
    for (auto& s : it->second.controller->release_all()) orphans.push_back(s->handle);
    if (auto join = it->second.controller->take_join()) orphans.push_back(join);
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto q = queues_.find(id); q != queues_.end()) {
      for (auto& s : q->second.incoming) orphans.push_back(s->handle);
      queues_.erase(q);
    }
  }
  sets_.erase(it);
  const Failure removed{ErrorKind::shut_down, "process set " + std::to_string(id) + " was removed"};
  for (auto& h : orphans) {
    EngineCounters::add(counters_.errors);
    h->complete(removed);
  }
}

void Engine::request_stall_shutdown(const std::string& message) {
  if (stall_shutdown_requested_) return;
  stall_shutdown_requested_ = true;
  log::error(message);
  auto s = std::make_unique<Submission>();
  s->op.type = OpType::shutdown;
  s->op.name = "ringtail.shutdown.stall";
  s->signature.op = OpType::shutdown;
  s->detail = message;
  s->handle = std::make_shared<HandleState>(s->op.name);
  s->enqueued = Clock::now();
  sets_.at(kGlobalProcessSet).controller->accept(std::move(s));
}

void Engine::stop(const Failure& reason) noexcept {
  std::vector<std::shared_ptr<HandleState>> handles;
  try {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopped_ = true;
      stop_reason_ = reason;
      for (auto& [id, q] : queues_) {
        for (auto& s : q.incoming) handles.push_back(s->handle);
        q.incoming.clear();
        q.in_flight.clear();
        q.joining = false;
      }
    }
    for (auto& [id, set] : sets_) {
      if (!set.controller) continue;
      for (auto& s : set.controller->release_all()) handles.push_back(s->handle);
      if (auto join = set.controller->take_join()) handles.push_back(join);
    }
    if (timeline_ && !spans_.empty()) timeline_->submit(std::move(spans_));
    for (auto& h : handles) {
      EngineCounters::add(counters_.errors);
      h->complete(reason);
    }
  } catch (const std::exception& e) {
    log::error("while stopping: ", e.what());
  }
}

void Engine::tune(const Round& round) {
  const std::size_t samples_before = autotune_->samples();
  if (std::optional<TuningCandidate> next =
          autotune_->on_round(round, *sets_.at(kGlobalProcessSet).comm, Clock::now())) {
    apply(*next);
  }
  if (autotune_->samples() == samples_before) return;
  const bool done = autotune_->done();
  publish_tuned_parameters(done ? AutotuneState::done : AutotuneState::tuning, autotune_->samples());
  if (done) {
    autotune_.reset();
    idle_strategies_.clear();
  }
}

// Every rank applies the same candidate before the same round runs.
void Engine::apply(const TuningCandidate& candidate) {
  fusion_threshold_ = candidate.fusion_threshold_bytes;
  schedule_.set_cycle(candidate.cycle_time);
  if (candidate.allreduce == global_allreduce_) return;
  SetState& global = sets_.at(kGlobalProcessSet);
  std::unique_ptr<AllreduceStrategy> next;
  if (auto it = idle_strategies_.find(candidate.allreduce); it != idle_strategies_.end()) {
    next = std::move(it->second);
    idle_strategies_.erase(it);
  } else {
    Config c = config_;
    c.allreduce = candidate.allreduce;
    next = make_allreduce_strategy(c, *global.comm);  // collective: every rank is here
  }
  idle_strategies_[global_allreduce_] = std::move(global.allreduce);
  global.allreduce = std::move(next);
  global.executor = std::make_unique<Executor>(*global.comm, *global.allreduce, *global.allgather, fusion_,
                                               scratch_, counters_);
  global_allreduce_ = candidate.allreduce;
}

void Engine::publish_tuned_parameters(AutotuneState state, std::size_t trials) {
  std::lock_guard<std::mutex> lock(mutex_);
  tuned_.fusion_threshold_bytes = fusion_threshold_;
  tuned_.cycle_time = schedule_.cycle();
  tuned_.allreduce = global_allreduce_;
  tuned_.state = state;
  tuned_.trials = trials;
}

TunedParameters Engine::tuned_parameters() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return tuned_;
}

Counters Engine::counters() const {
  Counters c;
  c.rounds = counters_.rounds.load(std::memory_order_relaxed);
  c.coordinator_rounds = counters_.coordinator_rounds.load(std::memory_order_relaxed);
  c.cache_hits = counters_.cache_hits.load(std::memory_order_relaxed);
  c.cache_misses = counters_.cache_misses.load(std::memory_order_relaxed);
  c.collectives = counters_.collectives.load(std::memory_order_relaxed);
  c.tensors = counters_.tensors.load(std::memory_order_relaxed);
  c.fused_tensors = counters_.fused_tensors.load(std::memory_order_relaxed);
  c.bytes_fused = counters_.bytes_fused.load(std::memory_order_relaxed);
  c.errors = counters_.errors.load(std::memory_order_relaxed);
  c.stall_warnings = counters_.stall_warnings.load(std::memory_order_relaxed);
  return c;
}

std::string Engine::last_stall_report() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_stall_report_;
}

bool Engine::is_shut_down() const noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  return stopped_;
}

ProcessSetInfo Engine::process_set(ProcessSetId id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = queues_.find(id);
  if (it == queues_.end()) {
    throw Error(ErrorKind::invalid_argument, "there is no process set " + std::to_string(id));
  }
  return ProcessSetInfo{id, it->second.ranks, it->second.rank};
}

}  // namespace ringtail::core::detail
