// What Gloo mode runs for each rank, and that the secret is in none of it.

#include <gtest/gtest.h>

#include <map>

#include "ringtail/launcher/gloo_ranks.h"
#include "ringtail/launcher/shell.h"

namespace ringtail::launcher {
namespace {

LocalMachine head() {
  LocalMachine m;
  m.hostname = "head";
  m.addresses = {"127.0.0.1", "10.0.0.1"};
  m.cpus = 8;
  return m;
}

GlooInputs inputs() {
  GlooInputs in;
  in.rendezvous_address = "10.0.0.1:41000";
  in.job_id = "ringtail-0123";
  in.variables = {{"RINGTAIL_LOG_LEVEL", "info"}};
  in.remote_variables = {{"PATH", "/usr/bin:/bin"}};
  in.remote_shell = remote_shell_words("", 2222, "");
  in.working_directory = "/work/my job";
  in.command = {"./train", "--lr", "0.1"};
  return in;
}

std::map<std::string, std::string> as_map(const EnvList& env) { return {env.begin(), env.end()}; }

TEST(GlooRanks, LocalRanksRunTheProgramWithTheirVariables) {
  const Layout layout = plan_layout({{"10.0.0.1", 2, "", "-H"}, {"node2", 2, "", "-H"}}, {}, head());
  const auto ranks = plan_gloo_ranks(layout, inputs());
  ASSERT_EQ(ranks.size(), 4u);
  for (int r = 0; r < 2; ++r) {
    EXPECT_FALSE(ranks[r].remote);
    EXPECT_EQ(ranks[r].argv, (std::vector<std::string>{"./train", "--lr", "0.1"}));
    const auto env = as_map(ranks[r].environment);
    EXPECT_EQ(env.at("RINGTAIL_RANK"), std::to_string(r));
    EXPECT_EQ(env.at("RINGTAIL_SIZE"), "4");
    EXPECT_EQ(env.at("RINGTAIL_RENDEZVOUS_ADDR"), "10.0.0.1:41000");
    EXPECT_EQ(env.at("RINGTAIL_JOB_ID"), "ringtail-0123");
    EXPECT_EQ(env.at("RINGTAIL_HOSTNAME"), "10.0.0.1");
    EXPECT_EQ(env.at("RINGTAIL_GLOO_IFACE"), "10.0.0.1");  // the host is named by its address
    EXPECT_EQ(env.at("RINGTAIL_LOG_LEVEL"), "info");
    EXPECT_EQ(env.count("PATH"), 0u);  // local ranks inherit it
    EXPECT_EQ(env.count("RINGTAIL_RENDEZVOUS_SECRET"), 0u);
  }
}

TEST(GlooRanks, RemoteRanksGoThroughSshAndTheWrapper) {
  const Layout layout = plan_layout({{"10.0.0.1", 2, "", "-H"}, {"node2", 2, "", "-H"}}, {}, head());
  const auto ranks = plan_gloo_ranks(layout, inputs());
  const RankLaunch& r3 = ranks[3];
  EXPECT_TRUE(r3.remote);
  EXPECT_TRUE(r3.environment.empty());
  const std::vector<std::string> ssh = {"ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-p", "2222", "node2"};
  ASSERT_EQ(r3.argv.size(), ssh.size() + 1);
  EXPECT_TRUE(std::equal(ssh.begin(), ssh.end(), r3.argv.begin()));
  const std::string remote = r3.argv.back();
  EXPECT_EQ(remote.rfind("cd '/work/my job' 2>/dev/null; exec sh -c ", 0), 0u) << remote;
  for (const char* expected : {"RINGTAIL_RANK=3", "RINGTAIL_SIZE=4", "RINGTAIL_HOSTNAME=node2",
                               "RINGTAIL_RENDEZVOUS_ADDR=10.0.0.1:41000", "PATH=/usr/bin:/bin",
                               "RINGTAIL_LOG_LEVEL=info", " ./train --lr 0.1"}) {
    EXPECT_NE(remote.find(expected), std::string::npos) << expected << " in " << remote;
  }
  // node2 is a name, not an address: gloo picks its interface there.
  EXPECT_EQ(remote.find("RINGTAIL_GLOO_IFACE"), std::string::npos) << remote;
  EXPECT_EQ(remote.find("RINGTAIL_RENDEZVOUS_SECRET="), std::string::npos) << remote;
}

TEST(GlooRanks, AnInterfaceAppliesToEveryRank) {
  GlooInputs in = inputs();
  in.network_interface = "ens5";
  const Layout layout = plan_layout({{"10.0.0.1", 1, "", "-H"}, {"node2", 1, "", "-H"}}, {}, head());
  const auto ranks = plan_gloo_ranks(layout, in);
  EXPECT_EQ(as_map(ranks[0].environment).at("RINGTAIL_GLOO_IFACE"), "ens5");
  EXPECT_NE(ranks[1].argv.back().find("RINGTAIL_GLOO_IFACE=ens5"), std::string::npos);
}

TEST(GlooRanks, AllLocalJobsUseLoopback) {
  LayoutRequest r;
  r.np = 3;
  const Layout layout = plan_layout({}, r, head());
  const auto ranks = plan_gloo_ranks(layout, inputs());
  ASSERT_EQ(ranks.size(), 3u);
  EXPECT_EQ(as_map(ranks[2].environment).at("RINGTAIL_GLOO_IFACE"), "127.0.0.1");
  EXPECT_EQ(as_map(ranks[2].environment).at("RINGTAIL_HOSTNAME"), "localhost");
}

TEST(GlooRanks, RshAgentReplacesSsh) {
  EXPECT_EQ(remote_shell_words("/opt/netns-agent --quiet", 0, ""),
            (std::vector<std::string>{"/opt/netns-agent", "--quiet"}));
  EXPECT_EQ(remote_shell_words("", 0, "/k/id")[0], "ssh");
  EXPECT_EQ(remote_shell_words("", 0, "/k/id").back(), "/k/id");
}

TEST(GlooRanks, TheWrapperReadsTheSecretFromStandardInput) {
  const std::string& script = remote_rank_script();
  EXPECT_NE(script.find("read -r RINGTAIL_RENDEZVOUS_SECRET"), std::string::npos);
  EXPECT_NE(script.find("kill -TERM"), std::string::npos);
}

}  // namespace
}  // namespace ringtail::launcher
