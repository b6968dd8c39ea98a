// Shell words, /proc parsing and process trees, and the start check's matching
// of rendezvous peers to hosts.

#include <gtest/gtest.h>

#include "ringtail/collectives/error.h"
#include "ringtail/launcher/process_table.h"
#include "ringtail/launcher/shell.h"
#include "ringtail/launcher/start_check.h"

namespace ringtail::launcher {
namespace {

TEST(Shell, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(shell_quote("plain-word_1.2/x=y:z,@%+"), "plain-word_1.2/x=y:z,@%+");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("$HOME"), "'$HOME'");
}

TEST(Shell, SplitUndoesJoin) {
  const std::vector<std::string> words = {"a", "b c", "it's", "", "$x", "tab\there", "\"q\""};
  EXPECT_EQ(split_shell_words(shell_join(words), "test"), words);
  EXPECT_EQ(split_shell_words("  --mca btl \"tcp,self\"  a\\ b ", "t"),
            (std::vector<std::string>{"--mca", "btl", "tcp,self", "a b"}));
  EXPECT_TRUE(split_shell_words("   ", "t").empty());
  EXPECT_THROW(split_shell_words("'open", "--mpi-args"), Error);
  EXPECT_THROW(split_shell_words("\"open", "--mpi-args"), Error);
}

TEST(ProcessTable, ParsesStatLinesWithOddNames) {
  ProcessEntry e;
  ASSERT_TRUE(parse_proc_stat("4242 (a (weird) name) S 17 4242 4000 0 -1 4194560 0", &e));
  EXPECT_EQ(e.pid, 4242);
  EXPECT_EQ(e.state, 'S');
  EXPECT_EQ(e.parent, 17);
  EXPECT_EQ(e.group, 4242);
  EXPECT_EQ(e.session, 4000);
  EXPECT_FALSE(parse_proc_stat("garbage", &e));
}

TEST(ProcessTable, DescendantsFollowTheWholeTree) {
  const std::vector<ProcessEntry> table = {
      {1, 0, 1, 1, 'S'}, {10, 1, 10, 10, 'S'}, {11, 10, 11, 10, 'S'}, {12, 11, 12, 12, 'S'},
      {13, 10, 13, 10, 'Z'}, {20, 1, 20, 20, 'S'},
  };
  auto d = descendants_of(10, table);
  std::sort(d.begin(), d.end());
  EXPECT_EQ(d, (std::vector<pid_t>{11, 12, 13}));
  EXPECT_TRUE(descendants_of(20, table).empty());
  EXPECT_FALSE(read_process_table().empty());  // this process at least
}

Layout two_hosts() {
  LocalMachine m;
  m.hostname = "head";
  m.addresses = {"127.0.0.1", "10.0.0.1"};
  m.cpus = 8;
  return plan_layout({{"head", 2, "", "-H"}, {"node2", 2, "", "-H"}}, {}, m);
}

StartCheckInputs check_inputs() {
  StartCheckInputs in;
  in.local.hostname = "head";
  in.local.addresses = {"127.0.0.1", "10.0.0.1"};
  in.local_pids["head"] = {100, 101};
  in.addresses["node2"] = {"10.0.0.2"};
  return in;
}

TEST(StartCheck, EveryRankThere) {
  const std::vector<rendezvous::PeerInfo> peers = {
      {"10.0.0.1", "head", 100}, {"10.0.0.1", "head", 101}, {"10.0.0.2", "node2", 7}, {"10.0.0.2", "node2", 8}};
  EXPECT_TRUE(missing_ranks(two_hosts(), peers, check_inputs()).empty());
}

TEST(StartCheck, NamesHostsWithMissingRanks) {
  // node2's ranks never came; one local rank opened two clients (counted once).
  const std::vector<rendezvous::PeerInfo> peers = {
      {"127.0.0.1", "head", 100}, {"127.0.0.1", "head", 100}, {"127.0.0.1", "head", 101}};
  const auto missing = missing_ranks(two_hosts(), peers, check_inputs());
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].host, "node2");
  EXPECT_EQ(describe_missing(missing), "node2 (0 of 2 ranks)");
}

TEST(StartCheck, MatchesRemoteRanksByHostNameAndLocalWrappersByAddress) {
  // node2's connections come through NAT (unknown address) but say their name;
  // the local ranks run under a wrapper script (other pids).
  const std::vector<rendezvous::PeerInfo> peers = {
      {"172.16.0.9", "node2.cluster", 7}, {"172.16.0.9", "node2", 8}, {"127.0.0.1", "head", 555},
      {"10.0.0.1", "head", 556}};
  EXPECT_TRUE(missing_ranks(two_hosts(), peers, check_inputs()).empty());
  // A stranger from elsewhere does not count for this machine.
  const std::vector<rendezvous::PeerInfo> strangers = {{"192.168.1.5", "laptop", 100}};
  EXPECT_EQ(describe_missing(missing_ranks(two_hosts(), strangers, check_inputs())),
            "head (0 of 2 ranks), node2 (0 of 2 ranks)");
}

}  // namespace
}  // namespace ringtail::launcher
