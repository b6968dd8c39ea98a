#include <gtest/gtest.h>

#include "ringtail/pets/serve/metrics.h"

namespace {

using ringtail::pets::serve::Histogram;
using ringtail::pets::serve::ServeMetrics;

TEST(Histogram, BucketsAreCumulativeWithInfinity) {
  Histogram h({1, 2, 4});
  for (const double v : {0.5, 1.0, 1.5, 3.0, 9.0}) h.observe(v);
  std::string out;
  h.render("x", out);
  EXPECT_EQ(out,
            "x_bucket{le=\"1\"} 2\n"
            "x_bucket{le=\"2\"} 3\n"
            "x_bucket{le=\"4\"} 4\n"
            "x_bucket{le=\"+Inf\"} 5\n"
            "x_sum 15\n"
            "x_count 5\n");
  EXPECT_EQ(h.cumulative(2), 3u);
}

TEST(ServeMetrics, FoldsUnknownPathsAndCountsByLabel) {
  ServeMetrics m;
  m.count_request("/invocations", 200);
  m.count_request("/invocations", 200);
  m.count_request("/a/b", 404);
  m.count_request("/c", 404);
  m.count_error("not_found");
  m.count_error("not_found");
  m.observe_batch(3, 0.01);
  const std::string text = m.render(5);
  EXPECT_NE(text.find("ringtail_serve_requests_total{path=\"/invocations\",code=\"200\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("ringtail_serve_requests_total{path=\"other\",code=\"404\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("ringtail_serve_errors_total{kind=\"not_found\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("ringtail_serve_images_total 3\n"), std::string::npos);
  EXPECT_NE(text.find("ringtail_serve_batch_size_bucket{le=\"4\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("ringtail_serve_queued_images 5\n"), std::string::npos);
  EXPECT_EQ(m.requests("/zzz", 404), 2u);
  // Every line is a comment or "name{labels} value".
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    ASSERT_NE(end, std::string::npos);
    const std::string line = text.substr(start, end - start);
    EXPECT_TRUE(line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0 ||
                line.rfind("ringtail_serve_", 0) == 0)
        << line;
    start = end + 1;
  }
}

}  // namespace
