#include <cctype>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "ringtail/collectives/error.h"
#include "ringtail/pets/annotations.h"
#include "ringtail/pets/breeds.h"
#include "ringtail/pets/image_probe.h"
#include "ringtail/pets/random.h"
#include "ringtail/pets/synth.h"
#include "synth/encoders.h"
#include "synth/render.h"
#include "temp_dir.h"

namespace fs = std::filesystem;

namespace ringtail::pets {
namespace {

SynthOptions small_options(const fs::path& out) {
  SynthOptions options;
  options.out = out;
  options.classes = 6;
  options.per_class = 6;
  options.size = 64;
  options.seed = 11;
  options.bad_per_kind = 1;
  return options;
}

std::vector<std::uint8_t> bytes_of(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(Synth, WritesTheOxfordLayout) {
  ringtail_test::TempDir dir;
  const SynthOptions options = small_options(dir.path());
  const SynthResult result = generate_synthetic_pets(options);
  EXPECT_EQ(result.images, 36u);
  EXPECT_EQ(result.trainval + result.test, 36u);
  EXPECT_EQ(result.test, 18u);  // test_fraction 0.5 of 6 per class

  // Only images/ and annotations/ plus the manifest at the root.
  std::set<std::string> top;
  for (const auto& entry : fs::directory_iterator(dir.path())) top.insert(entry.path().filename().string());
  EXPECT_EQ(top, (std::set<std::string>{"annotations", "images", "synth_manifest.txt"}));
  std::set<std::string> annotation_files;
  for (const auto& entry : fs::directory_iterator(dir / "annotations")) {
    annotation_files.insert(entry.path().filename().string());
  }
  EXPECT_EQ(annotation_files, (std::set<std::string>{"list.txt", "test.txt", "trainval.txt"}));

  const auto list = read_annotation_file(dir / "annotations" / "list.txt");
  const auto trainval = read_annotation_file(dir / "annotations" / "trainval.txt");
  const auto test = read_annotation_file(dir / "annotations" / "test.txt");
  EXPECT_EQ(list.size(), 36u);
  EXPECT_EQ(trainval.size() + test.size(), list.size());
  std::set<std::string> split_names;
  std::map<int, int> per_class;
  for (const auto* lines : {&trainval, &test}) {
    for (const auto& line : *lines) {
      EXPECT_TRUE(split_names.insert(line.image).second) << line.image << " listed twice";
      ++per_class[line.class_id];
      // CLASS-ID, SPECIES and BREED-ID agree with the real set and the file name.
      const Breed& breed = oxford_breeds()[static_cast<std::size_t>(line.class_id - 1)];
      EXPECT_EQ(breed_from_image_name(line.image), breed.name);
      EXPECT_EQ(line.species, static_cast<int>(breed.species));
      EXPECT_EQ(line.breed_id, breed.breed_id);
      EXPECT_EQ(std::isupper(static_cast<unsigned char>(line.image[0])) != 0, line.species == 1);
    }
  }
  EXPECT_EQ(per_class.size(), 6u);
  for (const auto& [cls, count] : per_class) EXPECT_EQ(count, 6) << "class " << cls;

  // Every listed image has its .jpg except the planted missing ones; nothing else is in images/.
  std::set<std::string> missing;
  for (const auto& planted : result.planted) {
    if (planted.kind == BadFileKind::missing) missing.insert(planted.name);
  }
  std::set<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir / "images")) files.insert(entry.path().filename().string());
  for (const auto& line : list) {
    EXPECT_EQ(files.count(line.image + ".jpg"), missing.count(line.image) ? 0u : 1u) << line.image;
  }
  EXPECT_EQ(files.size(), list.size() - missing.size());

  // The manifest names every planted file with its kind.
  std::ifstream manifest(dir / "synth_manifest.txt");
  const std::string text((std::istreambuf_iterator<char>(manifest)), std::istreambuf_iterator<char>());
  for (const auto& planted : result.planted) {
    EXPECT_NE(text.find(planted.name + " " + std::string(to_string(planted.kind))), std::string::npos);
  }
}

TEST(Synth, PlantsOneBadFileOfEachKind) {
  ringtail_test::TempDir dir;
  const SynthResult result = generate_synthetic_pets(small_options(dir.path()));
  const auto kinds = plantable_bad_file_kinds();
  ASSERT_EQ(result.planted.size(), kinds.size());
  std::set<BadFileKind> seen;
  for (const auto& planted : result.planted) {
    seen.insert(planted.kind);
    const ImageInfo info = probe_image_file(dir / "images" / (planted.name + ".jpg"));
    switch (planted.kind) {
      case BadFileKind::png_data: EXPECT_EQ(info.format, ImageFormat::png); break;
      case BadFileKind::gif_data:
        EXPECT_EQ(info.format, ImageFormat::gif);
        EXPECT_FALSE(info.truncated);
        break;
      case BadFileKind::cmyk:
        EXPECT_EQ(info.format, ImageFormat::jpeg);
        EXPECT_EQ(info.channels, 4);
        break;
      case BadFileKind::alpha:
        EXPECT_EQ(info.format, ImageFormat::png);
        EXPECT_TRUE(info.has_alpha);
        break;
      case BadFileKind::grayscale:
        EXPECT_EQ(info.format, ImageFormat::jpeg);
        EXPECT_EQ(info.channels, 1);
        break;
      case BadFileKind::truncated:
        EXPECT_EQ(info.format, ImageFormat::jpeg);
        EXPECT_TRUE(info.truncated);
        break;
      case BadFileKind::garbage: EXPECT_EQ(info.format, ImageFormat::unknown); break;
      case BadFileKind::empty: EXPECT_EQ(info.format, ImageFormat::empty); break;
      case BadFileKind::missing: EXPECT_EQ(info.format, ImageFormat::missing); break;
    }
  }
  EXPECT_EQ(seen.size(), kinds.size());
}

TEST(Synth, SameSeedSameBytesOtherSeedOtherImages) {
  ringtail_test::TempDir a, b, c;
  SynthOptions options = small_options(a.path());
  options.bad_per_kind = 0;
  generate_synthetic_pets(options);
  options.out = b.path();
  generate_synthetic_pets(options);
  options.out = c.path();
  options.seed = 12;
  generate_synthetic_pets(options);
  for (const char* name : {"images/Abyssinian_1.jpg", "images/Bengal_6.jpg", "annotations/test.txt"}) {
    EXPECT_EQ(bytes_of(a / name), bytes_of(b / name)) << name;
  }
  EXPECT_NE(bytes_of(a / "images/Abyssinian_1.jpg"), bytes_of(c / "images/Abyssinian_1.jpg"));
}

TEST(Synth, RefusesToOverwriteUnlessAsked) {
  ringtail_test::TempDir dir;
  SynthOptions options = small_options(dir.path());
  generate_synthetic_pets(options);
  try {
    generate_synthetic_pets(options);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--overwrite"), std::string::npos);
  }
  options.overwrite = true;
  options.per_class = 4;
  EXPECT_EQ(generate_synthetic_pets(options).images, 24u);
  EXPECT_FALSE(fs::exists(dir / "images" / "Abyssinian_6.jpg"));  // the old set is gone
}

TEST(Synth, RejectsBadOptions) {
  ringtail_test::TempDir dir;
  auto expect_error = [&](auto change, const char* needle) {
    SynthOptions options = small_options(dir / "set");
    change(options);
    try {
      generate_synthetic_pets(options);
      ADD_FAILURE() << "no error for " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error([](SynthOptions& o) { o.classes = 38; }, "--classes");
  expect_error([](SynthOptions& o) { o.classes = 0; }, "--classes");
  expect_error([](SynthOptions& o) { o.per_class = 0; }, "--per-class");
  expect_error([](SynthOptions& o) { o.size = 8; }, "--size");
  expect_error([](SynthOptions& o) { o.test_fraction = 1.0; }, "--test-fraction");
  expect_error([](SynthOptions& o) { o.bad_per_kind = 3; }, "bad files");
  EXPECT_FALSE(fs::exists(dir / "set" / "images"));
}

TEST(SynthRender, ClassesHaveDistinctLooks) {
  std::set<std::pair<int, int>> shape_pattern;
  std::set<std::pair<int, int>> shape_hue;
  for (int c = 0; c < kOxfordClasses; ++c) {
    const synth::ClassLook look = synth::class_look(c);
    shape_pattern.insert({static_cast<int>(look.shape), static_cast<int>(look.pattern)});
    shape_hue.insert({static_cast<int>(look.shape), static_cast<int>(look.hue_degrees)});
  }
  EXPECT_EQ(shape_pattern.size(), static_cast<std::size_t>(kOxfordClasses));
  // Colour and shape together also tell classes apart, but colour alone does not.
  EXPECT_EQ(shape_hue.size(), static_cast<std::size_t>(kOxfordClasses));
}

TEST(SynthRender, CmykJpegDecodesToTheOriginalColours) {
  if (!synth::cmyk_jpeg_supported()) GTEST_SKIP() << "built without libjpeg: no CMYK writer";
  Rng rng(5);
  const cv::Mat image = synth::render_pet(3, {96, 80}, rng);
  const std::vector<std::uint8_t> cmyk = synth::encode_cmyk_jpeg(image, 95);
  const ImageInfo info = probe_image_bytes(cmyk.data(), cmyk.size());
  EXPECT_EQ(info.channels, 4);
  const cv::Mat decoded = cv::imdecode(cmyk, cv::IMREAD_COLOR);
  ASSERT_EQ(decoded.size(), image.size());
  const cv::Scalar error = cv::mean(cv::abs(cv::Mat_<cv::Vec3s>(decoded) - cv::Mat_<cv::Vec3s>(image)));
  for (int c = 0; c < 3; ++c) EXPECT_LT(error[c], 8.0) << "channel " << c;
}

TEST(SynthRender, GifHasTheImageSizeAndATrailer) {
  Rng rng(6);
  const cv::Mat image = synth::render_pet(0, {70, 50}, rng);
  const auto gif = synth::encode_gif(image);
  const ImageInfo info = probe_image_bytes(gif.data(), gif.size());
  EXPECT_EQ(info.format, ImageFormat::gif);
  EXPECT_EQ(info.width, 70);
  EXPECT_EQ(info.height, 50);
  EXPECT_FALSE(info.truncated);
}

}  // namespace
}  // namespace ringtail::pets
