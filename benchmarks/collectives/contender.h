#pragma once
// One implementation of one collective that ringtail-bench times: a ringtail
// algorithm on some backend, or a peer (Open MPI's own collective, one of
// Gloo's algorithms) called directly. The sweep gives every contender the same
// buffers, sizes, warm-up, iterations and correctness check.

#include <memory>
#include <string>
#include <vector>

#include "collective.h"

namespace ringtail::bench {

struct Call {
  const Shape* shape = nullptr;
  int rank = 0;
  void* send = nullptr;  // shape->send_elems elements
  void* recv = nullptr;  // shape->recv_elems elements
};

class Contender {
 public:
  virtual ~Contender() = default;
  // For example "ringtail/mpi/ring", "mpi/MPI_Allreduce", "gloo/halving-doubling".
  virtual std::string name() const = 0;
  // True for ringtail's own rows, false for peers (the summary compares the two).
  virtual bool is_ringtail() const = 0;
  virtual Collective op() const = 0;
  // Works on recv only, which holds the input before the call (Gloo's algorithms;
  // broadcast for everyone).
  virtual bool in_place() const { return false; }
  // Why this contender cannot run `shape` (empty when it can): a dtype MPI lacks,
  // an op Gloo lacks.
  virtual std::string unsupported(const Shape&) const { return {}; }
  // Untimed, once per size (Gloo binds its algorithms to buffers here).
  virtual void prepare(const Call&) {}
  // The timed call.
  virtual void run(const Call& call) = 0;
  // After the size is done: drop what prepare() built.
  virtual void release() {}
};

using Contenders = std::vector<std::unique_ptr<Contender>>;

}  // namespace ringtail::bench
