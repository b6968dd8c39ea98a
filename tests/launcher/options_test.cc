// ringtail-run's command line.

#include <gtest/gtest.h>

#include "ringtail/collectives/error.h"
#include "ringtail/launcher/options.h"
#include "ringtail/launcher/shell.h"

namespace ringtail::launcher {
namespace {

LaunchOptions parse(const std::string& line) { return parse_command_line(split_shell_words(line, "test")); }

std::string error_of(const std::string& line) {
  try {
    parse(line);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Options, HorovodStyleCommandLine) {
  const auto o = parse("-np 8 -H a:4,b:4 --network-interface ens5 -x NCCL_DEBUG -x A=1 python3 train.py -np 3 -x y");
  EXPECT_EQ(o.np, 8);
  EXPECT_EQ(o.hosts, "a:4,b:4");
  EXPECT_EQ(o.network_interface, "ens5");
  EXPECT_EQ(o.forward, (std::vector<std::string>{"NCCL_DEBUG", "A=1"}));
  // Everything from the program on is the program's.
  EXPECT_EQ(o.command, (std::vector<std::string>{"python3", "train.py", "-np", "3", "-x", "y"}));
  EXPECT_FALSE(o.gloo);
}

TEST(Options, DoubleDashSeparatesTheProgram) {
  const auto o = parse("--gloo --np 2 --start-timeout 5 -- --weird-program --np 1");
  EXPECT_TRUE(o.gloo);
  EXPECT_EQ(o.np, 2);
  EXPECT_EQ(o.start_timeout_seconds, 5);
  EXPECT_EQ(o.command, (std::vector<std::string>{"--weird-program", "--np", "1"}));
}

TEST(Options, FrameworkFlags) {
  const auto o = parse(
      "-np 2 --backend gloo --allreduce ring --fusion-threshold-mb 16 --cycle-time-ms 3.5 --cache-capacity 7 "
      "--timeline t.json --stall-check-seconds 10 --stall-shutdown-seconds 20 --log-level info --autotune prog");
  const FrameworkFlags& f = o.framework;
  EXPECT_EQ(f.backend, "gloo");
  EXPECT_EQ(f.allreduce, "ring");
  EXPECT_EQ(f.fusion_threshold_mb, 16.0);
  EXPECT_EQ(f.cycle_time_ms, 3.5);
  EXPECT_EQ(f.cache_capacity, 7);
  EXPECT_EQ(f.timeline, "t.json");
  EXPECT_EQ(f.stall_check_seconds, 10.0);
  EXPECT_EQ(f.stall_shutdown_seconds, 20.0);
  EXPECT_EQ(f.log_level, "info");
  EXPECT_TRUE(f.autotune);
}

TEST(Options, LauncherFlags) {
  const auto o = parse(
      "-np 2 --hostfile h.txt --instance p4d.24xlarge --oversubscribe --dry-run --verbose "
      "--mpi-args '--mca btl tcp,self' --mpirun /opt/mpirun --ssh-port 2222 --ssh-identity-file /k prog");
  EXPECT_EQ(o.hostfile, "h.txt");
  EXPECT_EQ(o.instance, "p4d.24xlarge");
  EXPECT_TRUE(o.oversubscribe);
  EXPECT_TRUE(o.dry_run);
  EXPECT_TRUE(o.verbose);
  EXPECT_EQ(o.mpi_args, "--mca btl tcp,self");
  EXPECT_EQ(o.mpirun, "/opt/mpirun");
  EXPECT_EQ(o.ssh_port, 2222);
  EXPECT_EQ(o.ssh_identity_file, "/k");
  EXPECT_EQ(o.command, std::vector<std::string>{"prog"});
}

TEST(Options, Errors) {
  EXPECT_NE(error_of("-np 2").find("no program"), std::string::npos);
  EXPECT_NE(error_of("-np 0 prog").find("-np 0"), std::string::npos);
  EXPECT_NE(error_of("-np two prog").find("np"), std::string::npos);
  EXPECT_NE(error_of("--np 2 --frobnicate prog").find("frobnicate"), std::string::npos);
  EXPECT_NE(error_of("--verb -np 2 prog").find("verb"), std::string::npos);  // no abbreviations
  EXPECT_NE(error_of("-H a -hostfile h prog").find("hostfile"), std::string::npos);
  EXPECT_NE(error_of("-H a --hostfile h prog").find("give one of them"), std::string::npos);
  EXPECT_NE(error_of("--start-timeout -1 -np 1 prog").find("--start-timeout"), std::string::npos);
  // Not a number, or beyond the clock: refused, not "no limit" or "already late".
  for (const char* value : {"nan", "inf", "1e300"}) {
    EXPECT_NE(error_of(std::string("--start-timeout ") + value + " -np 1 prog").find("--start-timeout"),
              std::string::npos)
        << value;
  }
  EXPECT_EQ(parse("--start-timeout 604800 -np 1 prog").start_timeout_seconds, 604800.0);
  EXPECT_NE(error_of("--rsh-agent x --ssh-port 22 -np 1 prog").find("--rsh-agent"), std::string::npos);
}

TEST(Options, HelpNeedsNoProgram) {
  EXPECT_TRUE(parse("--help").help);
  EXPECT_TRUE(parse("--list-instances").list_instances);
  const std::string text = usage();
  for (const char* flag : {"--gloo", "--hostfile", "--fusion-threshold-mb", "--start-timeout", "--dry-run", "-x"}) {
    EXPECT_NE(text.find(flag), std::string::npos) << flag;
  }
}

}  // namespace
}  // namespace ringtail::launcher
