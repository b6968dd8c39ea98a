// Host lists (-H) and hostfiles: what they accept and the errors for what they
// do not, each naming where it was written.

#include <gtest/gtest.h>

#include <sstream>

#include "ringtail/collectives/error.h"
#include "ringtail/launcher/hosts.h"

namespace ringtail::launcher {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

std::vector<HostSpec> hostfile(const std::string& text) {
  std::istringstream in(text);
  return parse_hostfile(in, "hosts.txt");
}

TEST(HostList, ParsesHostsWithAndWithoutSlots) {
  const auto hosts = parse_host_list("node1:4,10.0.0.2:8,node3");
  ASSERT_EQ(hosts.size(), 3u);
  EXPECT_EQ(hosts[0].name, "node1");
  EXPECT_EQ(hosts[0].slots, 4);
  EXPECT_EQ(hosts[1].name, "10.0.0.2");
  EXPECT_EQ(hosts[1].slots, 8);
  EXPECT_EQ(hosts[2].name, "node3");
  EXPECT_FALSE(hosts[2].slots.has_value());
}

TEST(HostList, RejectsBadEntries) {
  EXPECT_NE(error_of([] { parse_host_list("node1:four"); }).find("-H entry 1: slots 'four'"), std::string::npos);
  EXPECT_NE(error_of([] { parse_host_list("a:1,b:0"); }).find("-H entry 2"), std::string::npos);
  EXPECT_NE(error_of([] { parse_host_list("a,,b"); }).find("empty"), std::string::npos);
  EXPECT_NE(error_of([] { parse_host_list("a:2,"); }).find("-H"), std::string::npos);
  EXPECT_NE(error_of([] { parse_host_list("a:2,a:2"); }).find("listed again"), std::string::npos);
  EXPECT_NE(error_of([] { parse_host_list("a b"); }).find("contains ' '"), std::string::npos);
  // ssh would take it for an option.
  EXPECT_NE(error_of([] { parse_host_list("a:1,-oProxyCommand:1"); }).find("-H entry 2: host name '-oProxyCommand' starts with '-'"),
            std::string::npos);
  EXPECT_NE(error_of([] { hostfile("node1 slots=2\n-oProxyCommand slots=1\n"); }).find("hosts.txt line 2"),
            std::string::npos);
}

TEST(Hostfile, ParsesSlotsInstancesCommentsAndBlankLines) {
  const auto hosts = hostfile(
      "# the p3 node\n"
      "node1 slots=4\n"
      "\n"
      "node2 instance=p4d.24xlarge   # eight A100\n"
      "node3 instance=p3.8xlarge slots=2\n");
  ASSERT_EQ(hosts.size(), 3u);
  EXPECT_EQ(hosts[0].slots, 4);
  EXPECT_TRUE(hosts[0].instance.empty());
  EXPECT_EQ(hosts[1].instance, "p4d.24xlarge");
  EXPECT_FALSE(hosts[1].slots.has_value());
  EXPECT_EQ(hosts[2].slots, 2);
  EXPECT_EQ(hosts[2].origin, "hosts.txt line 5");
}

TEST(Hostfile, BadLinesNameTheirLineNumber) {
  struct Case {
    const char* text;
    const char* expected;
  } cases[] = {
      {"a slots=2\nb slots=x\n", "hosts.txt line 2: slots 'x'"},
      {"a slots=2\n\n# c\nb instance=p5.48xlarge\n", "hosts.txt line 4: unknown instance type 'p5.48xlarge'"},
      {"a slots=2\nb max_slots=4\n", "hosts.txt line 2: unknown setting 'max_slots'"},
      {"a slots\n", "hosts.txt line 1: 'slots' is not key=value"},
      {"a slots=1 slots=2\n", "hosts.txt line 1: slots is given twice"},
      {"a slots=1\nb slots=1\na slots=2\n", "hosts.txt line 3: host 'a' is listed again (first at hosts.txt line 1)"},
      {"# nothing\n\n", "hosts.txt: the hostfile lists no hosts"},
      {"a slots=0\n", "hosts.txt line 1: slots '0'"},
  };
  for (const auto& c : cases) {
    const std::string what = error_of([&] { hostfile(c.text); });
    EXPECT_NE(what.find(c.expected), std::string::npos) << "got: " << what << "\nexpected: " << c.expected;
  }
}

TEST(Hostfile, UnknownInstanceListsTheKnownOnes) {
  const std::string what = error_of([] { hostfile("a instance=p3.large\n"); });
  EXPECT_NE(what.find("p4de.24xlarge"), std::string::npos) << what;
}

TEST(Hostfile, MissingFileIsAnError) {
  EXPECT_NE(error_of([] { read_hostfile("/nonexistent/hosts"); }).find("/nonexistent/hosts"), std::string::npos);
}

}  // namespace
}  // namespace ringtail::launcher
