#include "ringtail/launcher/options.h"

#include <boost/program_options.hpp>
#include <sstream>

#include "ringtail/collectives/error.h"

namespace po = boost::program_options;

namespace ringtail::launcher {
namespace {

[[noreturn]] void bad(const std::string& what) { throw Error(ErrorKind::invalid_argument, what); }

constexpr double kMaxStartTimeoutSeconds = 7 * 24 * 3600;  // a week; 0 already means no limit

po::options_description describe_options() {
  po::options_description job("Job");
  job.add_options()
      ("help,h", "print this help")
      ("np", po::value<int>()->value_name("N"), "number of ranks (-np N); default: the slots of the hosts")
      ("hosts,H", po::value<std::string>()->value_name("LIST"), "hosts as host[:slots],... (default: localhost)")
      ("hostfile", po::value<std::string>()->value_name("FILE"),
       "hosts, one per line: 'host slots=N' or 'host instance=TYPE'")
      ("instance", po::value<std::string>()->value_name("TYPE"),
       "instance type of hosts that name none (p3.2xlarge ... p4de.24xlarge)")
      ("list-instances", "print the instance presets and exit")
      ("network-interface", po::value<std::string>()->value_name("IFACE"),
       "interface for MPI, NCCL and Gloo traffic and the rendezvous (eth0, ens5)")
      ("gloo", "start the ranks without MPI (locally and over ssh) with a rendezvous server")
      ("oversubscribe", "allow more ranks than slots on several hosts")
      ("start-timeout", po::value<double>()->value_name("SECONDS"),
       "Gloo mode: how long every rank may take to reach the rendezvous (default 60; 0: no limit)")
      ("mpi-args", po::value<std::string>()->value_name("\"ARGS\""), "extra arguments for mpirun")
      ("mpirun", po::value<std::string>()->value_name("PATH"), "the mpirun to run (default: mpirun)")
      (",x", po::value<std::vector<std::string>>()->composing()->value_name("VAR[=VALUE]"),
       "forward an environment variable to every rank (repeatable)")
      ("rsh-agent", po::value<std::string>()->value_name("COMMAND"),
       "run this instead of ssh to start processes on other hosts (it gets: host command)")
      ("ssh-port", po::value<int>()->value_name("PORT"), "ssh port of the other hosts")
      ("ssh-identity-file", po::value<std::string>()->value_name("FILE"), "ssh private key for the other hosts")
      ("dry-run", "print the layout and the exact command, and run nothing")
      ("verbose,v", "print the layout and the command before running");
  po::options_description framework("Framework (each becomes a RINGTAIL_* variable of every rank)");
  framework.add_options()
      ("backend", po::value<std::string>()->value_name("NAME"), "collectives backend: mpi, gloo or nccl")
      ("allreduce", po::value<std::string>()->value_name("ALGO"), "ring, hierarchical, shm, native or auto")
      ("fusion-threshold-mb", po::value<double>()->value_name("MB"), "tensor fusion buffer in MiB (0: off)")
      ("cycle-time-ms", po::value<double>()->value_name("MS"), "how long the engine batches requests")
      ("cache-capacity", po::value<long long>()->value_name("N"), "response cache entries (0: automatic)")
      ("timeline", po::value<std::string>()->value_name("FILE"), "write a Chrome trace of rank 0 to FILE")
      ("stall-check-seconds", po::value<double>()->value_name("S"), "warn about a tensor stalled this long")
      ("stall-shutdown-seconds", po::value<double>()->value_name("S"), "end the job on a stall this long")
      ("log-level", po::value<std::string>()->value_name("LEVEL"), "trace, debug, info, warning, error or off")
      ("autotune", "tune fusion threshold, cycle time and algorithm during the first steps")
      ("autotune-log", po::value<std::string>()->value_name("FILE"), "CSV file of the autotuner's trials");
  po::options_description all;
  all.add(job).add(framework);
  return all;
}

// Whether `arg` (an option word) consumes the next word as its value.
bool takes_separate_value(const po::options_description& desc, const std::string& arg) {
  if (arg.find('=') != std::string::npos && arg.rfind("--", 0) == 0) return false;
  if (arg.rfind("--", 0) != 0 && arg.size() > 2) return false;  // -xVAR: value attached
  const std::string name = arg.rfind("--", 0) == 0 ? arg.substr(2) : arg.substr(1);
  const po::option_description* d = desc.find_nothrow(name, false, false, false);
  if (d == nullptr && arg.rfind("--", 0) != 0) {
    // A short option is registered under its one-letter name.
    for (const auto& option : desc.options()) {
      if (option->canonical_display_name(po::command_line_style::allow_dash_for_short) == arg) {
        d = option.get();
        break;
      }
    }
  }
  return d != nullptr && d->semantic()->max_tokens() > 0;
}

// Splits the words into the launcher's and the program's.
void split_program(const po::options_description& desc, const std::vector<std::string>& args,
                   std::vector<std::string>* launcher, std::vector<std::string>* program) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "--") {
      program->assign(args.begin() + static_cast<long>(i) + 1, args.end());
      return;
    }
    if (arg.empty() || arg[0] != '-' || arg == "-") {
      program->assign(args.begin() + static_cast<long>(i), args.end());
      return;
    }
    if (arg == "-np") arg = "--np";  // mpirun and horovodrun spell it with one dash
    launcher->push_back(arg);
    if (takes_separate_value(desc, arg) && i + 1 < args.size()) launcher->push_back(args[++i]);
  }
}

template <typename T>
std::optional<T> optional_value(const po::variables_map& vm, const char* name) {
  if (vm.count(name) == 0) return std::nullopt;
  return vm[name].as<T>();
}

}  // namespace

LaunchOptions parse_command_line(const std::vector<std::string>& args) {
  const po::options_description desc = describe_options();
  std::vector<std::string> launcher_words;
  std::vector<std::string> program;
  split_program(desc, args, &launcher_words, &program);

  po::variables_map vm;
  try {
    const int style = po::command_line_style::unix_style & ~po::command_line_style::allow_guessing;
    po::store(po::command_line_parser(launcher_words).options(desc).style(style).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    bad(std::string(e.what()) + " (ringtail-run --help lists the options)");
  }

  LaunchOptions o;
  o.help = vm.count("help") != 0;
  o.list_instances = vm.count("list-instances") != 0;
  o.np = optional_value<int>(vm, "np");
  o.hosts = optional_value<std::string>(vm, "hosts");
  o.hostfile = optional_value<std::string>(vm, "hostfile");
  o.instance = optional_value<std::string>(vm, "instance").value_or("");
  o.network_interface = optional_value<std::string>(vm, "network-interface").value_or("");
  o.gloo = vm.count("gloo") != 0;
  o.oversubscribe = vm.count("oversubscribe") != 0;
  o.dry_run = vm.count("dry-run") != 0;
  o.verbose = vm.count("verbose") != 0;
  o.mpi_args = optional_value<std::string>(vm, "mpi-args").value_or("");
  o.mpirun = optional_value<std::string>(vm, "mpirun").value_or("mpirun");
  o.forward = optional_value<std::vector<std::string>>(vm, "-x").value_or(std::vector<std::string>{});
  o.start_timeout_seconds = optional_value<double>(vm, "start-timeout").value_or(60.0);
  o.rsh_agent = optional_value<std::string>(vm, "rsh-agent").value_or("");
  o.ssh_port = optional_value<int>(vm, "ssh-port").value_or(0);
  o.ssh_identity_file = optional_value<std::string>(vm, "ssh-identity-file").value_or("");

  FrameworkFlags& f = o.framework;
  f.backend = optional_value<std::string>(vm, "backend");
  f.allreduce = optional_value<std::string>(vm, "allreduce");
  f.fusion_threshold_mb = optional_value<double>(vm, "fusion-threshold-mb");
  f.cycle_time_ms = optional_value<double>(vm, "cycle-time-ms");
  f.cache_capacity = optional_value<long long>(vm, "cache-capacity");
  f.timeline = optional_value<std::string>(vm, "timeline");
  f.stall_check_seconds = optional_value<double>(vm, "stall-check-seconds");
  f.stall_shutdown_seconds = optional_value<double>(vm, "stall-shutdown-seconds");
  f.log_level = optional_value<std::string>(vm, "log-level");
  f.autotune = vm.count("autotune") != 0;
  f.autotune_log = optional_value<std::string>(vm, "autotune-log");
  o.command = program;

  if (o.help || o.list_instances) return o;
  if (o.np && *o.np < 1) bad("-np " + std::to_string(*o.np) + ": the job needs at least one rank");
  if (o.hosts && o.hostfile) bad("-H and --hostfile both list hosts; give one of them");
  // NaN would pass a "< 0" test and mean no limit; inf and 1e300 overflow the
  // deadline's clock and end the job at once.
  if (!(o.start_timeout_seconds >= 0 && o.start_timeout_seconds <= kMaxStartTimeoutSeconds)) {
    std::ostringstream text;
    text << "--start-timeout " << o.start_timeout_seconds << ": expected seconds from 0 (no limit) to "
         << kMaxStartTimeoutSeconds;
    bad(text.str());
  }
  if (o.ssh_port < 0 || o.ssh_port > 65535) bad("--ssh-port " + std::to_string(o.ssh_port) + " is not a port");
  if (!o.rsh_agent.empty() && (o.ssh_port != 0 || !o.ssh_identity_file.empty())) {
    bad("--rsh-agent replaces ssh; --ssh-port and --ssh-identity-file do not apply to it");
  }
  if (o.command.empty()) bad("no program to run: ringtail-run [options] -- program [args...]");
  return o;
}

std::string usage() {
  std::ostringstream out;
  out << "usage: ringtail-run -np N [-H host1:slots,host2:slots | --hostfile FILE] [options] [--] program "
         "[args...]\n\n"
         "Runs `program` as N ranks of a ringtail job: with mpirun (default) or, with --gloo, by starting\n"
         "the ranks itself and running an authenticated rendezvous server. docs/launching.md explains it.\n\n"
      << describe_options();
  return out.str();
}

}  // namespace ringtail::launcher
