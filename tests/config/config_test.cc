// Unit tests of core::Config: defaults, parsing, validation messages, and that
// docs/configuration.md lists every variable.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "ringtail/collectives/error.h"
#include "ringtail/core/config.h"

namespace ringtail::core {
namespace {

std::string error_of(const std::map<std::string, std::string>& vars) {
  try {
    Config::from_variables(vars);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
    return e.what();
  }
  return "";
}

TEST(Config, DefaultsWithoutVariables) {
  const Config c = Config::from_variables({});
  EXPECT_EQ(c.world.backend, "mpi");
  EXPECT_EQ(c.fusion_threshold_bytes, std::size_t{64} << 20);
  EXPECT_EQ(c.cycle_time, std::chrono::microseconds(1000));
  EXPECT_EQ(c.allreduce, AllreduceAlgorithm::automatic);
  EXPECT_EQ(c.stall_check_seconds, 60.0);
  EXPECT_EQ(c.stall_shutdown_seconds, 0.0);
  EXPECT_EQ(c.world.rank, -1);
}

TEST(Config, ParsesEveryKindOfValue) {
  const Config c = Config::from_variables({{"RINGTAIL_BACKEND", "gloo"},
                                           {"RINGTAIL_RANK", "2"},
                                           {"RINGTAIL_SIZE", "4"},
                                           {"RINGTAIL_FUSION_THRESHOLD", "0"},
                                           {"RINGTAIL_CYCLE_TIME_MS", "2.5"},
                                           {"RINGTAIL_ALLREDUCE", "hierarchical"},
                                           {"RINGTAIL_CHECK_ACROSS_RANKS", "yes"},
                                           {"RINGTAIL_LOG_LEVEL", "debug"},
                                           {"RINGTAIL_TIMEOUT_SECONDS", "1.5"},
                                           {"RINGTAIL_RING_SEGMENT_BYTES", "65536"},
                                           {"RINGTAIL_SHM_AREA_BYTES", "131072"},
                                           {"PATH", "/usr/bin"}});
  EXPECT_EQ(c.world.backend, "gloo");
  EXPECT_EQ(c.world.rank, 2);
  EXPECT_EQ(c.world.size, 4);
  EXPECT_EQ(c.fusion_threshold_bytes, 0u);
  EXPECT_EQ(c.cycle_time, std::chrono::microseconds(2500));
  EXPECT_EQ(c.allreduce, AllreduceAlgorithm::hierarchical);
  EXPECT_TRUE(c.world.check_across_ranks);
  EXPECT_EQ(c.log_level, log::Level::debug);
  EXPECT_EQ(c.world.timeout, std::chrono::milliseconds(1500));
  // Two knobs: tuning the ring's segment leaves the shm areas alone.
  EXPECT_EQ(c.ring_segment_bytes, 65536u);
  EXPECT_EQ(c.shm_area_bytes, 131072u);
}

TEST(Config, RankAndSizeComeFromOpenMpiUnlessSet) {
  const Config c = Config::from_variables({{"OMPI_COMM_WORLD_RANK", "1"}, {"OMPI_COMM_WORLD_SIZE", "3"}});
  EXPECT_EQ(c.world.rank, 1);
  EXPECT_EQ(c.world.size, 3);
  const Config d = Config::from_variables(
      {{"OMPI_COMM_WORLD_RANK", "1"}, {"OMPI_COMM_WORLD_SIZE", "3"}, {"RINGTAIL_RANK", "0"}});
  EXPECT_EQ(d.world.rank, 0);
}

TEST(Config, BadValuesNameTheVariableAndTheExpectation) {
  EXPECT_NE(error_of({{"RINGTAIL_FUSION_THRESHOLD", "64MB"}}).find("RINGTAIL_FUSION_THRESHOLD='64MB'"), std::string::npos);
  EXPECT_NE(error_of({{"RINGTAIL_ALLREDUCE", "tree"}}).find("native, ring, hierarchical, shm or auto"), std::string::npos);
  EXPECT_NE(error_of({{"RINGTAIL_CYCLE_TIME_MS", "-1"}}).find("non-negative"), std::string::npos);
  EXPECT_NE(error_of({{"RINGTAIL_TIMEOUT_SECONDS", "0"}}).find("positive"), std::string::npos);
  EXPECT_NE(error_of({{"RINGTAIL_SHM_AREA_BYTES", "1073741824"}}).find("RINGTAIL_SHM_AREA_BYTES"), std::string::npos);
  EXPECT_NE(error_of({{"RINGTAIL_LOG_LEVEL", "loud"}}).find("RINGTAIL_LOG_LEVEL"), std::string::npos);
  EXPECT_NE(error_of({{"RINGTAIL_RANK", "4"}, {"RINGTAIL_SIZE", "4"}}).find("not below"), std::string::npos);
  EXPECT_NE(error_of({{"RINGTAIL_STALL_CHECK_SECONDS", "60"}, {"RINGTAIL_STALL_SHUTDOWN_SECONDS", "10"}})
                .find("RINGTAIL_STALL_SHUTDOWN_SECONDS"),
            std::string::npos);
}

TEST(Config, UnknownRingtailVariableIsAnErrorListingTheKnownOnes) {
  const std::string message = error_of({{"RINGTAIL_FUSION_TRESHOLD", "1"}});
  EXPECT_NE(message.find("unknown configuration variable RINGTAIL_FUSION_TRESHOLD"), std::string::npos);
  EXPECT_NE(message.find("RINGTAIL_FUSION_THRESHOLD"), std::string::npos);
}

TEST(Config, DocumentationListsEveryVariable) {
  std::ifstream doc(RINGTAIL_SOURCE_DIR "/docs/configuration.md");
  ASSERT_TRUE(doc) << "docs/configuration.md is missing";
  std::stringstream text;
  text << doc.rdbuf();
  for (const auto& [name, help] : config_variables()) {
    EXPECT_NE(text.str().find("`" + name + "`"), std::string::npos)
        << name << " (" << help << ") is not in docs/configuration.md";
  }
}

}  // namespace
}  // namespace ringtail::core
