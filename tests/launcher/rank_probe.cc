// ringtail_launcher_probe: a rank program for the launcher's end-to-end tests
// that needs neither MPI nor the Gloo backend. It reads core::Config like every
// ringtail program, meets the other ranks at the rendezvous server, and checks
// what the launcher gave it.
//
//   --scan-for-secret        once every rank is up, look for the rendezvous
//                            secret in every process's command line (what ps
//                            shows); exit 10 if it is there
//   --write-secret-to FILE   rank 0 writes the secret to FILE (the test then
//                            checks the launcher's own output for it)
//   --wrong-secret           also connect with a wrong secret; exit 11 if that
//                            is not refused
//   --exit-code-on-rank R:C  rank R exits with C without meeting the others
//   --spawn-escaping-child   start a child in its own session (sleep 300), as a
//                            rank that leaks a process would

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "ringtail/collectives/error.h"
#include "ringtail/core/config.h"
#include "ringtail/rendezvous/client.h"

namespace {

using namespace ringtail;

// The pid of a process whose command line holds `secret`, or 0.
pid_t find_on_command_lines(const std::string& secret) {
  DIR* dir = opendir("/proc");
  pid_t found = 0;
  while (const dirent* e = dir != nullptr ? readdir(dir) : nullptr) {
    const std::string name = e->d_name;
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in("/proc/" + name + "/cmdline", std::ios::binary);
    const std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(secret) != std::string::npos) {
      found = static_cast<pid_t>(std::stol(name));
      break;
    }
  }
  if (dir != nullptr) closedir(dir);
  return found;
}

void meet(rendezvous::Client& client, const std::string& stage, int rank, int size) {
  client.set(stage + "/" + std::to_string(rank), std::vector<char>{'1'});
  std::vector<std::string> keys;
  for (int r = 0; r < size; ++r) keys.push_back(stage + "/" + std::to_string(r));
  client.wait(keys, std::chrono::seconds(60));
}

}  // namespace

int main(int argc, char** argv) {
  try {
    bool scan = false;
    bool wrong_secret = false;
    bool escaping_child = false;
    std::string secret_file;
    int fail_rank = -1;
    int fail_code = 0;
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--scan-for-secret") {
        scan = true;
      } else if (arg == "--wrong-secret") {
        wrong_secret = true;
      } else if (arg == "--spawn-escaping-child") {
        escaping_child = true;
      } else if (arg == "--write-secret-to" && i + 1 < argc) {
        secret_file = argv[++i];
      } else if (arg == "--exit-code-on-rank" && i + 1 < argc) {
        const std::string v = argv[++i];
        fail_rank = std::stoi(v.substr(0, v.find(':')));
        fail_code = std::stoi(v.substr(v.find(':') + 1));
      } else {
        std::fprintf(stderr, "probe: unknown argument %s\n", arg.c_str());
        return 2;
      }
    }
    const core::Config config = core::Config::from_environment();
    const auto& world = config.world;
    if (escaping_child && fork() == 0) {
      setsid();
      execlp("sleep", "sleep", "300", static_cast<char*>(nullptr));
      _exit(127);
    }
    if (world.rank == fail_rank) {
      std::fprintf(stderr, "probe rank %d exiting with code %d as asked\n", world.rank, fail_code);
      std::fflush(stderr);
      return fail_code;
    }
    const rendezvous::Endpoint where = rendezvous::parse_endpoint(world.store_address);
    rendezvous::Client client(where.host, where.port, world.store_secret, std::chrono::seconds(60));
    client.set("host/" + std::to_string(world.rank),
               std::vector<char>(world.hostname.begin(), world.hostname.end()));
    meet(client, "up", world.rank, world.size);
    int code = 0;
    if (scan) {
      if (const pid_t pid = find_on_command_lines(world.store_secret)) {
        std::fprintf(stderr, "probe rank %d: the secret is on the command line of pid %d\n", world.rank, pid);
        code = 10;
      }
    }
    if (wrong_secret) {
      try {
        rendezvous::Client intruder(where.host, where.port, world.store_secret + "x", std::chrono::seconds(10));
        std::fprintf(stderr, "probe rank %d: a wrong secret was accepted\n", world.rank);
        code = 11;
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::invalid_argument) code = 11;
      }
    }
    if (world.rank == 0 && !secret_file.empty()) {
      std::ofstream(secret_file) << world.store_secret;
    }
    meet(client, "done", world.rank, world.size);  // nobody leaves while others scan
    std::printf("probe rank %d of %d on %s (job %s, gloo interface %s): %s\n", world.rank, world.size,
                world.hostname.c_str(), world.store_prefix.c_str(), world.gloo_interface.c_str(),
                code == 0 ? "ok" : "FAILED");
    return code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "probe: %s\n", e.what());
    return 1;
  }
}
