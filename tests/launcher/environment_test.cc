// Framework flags become the RINGTAIL_* variables core::Config reads, with the
// values it accepts; -x forwards variables.

#include <gtest/gtest.h>

#include <map>

#include "ringtail/collectives/error.h"
#include "ringtail/core/config.h"
#include "ringtail/launcher/environment.h"
#include "ringtail/launcher/gloo_ranks.h"

namespace ringtail::launcher {
namespace {

Layout one_host() {
  LocalMachine m;
  m.cpus = 64;
  LayoutRequest r;
  r.np = 2;
  return plan_layout({}, r, m);
}

std::map<std::string, std::string> as_map(const EnvList& env) { return {env.begin(), env.end()}; }

FrameworkFlags every_flag() {
  FrameworkFlags f;
  f.backend = "nccl";
  f.allreduce = "ring";
  f.fusion_threshold_mb = 32;
  f.cycle_time_ms = 2.5;
  f.cache_capacity = 1024;
  f.timeline = "/tmp/timeline.json";
  f.stall_check_seconds = 30;
  f.stall_shutdown_seconds = 120;
  f.log_level = "debug";
  f.autotune = true;
  f.autotune_log = "/tmp/autotune.csv";
  return f;
}

TEST(FrameworkEnvironment, EveryFlagBecomesItsVariable) {
  const auto env = as_map(framework_environment(every_flag(), Mode::mpi, one_host()));
  const std::map<std::string, std::string> expected = {
      {"RINGTAIL_BACKEND", "nccl"},
      {"RINGTAIL_ALLREDUCE", "ring"},
      {"RINGTAIL_FUSION_THRESHOLD", "33554432"},
      {"RINGTAIL_CYCLE_TIME_MS", "2.5"},
      {"RINGTAIL_CACHE_CAPACITY", "1024"},
      {"RINGTAIL_TIMELINE", "/tmp/timeline.json"},
      {"RINGTAIL_STALL_CHECK_SECONDS", "30"},
      {"RINGTAIL_STALL_SHUTDOWN_SECONDS", "120"},
      {"RINGTAIL_LOG_LEVEL", "debug"},
      {"RINGTAIL_AUTOTUNE", "1"},
      {"RINGTAIL_AUTOTUNE_LOG", "/tmp/autotune.csv"},
  };
  EXPECT_EQ(env, expected);
}

TEST(FrameworkEnvironment, NothingGivenSetsNothingInMpiMode) {
  EXPECT_TRUE(framework_environment({}, Mode::mpi, one_host()).empty());
}

TEST(FrameworkEnvironment, GlooModeDefaultsTheBackendAndBootstrapsNccl) {
  EXPECT_EQ(as_map(framework_environment({}, Mode::gloo, one_host())).at("RINGTAIL_BACKEND"), "gloo");
  FrameworkFlags f;
  f.backend = "nccl";
  const auto env = as_map(framework_environment(f, Mode::gloo, one_host()));
  EXPECT_EQ(env.at("RINGTAIL_NCCL_BOOTSTRAP"), "gloo");
  f.backend = "mpi";
  EXPECT_THROW(framework_environment(f, Mode::gloo, one_host()), Error);
}

TEST(FrameworkEnvironment, FractionalMegabytesRoundToBytes) {
  FrameworkFlags f;
  f.fusion_threshold_mb = 0.5;
  EXPECT_EQ(as_map(framework_environment(f, Mode::mpi, one_host())).at("RINGTAIL_FUSION_THRESHOLD"), "524288");
  f.fusion_threshold_mb = 0;
  EXPECT_EQ(as_map(framework_environment(f, Mode::mpi, one_host())).at("RINGTAIL_FUSION_THRESHOLD"), "0");
}

TEST(FrameworkEnvironment, BadValuesNameTheFlag) {
  auto error_for = [](const std::function<void(FrameworkFlags&)>& set) {
    FrameworkFlags f;
    set(f);
    try {
      framework_environment(f, Mode::mpi, one_host());
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_for([](auto& f) { f.backend = "shm"; }).find("--backend 'shm'"), std::string::npos);
  EXPECT_NE(error_for([](auto& f) { f.allreduce = "tree"; }).find("--allreduce 'tree'"), std::string::npos);
  EXPECT_NE(error_for([](auto& f) { f.fusion_threshold_mb = -1; }).find("--fusion-threshold-mb"), std::string::npos);
  EXPECT_NE(error_for([](auto& f) { f.cycle_time_ms = 0; }).find("--cycle-time-ms"), std::string::npos);
  EXPECT_NE(error_for([](auto& f) { f.cache_capacity = -3; }).find("--cache-capacity"), std::string::npos);
  EXPECT_NE(error_for([](auto& f) { f.log_level = "loud"; }).find("--log-level 'loud'"), std::string::npos);
  EXPECT_NE(error_for([](auto& f) {
              f.stall_check_seconds = 60;
              f.stall_shutdown_seconds = 10;
            }).find("--stall-shutdown-seconds"),
            std::string::npos);
  EXPECT_NE(error_for([](auto& f) { f.autotune_log = "x.csv"; }).find("--autotune-log needs --autotune"),
            std::string::npos);
}

TEST(FrameworkEnvironment, HierarchicalFromTheLayoutUnlessGiven) {
  Layout mixed;
  mixed.hierarchical_allreduce = true;
  EXPECT_EQ(as_map(framework_environment({}, Mode::mpi, mixed)).at("RINGTAIL_ALLREDUCE"), "hierarchical");
  FrameworkFlags f;
  f.allreduce = "ring";
  EXPECT_EQ(as_map(framework_environment(f, Mode::mpi, mixed)).at("RINGTAIL_ALLREDUCE"), "ring");
}

// The launcher and core::Config must agree on names and on what a valid value
// is: a variable Config rejects would stop every rank at start.
TEST(FrameworkEnvironment, CoreConfigAcceptsEverythingTheLauncherSets) {
  Layout layout = one_host();
  GlooInputs in;
  in.rendezvous_address = "127.0.0.1:29500";
  in.job_id = "ringtail-abc";
  in.variables = framework_environment(every_flag(), Mode::gloo, layout);
  in.command = {"prog"};
  for (const auto& rank : plan_gloo_ranks(layout, in)) {
    std::map<std::string, std::string> vars = as_map(rank.environment);
    vars["RINGTAIL_RENDEZVOUS_SECRET"] = "s";  // added by the launcher at spawn time
    for (const auto& [name, value] : vars) {
      if (name.rfind("RINGTAIL_", 0) == 0) {
        EXPECT_EQ(core::config_variables().count(name), 1u) << name << " is not a core::Config variable";
      }
    }
    const core::Config config = core::Config::from_variables(vars);
    EXPECT_EQ(config.world.rank, rank.rank);
    EXPECT_EQ(config.world.size, 2);
    EXPECT_EQ(config.world.backend, "nccl");
    EXPECT_EQ(config.world.nccl_bootstrap, "gloo");
    EXPECT_EQ(config.world.store_address, "127.0.0.1:29500");
    EXPECT_EQ(config.world.store_prefix, "ringtail-abc");
    EXPECT_EQ(config.world.hostname, "localhost");
    EXPECT_EQ(config.world.gloo_interface, "127.0.0.1");
    EXPECT_EQ(config.fusion_threshold_bytes, std::size_t{32} << 20);
    EXPECT_EQ(config.cycle_time, std::chrono::microseconds(2500));
    EXPECT_EQ(config.cache_capacity, 1024u);
    EXPECT_EQ(config.allreduce, core::AllreduceAlgorithm::ring);
    EXPECT_EQ(config.log_level, log::Level::debug);
    EXPECT_TRUE(config.autotune);
    EXPECT_EQ(config.stall_shutdown_seconds, 120.0);
  }
}

TEST(Forwarding, NamesAndAssignments) {
  const std::map<std::string, std::string> env = {{"NCCL_DEBUG", "INFO"}, {"HOME", "/root"}};
  const auto f = parse_forwarded({"NCCL_DEBUG", "OMP_NUM_THREADS=1"}, env);
  EXPECT_EQ(f.by_name, std::vector<std::string>{"NCCL_DEBUG"});
  ASSERT_EQ(f.assignments.size(), 1u);
  EXPECT_EQ(f.assignments[0], (std::pair<std::string, std::string>{"OMP_NUM_THREADS", "1"}));
  EXPECT_THROW(parse_forwarded({"NOT_SET_ANYWHERE"}, env), Error);
  EXPECT_THROW(parse_forwarded({"1BAD"}, env), Error);
  EXPECT_THROW(parse_forwarded({"A-B=1"}, env), Error);
  EXPECT_THROW(parse_forwarded({"RINGTAIL_RENDEZVOUS_SECRET=x"}, env), Error);
}

// A -x of a variable ringtail-run sets itself would give the ranks two entries
// of it: getenv reads the first, `env A=1 A=2` (remote ranks) keeps the last.
TEST(Forwarding, RefusesVariablesTheLauncherSets) {
  const std::map<std::string, std::string> env = {{"RINGTAIL_RANK", "3"}, {"RINGTAIL_BACKEND", "mpi"}};
  for (const std::string word : {"RINGTAIL_RANK=7", "RINGTAIL_RANK", "RINGTAIL_SIZE=9", "RINGTAIL_HOSTNAME=h",
                                 "RINGTAIL_RENDEZVOUS_ADDR=1.2.3.4:5", "RINGTAIL_JOB_ID=j"}) {
    try {
      parse_forwarded({word}, env);
      ADD_FAILURE() << word << " accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("-x " + word + ":"), std::string::npos) << e.what();
    }
  }
  const EnvList launcher = {{"RINGTAIL_BACKEND", "gloo"}, {"NCCL_SOCKET_IFNAME", "ens5"}};
  for (const std::string word : {"RINGTAIL_BACKEND=nccl", "RINGTAIL_BACKEND", "NCCL_SOCKET_IFNAME=eth0"}) {
    try {
      check_forwarded_against(parse_forwarded({word}, env), launcher);
      ADD_FAILURE() << word << " accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("-x " + word + ": ringtail-run already sets"), std::string::npos)
          << e.what();
    }
  }
  EXPECT_NO_THROW(check_forwarded_against(parse_forwarded({"RINGTAIL_LOG_LEVEL=debug"}, env), launcher));
}

}  // namespace
}  // namespace ringtail::launcher
