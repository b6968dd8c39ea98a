#pragma once
// What a backend needs to build the world communicator. Filled by
// core::Config::from_environment() (the one place that reads RINGTAIL_*
// variables) or directly by tests and embedding programs.

#include <chrono>
#include <string>

namespace ringtail::coll {

struct WorldOptions {
  std::string backend = "mpi";  // a name in the backend registry

  // This process's rank and the world size. The "mpi" backend takes them from
  // MPI and checks them when set; "gloo" needs them (ringtail-run sets them).
  int rank = -1;
  int size = -1;

  // Every blocking operation fails with ErrorKind::timeout after this long
  // without progress (gloo; MPI has no timeouts).
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};

  // Host name for the topology; empty means gethostname().
  std::string hostname;

  // Gloo rendezvous: a directory on a shared file system, or the address
  // (host:port) of a ringtail rendezvous server with its HMAC secret.
  std::string file_store_path;
  std::string store_address;
  std::string store_secret;
  std::string store_prefix = "ringtail";  // separates jobs sharing one store
  // Interface name (eth0) or address gloo listens on; empty means the host name's
  // address, or loopback when that does not resolve.
  std::string gloo_interface;

  // NCCL: the host backend that distributes the NCCL unique id, and the CUDA
  // device (-1 means the local rank).
  std::string nccl_bootstrap = "mpi";
  int cuda_device = -1;

  // Check counts, dtypes, ops and roots across ranks on every call.
  bool check_across_ranks = false;
};

}  // namespace ringtail::coll
