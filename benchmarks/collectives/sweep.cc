#include "sweep.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>

namespace ringtail::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Page-aligned buffers, touched once so page faults stay out of the timings.
struct Buffer {
  explicit Buffer(std::size_t bytes) : data(static_cast<char*>(std::aligned_alloc(4096, round(bytes)))) {
    if (data == nullptr) throw std::bad_alloc();
    std::memset(data, 0, round(bytes));
  }
  ~Buffer() { std::free(data); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  static std::size_t round(std::size_t b) { return std::max<std::size_t>(4096, (b + 4095) / 4096 * 4096); }
  char* data;
};

// Every rank must agree on whether a contender runs, or the ones that run wait
// forever for the ones that do not.
bool all_agree(Environment& env, bool ok) {
  int mine = ok ? 1 : 0;
  int all = 0;
  MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, env.mpi());
  return all == 1;
}

}  // namespace

std::vector<std::size_t> sweep_sizes(const Options& o) {
  std::vector<std::size_t> sizes;
  for (double b = static_cast<double>(o.min_bytes); b <= static_cast<double>(o.max_bytes) * 1.0000001;
       b *= o.factor) {
    sizes.push_back(static_cast<std::size_t>(std::llround(b)));
  }
  return sizes;
}

std::vector<Row> sweep(Collective op, Contenders& contenders, Environment& env,
                       const std::function<void(Row&)>& on_row) {
  const Options& o = env.options();
  const std::vector<std::size_t> sizes = sweep_sizes(o);
  const Shape largest = Shape::make(op, sizes.back(), env.size(), o.type, o.reduce);
  const std::size_t esize = coll::size_of(o.type);
  Buffer send(largest.send_elems * esize);
  Buffer recv(largest.recv_elems * esize);
  std::vector<Row> rows;

  for (std::size_t bytes : sizes) {
    const Shape shape = Shape::make(op, bytes, env.size(), o.type, o.reduce);
    Call call{&shape, env.rank(), send.data, recv.data};
    // The input every call sees; in-place contenders get it in recv.
    auto load_input = [&](const Contender& c) {
      if (op == Collective::broadcast) {
        if (env.rank() == 0) fill_input(shape, 0, recv.data);
        else std::memset(recv.data, 0, shape.recv_elems * esize);
        return;
      }
      fill_input(shape, env.rank(), c.in_place() ? recv.data : send.data);
    };

    // Rounds interleave the contenders (a, b, c, a, b, c, ...) so load from
    // other processes on a shared machine falls on all of them alike; each
    // row reports the median round.
    std::vector<Row> size_rows(contenders.size());
    std::vector<std::vector<double>> round_seconds(contenders.size());
    for (int round = 0; round < o.rounds; ++round) {
      const bool last = round + 1 == o.rounds;
      for (std::size_t k = 0; k < contenders.size(); ++k) {
        Contender& contender = *contenders[k];
        Row& row = size_rows[k];
        if (round == 0) {
          row.contender = contender.name();
          row.ringtail = contender.is_ringtail();
          row.shape = shape;
          row.skipped = contender.unsupported(shape);
          if (!all_agree(env, row.skipped.empty()) && row.skipped.empty()) {
            row.skipped = "another rank cannot run it";
          }
        }
        if (!row.skipped.empty()) continue;
        std::string failure;
        try {
          contender.prepare(call);
        } catch (const std::exception& e) {
          failure = e.what();
        }
        if (!all_agree(env, failure.empty())) {
          row.skipped = failure.empty() ? "failed on another rank" : "failed: " + failure;
          contender.release();
          continue;
        }

        load_input(contender);
        for (int i = 0; i < o.warmup; ++i) contender.run(call);
        if (round == 0) {
          // One timed call decides how many fit in the budget (the same on
          // every rank: the slowest rank's time).
          env.barrier();
          const auto start = Clock::now();
          contender.run(call);
          const double first =
              env.max_over_ranks(std::chrono::duration<double>(Clock::now() - start).count());
          row.iterations = o.iterations;
          if (o.budget_seconds > 0 && first > 0) {
            row.iterations = std::clamp(static_cast<int>(o.budget_seconds / o.rounds / first), 1,
                                        o.iterations);
          }
        }
        env.barrier();
        const auto start = Clock::now();
        for (int i = 0; i < row.iterations; ++i) contender.run(call);
        const double mine = std::chrono::duration<double>(Clock::now() - start).count() / row.iterations;
        round_seconds[k].push_back(env.max_over_ranks(mine));

        if (last && o.check) {
          load_input(contender);
          contender.run(call);
          const double wrong = static_cast<double>(count_wrong(shape, env.rank(), recv.data));
          row.wrong = static_cast<long long>(env.sum_over_ranks(wrong));
        }
        contender.release();
      }
    }
    for (std::size_t k = 0; k < contenders.size(); ++k) {
      Row& row = size_rows[k];
      if (row.skipped.empty()) {
        std::vector<double>& t = round_seconds[k];
        std::sort(t.begin(), t.end());
        row.seconds = t[t.size() / 2];
        row.algbw = static_cast<double>(shape.bytes) / row.seconds;
        row.busbw = row.algbw * shape.bus_factor();
      }
      on_row(row);
      rows.push_back(row);
    }
  }
  return rows;
}

}  // namespace ringtail::bench
