#include "ringtail/launcher/launch.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>

#include "ringtail/collectives/error.h"
#include "ringtail/launcher/gloo_ranks.h"
#include "ringtail/launcher/layout.h"
#include "ringtail/launcher/mpirun_command.h"
#include "ringtail/launcher/shell.h"
#include "ringtail/launcher/start_check.h"
#include "ringtail/launcher/supervisor.h"
#include "ringtail/rendezvous/hmac.h"
#include "ringtail/rendezvous/server.h"

namespace ringtail::launcher {
namespace {

constexpr std::size_t kSecretBytes = 32;

struct Job {
  LaunchOptions options;
  std::map<std::string, std::string> environment;
  LocalMachine local;
  Layout layout;
  Mode mode = Mode::mpi;
  EnvList variables;  // framework + network + -x VAR=VALUE
  ForwardedVariables forwarded;
};

std::string host_port(const std::string& host, const std::string& port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
}

// Variables remote ranks need from here: where programs and libraries are.
std::vector<std::string> path_variables(const Job& job) {
  std::vector<std::string> names;
  if (job.layout.all_local) return names;
  for (const std::string name : {"PATH", "LD_LIBRARY_PATH"}) {
    const auto& by_name = job.forwarded.by_name;
    const bool forwarded = std::find(by_name.begin(), by_name.end(), name) != by_name.end() ||
                           std::any_of(job.variables.begin(), job.variables.end(),
                                       [&](const auto& kv) { return kv.first == name; });
    if (job.environment.count(name) && !forwarded) names.push_back(name);
  }
  return names;
}

// The address the rendezvous server listens on, which every rank must reach.
std::string rendezvous_bind_address(const Job& job) {
  if (!job.options.network_interface.empty()) return interface_address(job.options.network_interface);
  if (job.layout.all_local) return "127.0.0.1";
  for (const auto* h : job.layout.used_hosts()) {
    if (h->local && is_ip_address(h->name)) return h->name;
  }
  for (const auto& address : resolve_host(job.local.hostname)) {
    if (!is_loopback_address(address) && address.find(':') == std::string::npos) return address;
  }
  throw Error(ErrorKind::invalid_argument,
              "cannot tell which address of this machine the other hosts reach (" + job.local.hostname +
                  " resolves to no external IPv4 address); pass --network-interface IFACE");
}

std::string rank_label(const RankLaunch& r) {
  return "rank " + std::to_string(r.rank) + " on " + r.host->name;
}

void print_failure(const ChildExit& exit, bool remote) {
  std::string hint;
  if (remote && exit.code == 255) {
    hint = " (255 is ssh's code for a failed connection or login: check that 'ssh HOST true' works "
           "without a password)";
  }
  std::fprintf(stderr, "ringtail-run: %s %s %d%s; ending the job\n", exit.label.c_str(),
               exit.signal ? "was killed by signal" : "exited with code", exit.signal ? exit.signal : exit.code,
               hint.c_str());
}

int run_mpi(const Job& job, std::FILE* out) {
  MpirunInputs in;
  in.mpirun = job.options.mpirun;
  in.running_as_root = geteuid() == 0;
  in.oversubscribe = job.options.oversubscribe;
  in.network_interface = job.options.network_interface;
  in.rsh_agent = job.options.rsh_agent;
  in.ssh_port = job.options.ssh_port;
  in.ssh_identity_file = job.options.ssh_identity_file;
  in.mpi_args = split_shell_words(job.options.mpi_args, "--mpi-args");
  in.variables = job.variables;
  in.forward_by_name = job.forwarded.by_name;
  for (const auto& name : path_variables(job)) in.forward_by_name.push_back(name);
  in.command = job.options.command;

  // --backend gloo under mpirun still needs the rendezvous; MPI gives the ranks.
  const bool rendezvous = job.options.framework.backend.value_or("") == "gloo";
  std::string bind;
  if (rendezvous) {
    bind = rendezvous_bind_address(job);
    in.variables.emplace_back("RINGTAIL_RENDEZVOUS_ADDR", host_port(bind, job.options.dry_run ? "PORT" : "0"));
    in.variables.emplace_back("RINGTAIL_JOB_ID", "JOB");
    // One value for every rank (mpirun -x): the interface, or loopback for a
    // job on this machine alone.
    if (!job.options.network_interface.empty()) {
      in.variables.emplace_back("RINGTAIL_GLOO_IFACE", job.options.network_interface);
    } else if (job.layout.all_local) {
      in.variables.emplace_back("RINGTAIL_GLOO_IFACE", "127.0.0.1");
    }
    in.forward_by_name.push_back("RINGTAIL_RENDEZVOUS_SECRET");  // by name: never on the command line
  }
  if (job.options.dry_run) {
    std::fprintf(out, "%s\n", shell_join(build_mpirun_command(job.layout, in)).c_str());
    return 0;
  }

  Supervisor supervisor;  // before the server's threads start: it blocks signals
  std::unique_ptr<rendezvous::Server> server;
  EnvList child_environment;
  if (rendezvous) {
    const std::string secret = rendezvous::random_hex(kSecretBytes);
    server = std::make_unique<rendezvous::Server>(bind, 0, secret);
    for (auto& [name, value] : in.variables) {
      if (name == "RINGTAIL_RENDEZVOUS_ADDR") value = host_port(bind, std::to_string(server->port()));
      if (name == "RINGTAIL_JOB_ID") value = "ringtail-" + rendezvous::random_hex(6);
    }
    child_environment.emplace_back("RINGTAIL_RENDEZVOUS_SECRET", secret);
  }
  const std::vector<std::string> command = build_mpirun_command(job.layout, in);
  if (job.options.verbose) std::fprintf(stderr, "ringtail-run: %s\n", shell_join(command).c_str());
  supervisor.spawn({command, child_environment, "", "mpirun"});
  SupervisorPolicy policy;
  policy.on_failure = [](const ChildExit& exit) {
    std::fprintf(stderr, "ringtail-run: the job failed: mpirun %s %d\n",
                 exit.signal ? "was killed by signal" : "exited with code", exit.signal ? exit.signal : exit.code);
  };
  return supervisor.run(policy);
}

int run_gloo(const Job& job, std::FILE* out) {
  const std::string bind = rendezvous_bind_address(job);
  GlooInputs in;
  in.job_id = "ringtail-" + rendezvous::random_hex(6);
  in.variables = job.variables;
  for (const auto& name : path_variables(job)) in.remote_variables.emplace_back(name, job.environment.at(name));
  for (const auto& name : job.forwarded.by_name) in.remote_variables.emplace_back(name, job.environment.at(name));
  in.network_interface = job.options.network_interface;
  in.remote_shell = remote_shell_words(job.options.rsh_agent, job.options.ssh_port, job.options.ssh_identity_file);
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd) != nullptr) in.working_directory = cwd;
  in.command = job.options.command;

  if (job.options.dry_run) {
    in.rendezvous_address = host_port(bind, "PORT");
    std::fprintf(out,
                 "# rendezvous server on %s; RINGTAIL_RENDEZVOUS_SECRET, made fresh for the job, goes into\n"
                 "# each local rank's environment and onto each remote rank's standard input\n",
                 in.rendezvous_address.c_str());
    for (const auto& r : plan_gloo_ranks(job.layout, in)) {
      std::string line = "# " + rank_label(r) + "\n";
      if (!r.remote) {
        std::vector<std::string> words;
        for (const auto& [name, value] : r.environment) words.push_back(name + "=" + value);
        words.insert(words.end(), r.argv.begin(), r.argv.end());
        line += shell_join(words);
      } else {
        line += shell_join(r.argv);
      }
      std::fprintf(out, "%s\n", line.c_str());
    }
    return 0;
  }

  Supervisor supervisor;  // before the server's threads start: it blocks signals
  const std::string secret = rendezvous::random_hex(kSecretBytes);
  rendezvous::Server server(bind, 0, secret);
  in.rendezvous_address = host_port(bind, std::to_string(server.port()));
  const std::vector<RankLaunch> ranks = plan_gloo_ranks(job.layout, in);

  StartCheckInputs check;
  check.local = job.local;
  std::map<pid_t, const RankLaunch*> by_pid;
  for (const auto& r : ranks) {
    SpawnSpec spec;
    spec.argv = r.argv;
    spec.label = rank_label(r);
    if (r.remote) {
      spec.stdin_text = secret + "\n";
    } else {
      spec.environment = r.environment;
      spec.environment.emplace_back("RINGTAIL_RENDEZVOUS_SECRET", secret);
    }
    if (job.options.verbose) std::fprintf(stderr, "ringtail-run: %s: %s\n", spec.label.c_str(), shell_join(r.argv).c_str());
    const pid_t pid = supervisor.spawn(spec);
    by_pid[pid] = &r;
    if (!r.remote) check.local_pids[r.host->name].push_back(pid);
  }

  SupervisorPolicy policy;
  policy.on_failure = [&](const ChildExit& exit) {
    const auto it = by_pid.find(exit.pid);
    print_failure(exit, it != by_pid.end() && it->second->remote);
  };
  const double timeout = job.options.start_timeout_seconds;
  if (timeout > 0) {
    policy.start_deadline = std::chrono::steady_clock::now() +
                            std::chrono::milliseconds(static_cast<long long>(timeout * 1000));
    policy.at_start_deadline = [&] {
      for (const auto* h : job.layout.used_hosts()) {
        if (!h->local) check.addresses[h->name] = resolve_host(h->name);
      }
      const auto missing = missing_ranks(job.layout, server.peers(), check);
      if (missing.empty()) return true;
      std::fprintf(stderr,
                   "ringtail-run: after %g s, not every rank has reached the rendezvous server at %s.\n"
                   "  Hosts with missing ranks: %s.\n"
                   "  Check that those hosts can reach this address (--network-interface), that ssh to them\n"
                   "  works, and that the program creates its ringtail world; or raise --start-timeout.\n",
                   timeout, in.rendezvous_address.c_str(), describe_missing(missing).c_str());
      return false;
    };
  }
  const int code = supervisor.run(policy);
  if (server.refused_requests() > 0) {
    std::fprintf(stderr, "ringtail-run: the rendezvous server refused %llu unauthenticated requests\n",
                 static_cast<unsigned long long>(server.refused_requests()));
  }
  return code;
}

}  // namespace

int launch(const LaunchOptions& options, std::FILE* out) {
  Job job;
  job.options = options;
  job.environment = current_environment();
  job.local = detect_local_machine();
  job.mode = options.gloo ? Mode::gloo : Mode::mpi;
  std::vector<HostSpec> hosts;
  if (options.hosts) hosts = parse_host_list(*options.hosts);
  if (options.hostfile) hosts = read_hostfile(*options.hostfile);
  LayoutRequest request;
  request.np = options.np;
  request.oversubscribe = options.oversubscribe;
  request.allreduce_given = options.framework.allreduce.has_value();
  request.default_instance = options.instance;
  request.under_mpirun = !options.gloo;
  job.layout = plan_layout(hosts, request, job.local);
  job.variables = framework_environment(options.framework, job.mode, job.layout);
  const EnvList network = network_environment(job.layout, options.network_interface);
  job.variables.insert(job.variables.end(), network.begin(), network.end());
  job.forwarded = parse_forwarded(options.forward, job.environment);
  EnvList launcher_variables = job.variables;
  if (!options.network_interface.empty()) {
    launcher_variables.emplace_back("RINGTAIL_GLOO_IFACE", options.network_interface);
  }
  check_forwarded_against(job.forwarded, launcher_variables);
  job.variables.insert(job.variables.end(), job.forwarded.assignments.begin(), job.forwarded.assignments.end());

  if (options.verbose || options.dry_run || job.layout.used_hosts().size() > 1) {
    std::fputs(describe_layout(job.layout).c_str(), stderr);
  }
  return job.mode == Mode::gloo ? run_gloo(job, out) : run_mpi(job, out);
}

}  // namespace ringtail::launcher
