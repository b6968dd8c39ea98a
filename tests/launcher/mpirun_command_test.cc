// The mpirun command MPI mode runs, built without running anything.

#include <gtest/gtest.h>

#include "ringtail/collectives/error.h"
#include "ringtail/launcher/mpirun_command.h"
#include "ringtail/launcher/shell.h"

namespace ringtail::launcher {
namespace {

LocalMachine machine(int cpus) {
  LocalMachine m;
  m.hostname = "head";
  m.addresses = {"127.0.0.1"};
  m.cpus = cpus;
  return m;
}

std::string command_line(const Layout& layout, const MpirunInputs& in) {
  return shell_join(build_mpirun_command(layout, in));
}

TEST(MpirunCommand, SingleHostAsRoot) {
  LayoutRequest r;
  r.np = 4;
  const Layout layout = plan_layout({}, r, machine(64));
  MpirunInputs in;
  in.running_as_root = true;
  in.command = {"./train", "--epochs", "3"};
  EXPECT_EQ(command_line(layout, in),
            "mpirun --allow-run-as-root -np 4 -H localhost:4 --bind-to none --map-by slot "
            "--mca btl_tcp_if_include lo --mca oob_tcp_if_include lo ./train --epochs 3");
  in.running_as_root = false;
  EXPECT_EQ(command_line(layout, in).rfind("mpirun -np 4 ", 0), 0u);
}

TEST(MpirunCommand, RanksSharingCoresYield) {
  LayoutRequest r;
  r.np = 4;
  const Layout layout = plan_layout({}, r, machine(2));
  MpirunInputs in;
  in.command = {"prog"};
  EXPECT_NE(command_line(layout, in).find("--mca mpi_yield_when_idle 1"), std::string::npos);
}

TEST(MpirunCommand, OversubscribeOnlyWhenSlotsAreShort) {
  LayoutRequest r;
  r.np = 4;
  MpirunInputs in;
  in.command = {"prog"};
  EXPECT_EQ(command_line(plan_layout({}, r, machine(64)), in).find("--oversubscribe"), std::string::npos);
  const Layout short_host = plan_layout({{"localhost", 2, "", "-H"}}, r, machine(64));
  const std::string line = command_line(short_host, in);
  EXPECT_NE(line.find("-H localhost:4 "), std::string::npos) << line;
  EXPECT_NE(line.find("--oversubscribe"), std::string::npos) << line;
  in.oversubscribe = true;  // asked for
  EXPECT_NE(command_line(plan_layout({}, r, machine(64)), in).find("--oversubscribe"), std::string::npos);
}

TEST(MpirunCommand, MixedClusterWithEverything) {
  const Layout layout = plan_layout({{"10.0.0.1", std::nullopt, "p3.8xlarge", "f:1"},
                                     {"10.0.0.2", std::nullopt, "p4d.24xlarge", "f:2"}},
                                    {}, machine(2));
  MpirunInputs in;
  in.running_as_root = false;
  in.network_interface = "ens5";
  in.ssh_port = 2222;
  in.ssh_identity_file = "/keys/id";
  in.mpi_args = split_shell_words("--mca btl tcp,self --report-bindings", "--mpi-args");
  FrameworkFlags flags;
  flags.fusion_threshold_mb = 64;
  in.variables = framework_environment(flags, Mode::mpi, layout);
  const EnvList network = network_environment(layout, in.network_interface);
  in.variables.insert(in.variables.end(), network.begin(), network.end());
  in.forward_by_name = {"NCCL_DEBUG", "PATH"};
  in.command = {"python3", "train.py", "--data", "/data with space"};
  EXPECT_EQ(command_line(layout, in),
            "mpirun -np 12 -H 10.0.0.1:4,10.0.0.2:8 --bind-to none --map-by slot "
            "--mca btl_tcp_if_include ens5 --mca oob_tcp_if_include ens5 "
            "--mca plm_rsh_args '-p 2222 -i /keys/id' "
            "-x RINGTAIL_ALLREDUCE=hierarchical -x RINGTAIL_FUSION_THRESHOLD=67108864 "
            "-x NCCL_SOCKET_IFNAME=ens5 -x NCCL_NET=Socket -x NCCL_DEBUG -x PATH "
            "--mca btl tcp,self --report-bindings python3 train.py --data '/data with space'");
}

TEST(MpirunCommand, P4dClusterForwardsEfaSettings) {
  const Layout layout = plan_layout({{"a", std::nullopt, "p4d.24xlarge", "f:1"},
                                     {"b", std::nullopt, "p4d.24xlarge", "f:2"}},
                                    {}, machine(2));
  MpirunInputs in;
  in.variables = network_environment(layout, "");
  in.rsh_agent = "/opt/agent.sh";
  in.command = {"prog"};
  const std::string line = command_line(layout, in);
  EXPECT_NE(line.find("-np 16 -H a:8,b:8 "), std::string::npos) << line;
  EXPECT_NE(line.find("-x FI_PROVIDER=efa -x FI_EFA_USE_DEVICE_RDMA=1 -x RDMAV_FORK_SAFE=1"), std::string::npos)
      << line;
  EXPECT_NE(line.find("--mca plm_rsh_agent /opt/agent.sh"), std::string::npos) << line;
  EXPECT_EQ(line.find("RINGTAIL_ALLREDUCE"), std::string::npos) << line;  // equal hosts
  EXPECT_EQ(line.find("btl_tcp_if_include"), std::string::npos) << line;  // no interface given
}

TEST(MpirunCommand, HostNamesWithUnderscoresAreRefused) {
  const Layout layout = plan_layout({{"gpu_node1", 4, "", "hosts line 1"}}, {}, machine(2));
  MpirunInputs in;
  in.command = {"prog"};
  try {
    build_mpirun_command(layout, in);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("gpu_node1"), std::string::npos);
  }
}

}  // namespace
}  // namespace ringtail::launcher
