#pragma once
// The engine behind core::Runtime: the queues framework threads fill, the one
// background thread, and the process sets it negotiates and runs.
//
// Threads and ownership:
//   - enqueuing threads touch only what `mutex_` guards: the per-set queues,
//     the names in flight, the flags below;
//   - the background thread owns everything else (controllers, caches,
//     communicators, fusion buffers) and takes `mutex_` briefly to drain the
//     queues, to retire names, and to sleep on `wake_`;
//   - handles are completed by the background thread, after the names they
//     carried were retired (so a caller may resubmit a name as soon as wait()
//     returns).

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "allgather_strategy.h"
#include "allreduce_strategy.h"
#include "autotune_session.h"
#include "controller.h"
#include "executor.h"
#include "failure.h"
#include "fusion_buffer.h"
#include "ringtail/collectives/communicator.h"
#include "ringtail/core/config.h"
#include "ringtail/core/counters.h"
#include "ringtail/core/handle.h"
#include "ringtail/core/runtime.h"
#include "ringtail/core/tuned_parameters.h"
#include "timeline.h"
#include "wake_schedule.h"

namespace ringtail::core::detail {

class Engine {
 public:
  using Clock = std::chrono::steady_clock;

  Engine(const Config& config, std::unique_ptr<coll::Communicator> world);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  int rank() const noexcept { return rank_; }
  int size() const noexcept { return size_; }
  const Config& config() const noexcept { return config_; }

  std::vector<Handle> enqueue(std::vector<Operation> operations);
  Handle join(ProcessSetId set);
  Handle add_process_set(std::vector<int> ranks);
  Handle remove_process_set(ProcessSetId id);
  ProcessSetInfo process_set(ProcessSetId id) const;

  Counters counters() const;
  TunedParameters tuned_parameters() const;
  std::string last_stall_report() const;
  void shutdown() noexcept;
  bool is_shut_down() const noexcept;

 private:
  // What enqueuing threads see of a process set (under mutex_).
  struct SetQueue {
    std::vector<int> ranks;  // world ranks
    int rank = -1;           // this process's rank in the set; -1: not a member
    std::vector<std::unique_ptr<Submission>> incoming;
    std::unordered_set<std::string> in_flight;
    bool joining = false;
  };
  // What the background thread owns of a process set.
  struct SetState {
    std::unique_ptr<coll::Communicator> comm;  // null: not a member
    std::unique_ptr<AllreduceStrategy> allreduce;
    std::unique_ptr<AllgatherStrategy> allgather;
    std::unique_ptr<Controller> controller;
    std::unique_ptr<Executor> executor;
  };

  void check_agreement(coll::Communicator& world, std::exception_ptr local_failure);
  SetState make_set(std::unique_ptr<coll::Communicator> comm, std::vector<int> ranks,
                    std::unique_ptr<AllreduceStrategy> allreduce);
  // Under mutex_: the checks that need the set (membership, root, splits, names).
  void admit(const Submission& s, const std::unordered_set<std::string>& also_in_flight) const;
  Handle submit_control(std::unique_ptr<Submission> s, ProcessSetId set);

  // Autotuning (autotune_session.h), on the background thread, before the
  // global set's round runs.
  void tune(const Round& round);
  void apply(const TuningCandidate& candidate);
  void publish_tuned_parameters(AutotuneState state, std::size_t trials);

  void loop();
  void wait_for_round();
  bool iterate();  // false once the engine must stop
  bool run_round(ProcessSetId id, SetState& set, Round& round);
  void complete_items(ProcessSetId id, SetState& set, std::vector<RoundItem>& items,
                      const std::vector<std::size_t>& indices);
  void run_add_process_set(RoundItem& item);
  void run_remove_process_set(RoundItem& item);
  void request_stall_shutdown(const std::string& message);
  void stop(const Failure& reason) noexcept;

  const Config config_;
  const int rank_;
  const int size_;
  const coll::MemoryKind memory_;  // where the world communicator's buffers live
  const std::string backend_;
  const Clock::time_point origin_;
  EngineCounters counters_;

  // Shared with enqueuing threads.
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<ProcessSetId, SetQueue> queues_;
  bool has_new_work_ = false;
  bool wake_on_work_ = false;  // the background thread sleeps until work arrives
  bool shutdown_requested_ = false;
  bool stopped_ = false;
  std::optional<Failure> stop_reason_;
  std::string last_stall_report_;
  TunedParameters tuned_;

  // Background thread only (and the constructor, before it starts).
  std::map<ProcessSetId, SetState> sets_;
  ProcessSetId next_set_id_ = 1;
  FusionBuffer fusion_;
  FusionBuffer scratch_;
  WakeSchedule schedule_;
  // What the autotuner may change (the configured values without it). The
  // fusion threshold applies to every process set; the algorithm to the global
  // set, whose strategies tried so far wait in idle_strategies_ until tuning ends.
  std::size_t fusion_threshold_;
  AllreduceAlgorithm global_allreduce_;
  std::unique_ptr<AutotuneSession> autotune_;  // null: autotuning off or done
  std::map<AllreduceAlgorithm, std::unique_ptr<AllreduceStrategy>> idle_strategies_;
  std::unique_ptr<Timeline> timeline_;
  std::vector<Timeline::Span> spans_;
  std::optional<Failure> shutdown_message_;
  bool stall_shutdown_requested_ = false;

  std::thread thread_;
  // shutdown() may be called from several threads at once (a signal-handling
  // thread beside the destructor): one joins, the others wait for that join
  // (two concurrent std::thread::join calls hang forever). The background
  // thread's id lets a completion callback call shutdown() without waiting
  // for itself.
  std::mutex join_mutex_;
  std::thread::id loop_id_;
};

}  // namespace ringtail::core::detail
