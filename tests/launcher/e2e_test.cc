// ringtail-run end to end on this machine, all traffic on loopback: MPI and
// Gloo mode jobs, a failing rank, signals, the start timeout, remote ranks
// through an rsh agent, the rendezvous secret, and --dry-run.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "launcher_run.h"

namespace ringtail::launcher_test {
namespace {

namespace fs = std::filesystem;

const std::string kProbe = RINGTAIL_PROBE_PATH;
const std::string kDemo = RINGTAIL_DEMO_PATH;  // empty when the demo is not built

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

void expect_clean_end(const RunResult& r) {
  EXPECT_TRUE(r.finished) << "ringtail-run did not end\nstdout:\n" << r.out << "stderr:\n" << r.err;
  EXPECT_TRUE(r.leftovers.empty()) << "left behind:\n" << joined(r.leftovers) << "stderr:\n" << r.err;
}

// A fresh directory, removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "ringtail-launcher-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string file(const std::string& name) const { return (fs::path(path_) / name).string(); }

 private:
  std::string path_;
};

// An rsh agent that runs the command here, whatever the host: how the tests
// take the remote-host path (secret on stdin, the wrapper script) without ssh.
std::string write_local_agent(const TempDir& dir) {
  const std::string path = dir.file("local-agent.sh");
  std::ofstream(path) << "#!/bin/sh\n# host command: run the command here, as ssh would there\nshift\n"
                         "exec sh -c \"$*\"\n";
  fs::permissions(path, fs::perms::owner_all);
  return path;
}

#if RINGTAIL_TEST_HAVE_MPI
TEST(LauncherMpi, RunsFourRanks) {
  const RunResult r = run_launcher({"-np", "4", kDemo, "--count", "1000"});
  expect_clean_end(r);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (int rank = 0; rank < 4; ++rank) {
    EXPECT_EQ(lines_with(r.out, "rank " + std::to_string(rank) + " of 4").size(), 1u) << r.out;
  }
  EXPECT_EQ(lines_with(r.out, "backend mpi): allreduce of 1000 floats = 10,").size(), 4u) << r.out;
}

TEST(LauncherMpi, FailingRankEndsTheJobWithItsExitCode) {
  RunOptions o;
  o.marker = "exiting with code 3 as asked";
  const RunResult r = run_launcher({"-np", "4", kDemo, "--count", "1000", "--exit-code-on-rank", "2:3"}, o);
  expect_clean_end(r);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  ASSERT_GE(r.seconds_after_marker, 0) << r.err;
  EXPECT_LT(r.seconds_after_marker, 10.0);
}

TEST(LauncherMpi, ForwardsSigterm) {
  RunOptions o;
  o.marker = "started";
  o.signal = SIGTERM;
  const RunResult r = run_launcher({"-np", "2", "--", "sh", "-c", "echo started; exec sleep 60"}, o);
  expect_clean_end(r);
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.err;
  EXPECT_LT(r.seconds_after_marker, 10.0);
}

#if RINGTAIL_TEST_HAVE_GLOO_BACKEND
TEST(LauncherMpi, GlooBackendUnderMpirunGetsARendezvous) {
  const RunResult r = run_launcher({"-np", "2", "--backend", "gloo", kDemo, "--count", "1000"});
  expect_clean_end(r);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines_with(r.out, "backend gloo): allreduce of 1000 floats = 3,").size(), 2u) << r.out << r.err;
}
#endif
#endif

#if RINGTAIL_TEST_HAVE_GLOO_BACKEND
TEST(LauncherGloo, RunsFourRanksOfTheDemo) {
  const RunResult r = run_launcher({"--gloo", "-np", "4", kDemo, "--count", "1000"});
  expect_clean_end(r);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines_with(r.out, "backend gloo): allreduce of 1000 floats = 10,").size(), 4u) << r.out << r.err;
}
#endif

TEST(LauncherGloo, RanksMeetAtTheRendezvous) {
  const RunResult r = run_launcher({"--gloo", "-np", "4", kProbe});
  expect_clean_end(r);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (int rank = 0; rank < 4; ++rank) {
    EXPECT_EQ(lines_with(r.out, "probe rank " + std::to_string(rank) + " of 4 on localhost").size(), 1u) << r.out;
  }
  EXPECT_EQ(lines_with(r.out, "gloo interface 127.0.0.1): ok").size(), 4u) << r.out;
}

TEST(LauncherGloo, FailingRankEndsTheJobWithItsExitCodeAndLeavesNothing) {
  // Every rank also starts a child in a session of its own, which no process
  // group signal reaches: ringtail-run must still end it.
  RunOptions o;
  o.marker = "exiting with code 3 as asked";
  const RunResult r =
      run_launcher({"--gloo", "-np", "4", kProbe, "--exit-code-on-rank", "2:3", "--spawn-escaping-child"}, o);
  expect_clean_end(r);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  ASSERT_GE(r.seconds_after_marker, 0) << r.err;
  EXPECT_LT(r.seconds_after_marker, 10.0);
  EXPECT_NE(r.err.find("rank 2 on localhost exited with code 3"), std::string::npos) << r.err;
}

TEST(LauncherGloo, ForwardsSigterm) {
  RunOptions o;
  o.marker = "started";
  o.signal = SIGTERM;
  const RunResult r =
      run_launcher({"--gloo", "-np", "2", "--start-timeout", "0", "--", "sh", "-c", "echo started; exec sleep 60"}, o);
  expect_clean_end(r);
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.err;
  EXPECT_LT(r.seconds_after_marker, 10.0);
}

TEST(LauncherGloo, StartTimeoutNamesTheHostsWithMissingRanks) {
  const RunResult r = run_launcher({"--gloo", "-np", "2", "--start-timeout", "1", "--", "sleep", "60"});
  expect_clean_end(r);
  EXPECT_EQ(r.exit_code, 124) << r.err;
  EXPECT_NE(r.err.find("Hosts with missing ranks: localhost (0 of 2 ranks)"), std::string::npos) << r.err;
}

TEST(LauncherGloo, RemoteRanksStartThroughTheRemoteShell) {
  TempDir dir;
  const RunResult r = run_launcher({"--gloo", "-np", "4", "-H", "localhost:2,fakehost:2", "--network-interface", "lo",
                                    "--rsh-agent", write_local_agent(dir), kProbe, "--scan-for-secret"});
  expect_clean_end(r);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines_with(r.out, "on localhost").size(), 2u) << r.out;
  EXPECT_EQ(lines_with(r.out, "probe rank 2 of 4 on fakehost").size(), 1u) << r.out;
  EXPECT_EQ(lines_with(r.out, "probe rank 3 of 4 on fakehost").size(), 1u) << r.out;
  EXPECT_EQ(lines_with(r.out, "gloo interface lo): ok").size(), 4u) << r.out;
}

TEST(LauncherGloo, RemoteRankFailureEndsTheJob) {
  TempDir dir;
  RunOptions o;
  o.marker = "exiting with code 3 as asked";
  const RunResult r = run_launcher({"--gloo", "-np", "4", "-H", "localhost:2,fakehost:2", "--network-interface", "lo",
                                    "--rsh-agent", write_local_agent(dir), kProbe, "--exit-code-on-rank", "3:3"},
                                   o);
  expect_clean_end(r);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_LT(r.seconds_after_marker, 10.0);
  EXPECT_NE(r.err.find("rank 3 on fakehost exited with code 3"), std::string::npos) << r.err;
}

TEST(LauncherGloo, FailedRemoteShellIsExplainedAsAnSshFailure) {
  // 255 is what ssh exits with when it cannot connect or log in.
  TempDir dir;
  const std::string agent = dir.file("unreachable-agent.sh");
  std::ofstream(agent) << "#!/bin/sh\necho \"ssh: connect to host $1 port 22: Connection refused\" >&2\nexit 255\n";
  fs::permissions(agent, fs::perms::owner_all);
  const RunResult r = run_launcher(
      {"--gloo", "-np", "2", "-H", "localhost:1,fakehost:1", "--network-interface", "lo", "--rsh-agent", agent, kProbe});
  expect_clean_end(r);
  EXPECT_EQ(r.exit_code, 255) << r.err;
  EXPECT_NE(r.err.find("rank 1 on fakehost exited with code 255 (255 is ssh's code for a failed connection"),
            std::string::npos)
      << r.err;
}

TEST(LauncherSecurity, TheSecretIsOnNoCommandLineAndNeverPrinted) {
  TempDir dir;
  const std::string secret_file = dir.file("secret");
  const RunResult r = run_launcher(
      {"--gloo", "--verbose", "-np", "4", kProbe, "--scan-for-secret", "--wrong-secret", "--write-secret-to", secret_file});
  expect_clean_end(r);
  EXPECT_EQ(r.exit_code, 0) << r.err;  // 10: on a command line; 11: a wrong secret got in
  std::ifstream in(secret_file);
  const std::string secret((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(secret.size(), 64u);
  EXPECT_EQ(r.out.find(secret), std::string::npos);
  EXPECT_EQ(r.err.find(secret), std::string::npos);
  // Each rank's attempt with a wrong secret was refused, and ringtail-run says so.
  EXPECT_NE(r.err.find("refused 4 unauthenticated requests"), std::string::npos) << r.err;
  EXPECT_EQ(lines_with(r.err, "rendezvous: refused a request from 127.0.0.1").size(), 4u) << r.err;
}

TEST(LauncherSecurity, EachJobHasItsOwnSecret) {
  TempDir dir;
  std::string secrets[2];
  for (auto& secret : secrets) {
    const RunResult r = run_launcher({"--gloo", "-np", "1", kProbe, "--write-secret-to", dir.file("s")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::ifstream in(dir.file("s"));
    secret.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  EXPECT_EQ(secrets[0].size(), 64u);
  EXPECT_NE(secrets[0], secrets[1]);
}

TEST(LauncherDryRun, PrintsTheExactMpirunCommand) {
  TempDir dir;
  const std::string hostfile = dir.file("hosts");
  std::ofstream(hostfile) << "# two p3.8xlarge and a p4d\nnode1 instance=p3.8xlarge\nnode2 instance=p3.8xlarge\n"
                             "node3 instance=p4d.24xlarge\n";
  const RunResult r = run_launcher({"--dry-run", "--hostfile", hostfile, "--network-interface", "ens5",
                                    "--fusion-threshold-mb", "32", "--log-level", "info", "-x", "NCCL_DEBUG=INFO",
                                    "--", "./train", "--epochs", "2"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::string root = geteuid() == 0 ? "--allow-run-as-root " : "";
  std::string forwarded;
  for (const char* name : {"PATH", "LD_LIBRARY_PATH"}) {
    if (std::getenv(name) != nullptr) forwarded += std::string(" -x ") + name;
  }
  EXPECT_EQ(r.out, "mpirun " + root +
                       "-np 16 -H node1:4,node2:4,node3:8 --bind-to none --map-by slot "
                       "--mca btl_tcp_if_include ens5 --mca oob_tcp_if_include ens5 "
                       "-x RINGTAIL_ALLREDUCE=hierarchical -x RINGTAIL_FUSION_THRESHOLD=33554432 "
                       "-x RINGTAIL_LOG_LEVEL=info -x NCCL_SOCKET_IFNAME=ens5 -x NCCL_NET=Socket "
                       "-x NCCL_DEBUG=INFO" +
                       forwarded + " ./train --epochs 2\n");
  EXPECT_NE(r.err.find("mixed cluster: p3.8xlarge, p4d.24xlarge"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hierarchical allreduce turned on"), std::string::npos) << r.err;
  EXPECT_TRUE(r.leftovers.empty());
}

TEST(LauncherDryRun, GlooModePrintsEachRankWithoutTheSecret) {
  const RunResult r = run_launcher({"--dry-run", "--gloo", "-np", "2", "--", "./train"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("RINGTAIL_RANK=1 RINGTAIL_SIZE=2 RINGTAIL_RENDEZVOUS_ADDR=127.0.0.1:PORT"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("RINGTAIL_BACKEND=gloo ./train"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("RINGTAIL_RENDEZVOUS_SECRET="), std::string::npos) << r.out;
}

TEST(LauncherErrors, BadHostfileLineIsAUsageError) {
  TempDir dir;
  const std::string hostfile = dir.file("hosts");
  std::ofstream(hostfile) << "node1 slots=4\nnode2 slots=lots\n";
  const RunResult r = run_launcher({"--hostfile", hostfile, "--", "true"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(hostfile + " line 2: slots 'lots'"), std::string::npos) << r.err;
}

// -x of a variable ringtail-run sets would reach the ranks twice, and which
// value a rank saw depended on how it read its environment.
TEST(LauncherErrors, ForwardingAVariableTheLauncherSetsIsAUsageError) {
  RunResult r = run_launcher({"--gloo", "-np", "2", "-x", "RINGTAIL_RANK=7", "--", "true"});
  expect_clean_end(r);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("-x RINGTAIL_RANK=7: ringtail-run gives every rank its own RINGTAIL_RANK"),
            std::string::npos)
      << r.err;
  r = run_launcher({"--gloo", "-np", "1", "-x", "RINGTAIL_BACKEND=nccl", "--", "true"});
  expect_clean_end(r);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("-x RINGTAIL_BACKEND=nccl: ringtail-run already sets RINGTAIL_BACKEND=gloo"),
            std::string::npos)
      << r.err;
}

TEST(LauncherErrors, MissingProgramIsReported) {
  const RunResult r = run_launcher({"--gloo", "-np", "2", "--", "/nonexistent/program"});
  expect_clean_end(r);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot run '/nonexistent/program'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ringtail::launcher_test
