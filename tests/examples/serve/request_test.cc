// The request path without HTTP: content types, k, base64, image checks,
// answers and error bodies.
#include <gtest/gtest.h>

#include <utility>

#include <nlohmann/json.hpp>

#include "ringtail/pets/serve/base64.h"
#include "ringtail/pets/serve/request.h"
#include "test_model.h"

namespace {

using nlohmann::json;
using namespace ringtail::pets::serve;

ringtail::pets::EvalTransform small_transform() {
  ringtail::pets::EvalTransform t;
  t.size = 16;
  t.resize = 18;
  return t;
}

template <typename F>
RequestError request_error(F&& f) {
  try {
    f();
  } catch (const RequestError& e) {
    return e;
  }
  ADD_FAILURE() << "no RequestError";
  return RequestError(0, "", "");
}

TEST(Base64, RoundTripsEveryLength) {
  std::vector<std::uint8_t> bytes;
  for (int n = 0; n < 20; ++n) {
    const std::string text = encode_base64(bytes.data(), bytes.size());
    EXPECT_EQ(text.size() % 4, 0u);
    const auto back = decode_base64(text);
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(*back, bytes);
    bytes.push_back(static_cast<std::uint8_t>(n * 37 + 250));
  }
  EXPECT_EQ(encode_base64(reinterpret_cast<const std::uint8_t*>("Man"), 3), "TWFu");
}

TEST(Base64, AcceptsUnpaddedUrlSafeAndWrappedInput) {
  EXPECT_EQ(*decode_base64("TWE"), (std::vector<std::uint8_t>{'M', 'a'}));
  EXPECT_EQ(*decode_base64("TW\r\nE=\n"), (std::vector<std::uint8_t>{'M', 'a'}));
  EXPECT_EQ(*decode_base64("-_8"), *decode_base64("+/8="));
}

TEST(Base64, RejectsMalformedInput) {
  for (const char* bad : {"T", "TWFuT", "TW=u", "TWE==", "TQ=", "T*==", "====", "TWFu=", "é"}) {
    std::string_view why;
    EXPECT_FALSE(decode_base64(bad, &why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
}

TEST(Request, ContentTypes) {
  EXPECT_EQ(classify_content_type("image/jpeg"), Payload::image);
  EXPECT_EQ(classify_content_type(" IMAGE/PNG ; x=y"), Payload::image);
  EXPECT_EQ(classify_content_type("application/x-image"), Payload::image);
  EXPECT_EQ(classify_content_type("application/json; charset=utf-8"), Payload::json);
  for (const char* bad : {"", "text/plain", "image/gif", "application/jsonx", ";", "image/jpeg2"}) {
    const RequestError e = request_error([&] { classify_content_type(bad); });
    EXPECT_EQ(e.status(), 415) << bad;
    EXPECT_EQ(e.kind(), "unsupported_media_type");
  }
}

TEST(Request, TopK) {
  EXPECT_EQ(parse_top_k(nullptr, 5, 37), 5);
  EXPECT_EQ(parse_top_k(nullptr, 5, 3), 3);  // the default is capped at the class count
  const std::string seven = "7";
  EXPECT_EQ(parse_top_k(&seven, 5, 37), 7);
  for (const std::string bad : {"0", "38", "-2", "x", "7 ", "1e1", "", "99999999999999999999"}) {
    const RequestError e = request_error([&] { parse_top_k(&bad, 5, 37); });
    EXPECT_EQ(e.status(), 400) << bad;
    EXPECT_EQ(e.kind(), "bad_parameter");
  }
}

TEST(Request, SageMakerCustomAttributes) {
  EXPECT_EQ(custom_attribute("k=3", "k"), "3");
  EXPECT_EQ(custom_attribute("trace=abc, K = 7 ;x=1", "k"), "7");
  EXPECT_EQ(custom_attribute("kk=2;k=", "k"), "");
  EXPECT_FALSE(custom_attribute("", "k"));
  EXPECT_FALSE(custom_attribute("kk=2,trace=k=4", "k"));
}

TEST(Request, PreprocessesLikeTheEvaluationTransform) {
  const auto bytes = ringtail_test::encode(ringtail_test::test_picture(40, 30, 3), ".png");
  const auto t = small_transform();
  const auto served = preprocess_image(bytes.data(), bytes.size(), t, {}, "x");
  std::vector<float> evaluated(3 * 16 * 16);
  ringtail::pets::eval_transform(ringtail::pets::decode_image(bytes.data(), bytes.size(), "x"), t,
                                 evaluated.data());
  EXPECT_EQ(served, evaluated);
}

TEST(Request, RefusesImagesBeforeDecodingThem) {
  const auto t = small_transform();
  const auto jpeg = ringtail_test::encode(ringtail_test::test_picture(40, 30, 3), ".jpg");
  // A PNG header that claims 100000 x 100000 pixels.
  auto huge = ringtail_test::encode(ringtail_test::test_picture(4, 4, 1), ".png");
  for (const int offset : {16, 20}) {
    huge[offset] = 0x00;
    huge[offset + 1] = 0x01;
    huge[offset + 2] = 0x86;
    huge[offset + 3] = 0xA0;
  }
  struct Case {
    const char* what;
    std::vector<std::uint8_t> bytes;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"empty", {}, "empty"},
      {"garbage", {'h', 'e', 'l', 'l', 'o'}, "not a JPEG or PNG"},
      {"gif", {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0, 0, 0, 0x3B}, "found GIF"},
      {"truncated", std::vector<std::uint8_t>(jpeg.begin(), jpeg.end() - 40), "truncated"},
      {"huge", huge, "pixels"},
      {"header only", std::vector<std::uint8_t>(jpeg.begin(), jpeg.begin() + 3), ""},
  };
  for (const auto& c : cases) {
    const RequestError e = request_error(
        [&] { preprocess_image(c.bytes.data(), c.bytes.size(), t, {}, "image 2"); });
    EXPECT_EQ(e.status(), 400) << c.what;
    EXPECT_NE(std::string(e.what()).find("image 2"), std::string::npos) << c.what << ": " << e.what();
    EXPECT_NE(std::string(e.what()).find(c.expected), std::string::npos) << c.what << ": " << e.what();
  }
}

// A thin strip has few pixels, but the evaluation transform scales its shorter
// side to `resize` first: 1000 x 1 at resize 64 would become 64000 x 64.
TEST(Request, RefusesImagesWhoseResizeWouldBeHuge) {
  ringtail::pets::EvalTransform t;
  t.size = 56;
  t.resize = 64;
  RequestLimits limits;
  limits.max_image_pixels = 1'000'000;
  for (const auto& [width, height] : {std::pair{1000, 1}, std::pair{2, 1000}}) {
    const auto strip = ringtail_test::encode(ringtail_test::test_picture(width, height, 4), ".png");
    const RequestError e = request_error(
        [&] { preprocess_image(strip.data(), strip.size(), t, limits, "image 1"); });
    EXPECT_EQ(e.status(), 400) << width << "x" << height;
    EXPECT_EQ(e.kind(), "bad_image");
    EXPECT_NE(std::string(e.what()).find("image 1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("aspect ratio"), std::string::npos) << e.what();
  }
  // Within the bound: 1000 x 64 becomes 1000 x 64 (64000 pixels).
  const auto wide = ringtail_test::encode(ringtail_test::test_picture(1000, 64, 4), ".png");
  EXPECT_EQ(preprocess_image(wide.data(), wide.size(), t, limits, "wide").size(), 3u * 56 * 56);
  // A model whose resize square alone exceeds the bound still takes square images.
  limits.max_image_pixels = 1000;
  const auto square = ringtail_test::encode(ringtail_test::test_picture(30, 30, 4), ".png");
  EXPECT_EQ(preprocess_image(square.data(), square.size(), t, limits, "square").size(), 3u * 56 * 56);
}

TEST(Request, JsonBodies) {
  const auto t = small_transform();
  const auto png = ringtail_test::encode(ringtail_test::test_picture(20, 20, 5), ".png");
  const std::string b64 = encode_base64(png.data(), png.size());
  for (const json& body : {json::array({b64, b64}), json{{"instances", {b64, {{"b64", b64}}}}}}) {
    const Invocation inv = parse_invocation("application/json", body.dump(), t, {});
    EXPECT_TRUE(inv.list);
    ASSERT_EQ(inv.images.size(), 2u);
    EXPECT_EQ(inv.images[0], inv.images[1]);
    EXPECT_EQ(inv.images[0].size(), 3u * 16 * 16);
  }
  RequestLimits one;
  one.max_images = 1;
  EXPECT_EQ(request_error([&] { parse_invocation("application/json", json::array({b64, b64}).dump(), t, one); })
                .status(),
            413);
  for (const std::string bad : {"{", "{}", "{\"instances\": 3}", "[3]", "[{\"b64\": 3}]", "[\"!!\"]",
                                "{\"instances\": [], \"k\": 3}", "[]", "null"}) {
    const RequestError e = request_error([&] { parse_invocation("application/json", bad, t, {}); });
    EXPECT_EQ(e.status(), 400) << bad;
    EXPECT_EQ(e.kind(), "bad_json") << bad;
  }
  EXPECT_EQ(request_error([&] { parse_invocation("application/json", "", t, {}); }).kind(), "empty_body");
}

TEST(Request, AnswersTopKMostProbableFirstWithTiesByClassIndex) {
  Invocation single;
  single.images.resize(1);
  const std::vector<std::string> classes = {"a", "b", "c", "d"};
  const json one = json::parse(predictions_body(single, {{0.1f, 0.4f, 0.1f, 0.4f}}, classes, 3));
  ASSERT_EQ(one["predictions"].size(), 3u);
  EXPECT_EQ(one["predictions"][0]["label"], "b");
  EXPECT_EQ(one["predictions"][1]["label"], "d");
  EXPECT_EQ(one["predictions"][2]["class_index"], 0);
  EXPECT_NEAR(one["predictions"][0]["probability"].get<double>(), 0.4, 1e-7);

  Invocation list;
  list.list = true;
  list.images.resize(2);
  const json two = json::parse(
      predictions_body(list, {{0.7f, 0.1f, 0.1f, 0.1f}, {0.1f, 0.1f, 0.1f, 0.7f}}, classes, 1));
  ASSERT_EQ(two["predictions"].size(), 2u);
  EXPECT_EQ(two["predictions"][0][0]["label"], "a");
  EXPECT_EQ(two["predictions"][1][0]["label"], "d");
}

TEST(Request, ErrorBodiesAreValidJsonEvenForBinaryInput) {
  const json body = json::parse(error_body(415, "unsupported_media_type", "bad \xff\xfe type"));
  EXPECT_EQ(body["error"]["status"], 415);
  EXPECT_EQ(body["error"]["kind"], "unsupported_media_type");
}

}  // namespace
