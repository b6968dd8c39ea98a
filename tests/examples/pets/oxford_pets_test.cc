#include <fstream>
#include <map>
#include <memory>
#include <set>

#include <gtest/gtest.h>

#include "ringtail/collectives/error.h"
#include "ringtail/pets/annotations.h"
#include "ringtail/pets/oxford_pets.h"
#include "ringtail/pets/synth.h"
#include "ringtail/pets/transforms.h"
#include "temp_dir.h"

namespace fs = std::filesystem;

namespace ringtail::pets {
namespace {

// One synthetic set (5 classes x 10 images, one bad file of each kind) for the suite.
class OxfordPetsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<ringtail_test::TempDir>();
    SynthOptions options;
    options.out = dir_->path();
    options.classes = 5;
    options.per_class = 10;
    options.size = 48;
    options.seed = 3;
    result_ = std::make_unique<SynthResult>(generate_synthetic_pets(options));
  }
  static void TearDownTestSuite() {
    dir_.reset();
    result_.reset();
  }
  static OxfordPets open(double val_fraction = 0.2, std::uint64_t seed = 0) {
    OxfordPetsOptions options;
    options.root = dir_->path();
    options.val_fraction = val_fraction;
    options.split_seed = seed;
    return OxfordPets(options);
  }
  static std::unique_ptr<ringtail_test::TempDir> dir_;
  static std::unique_ptr<SynthResult> result_;
};
std::unique_ptr<ringtail_test::TempDir> OxfordPetsTest::dir_;
std::unique_ptr<SynthResult> OxfordPetsTest::result_;

std::string error_of(const fs::path& root) {
  try {
    OxfordPetsOptions options;
    options.root = root;
    OxfordPets pets(options);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error opening " << root;
  return {};
}

// Copies the suite's set so a test can break it.
void copy_set(const fs::path& from, const fs::path& to) {
  fs::copy(from, to, fs::copy_options::recursive);
}

void append(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::app) << text;
}

TEST_F(OxfordPetsTest, SkipsAndConvertsThePlantedFilesAndReportsThem) {
  const OxfordPets pets = open();
  const DataReport& report = pets.report();
  EXPECT_EQ(report.listed, 50u);

  std::map<std::string, std::string> skipped, converted;
  for (const auto& issue : report.skipped) skipped[issue.name] = issue.what;
  for (const auto& issue : report.converted) converted[issue.name] = issue.what;
  std::size_t expected_skips = 0;
  for (const auto& planted : result_->planted) {
    const std::string kind(to_string(planted.kind));
    if (is_convertible(planted.kind)) {
      ASSERT_EQ(converted.count(planted.name), 1u) << kind << " " << planted.name << " not converted";
      EXPECT_EQ(skipped.count(planted.name), 0u);
    } else {
      ASSERT_EQ(skipped.count(planted.name), 1u) << kind << " " << planted.name << " not skipped";
      ++expected_skips;
    }
    const std::string why = is_convertible(planted.kind) ? converted[planted.name] : skipped[planted.name];
    const std::map<BadFileKind, std::string> reason = {
        {BadFileKind::png_data, "PNG data behind a .jpg name"},
        {BadFileKind::gif_data, "GIF data"},
        {BadFileKind::cmyk, "CMYK"},
        {BadFileKind::alpha, "alpha channel dropped"},
        {BadFileKind::grayscale, "grayscale"},
        {BadFileKind::truncated, "truncated"},
        {BadFileKind::garbage, "unreadable"},
        {BadFileKind::empty, "empty"},
        {BadFileKind::missing, "missing"}};
    EXPECT_NE(why.find(reason.at(planted.kind)), std::string::npos) << kind << ": " << why;
  }
  EXPECT_EQ(report.skipped.size(), expected_skips);
  EXPECT_EQ(report.converted.size(), result_->planted.size() - expected_skips);
  EXPECT_EQ(pets.records(PetsSplit::trainval).size() + pets.records(PetsSplit::test).size(),
            50u - expected_skips);

  // The report names every file once, with the annotation line it came from.
  const std::string text = report.describe();
  EXPECT_NE(text.find("50 images listed, " + std::to_string(expected_skips) + " skipped"), std::string::npos);
  for (const auto& planted : result_->planted) {
    EXPECT_NE(text.find(planted.name + " (annotations/"), std::string::npos) << planted.name;
  }
}

TEST_F(OxfordPetsTest, ConvertedFilesDecodeAsColourImages) {
  const OxfordPets pets = open();
  std::set<std::string> converted;
  for (const auto& issue : pets.report().converted) converted.insert(issue.name);
  std::size_t decoded = 0;
  for (PetsSplit split : {PetsSplit::trainval, PetsSplit::test}) {
    for (const auto& record : pets.records(split)) {
      if (!converted.count(record.name)) continue;
      const cv::Mat image = read_image(record.path.string());
      EXPECT_EQ(image.type(), CV_8UC3) << record.name;
      EXPECT_EQ(image.cols, record.width) << record.name;
      EXPECT_EQ(image.rows, record.height) << record.name;
      ++decoded;
    }
  }
  EXPECT_EQ(decoded, converted.size());
}

TEST_F(OxfordPetsTest, ClassNamesComeFromFileNames) {
  const OxfordPets pets = open();
  EXPECT_EQ(pets.class_names(),
            (std::vector<std::string>{"Abyssinian", "american_bulldog", "american_pit_bull_terrier",
                                      "basset_hound", "beagle"}));
  for (const auto& record : pets.records(PetsSplit::trainval)) {
    EXPECT_EQ(record.name.rfind(pets.class_names()[static_cast<std::size_t>(record.label)], 0), 0u);
    EXPECT_EQ(record.species, record.label == 0 ? Species::cat : Species::dog);
    EXPECT_EQ(record.path, dir_->path() / "images" / (record.name + ".jpg"));
  }
}

TEST_F(OxfordPetsTest, ValidationSplitIsStratifiedSeededAndDisjoint) {
  const OxfordPets a = open(0.4, 1);
  const OxfordPets b = open(0.4, 1);
  const OxfordPets c = open(0.4, 2);
  auto names = [](const std::vector<PetRecord>& records) {
    std::vector<std::string> out;
    for (const auto& r : records) out.push_back(r.name);
    return out;
  };
  EXPECT_EQ(names(a.records(PetsSplit::val)), names(b.records(PetsSplit::val)));
  EXPECT_NE(names(a.records(PetsSplit::val)), names(c.records(PetsSplit::val)));

  std::map<int, int> trainval_count, val_count;
  for (const auto& r : a.records(PetsSplit::trainval)) ++trainval_count[r.label];
  for (const auto& r : a.records(PetsSplit::val)) ++val_count[r.label];
  for (const auto& [label, n] : trainval_count) {
    EXPECT_EQ(val_count[label], static_cast<int>(std::lround(0.4 * n))) << "class " << label;
  }
  const auto train_names = names(a.records(PetsSplit::train));
  const auto val_names = names(a.records(PetsSplit::val));
  const std::set<std::string> train(train_names.begin(), train_names.end());
  const std::set<std::string> val(val_names.begin(), val_names.end());
  for (const auto& name : val) EXPECT_EQ(train.count(name), 0u) << name;
  EXPECT_EQ(train.size() + val.size(), a.records(PetsSplit::trainval).size());

  EXPECT_TRUE(open(0.0).records(PetsSplit::val).empty());
  EXPECT_THROW(open(1.0), Error);
}

TEST(StratifiedDraw, EdgeCases) {
  EXPECT_TRUE(stratified_draw({0, 0, 1, 1}, 0.0, 1).empty());
  // A class of one keeps its only example for training; a small fraction still draws one.
  EXPECT_TRUE(stratified_draw({0, 1, 2}, 0.5, 1).empty());
  EXPECT_EQ(stratified_draw({0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0.01, 1).size(), 1u);
  // At least one example of every class stays for training.
  EXPECT_EQ(stratified_draw({3, 3}, 0.9, 1).size(), 1u);
  EXPECT_THROW(stratified_draw({0}, -0.1, 1), Error);
}

TEST_F(OxfordPetsTest, MissingFoldersAreClearErrors) {
  ringtail_test::TempDir scratch;
  EXPECT_NE(error_of(scratch / "nope").find("data folder " + (scratch / "nope").string() + " does not exist"),
            std::string::npos);
  fs::create_directories(scratch / "a" / "annotations");
  EXPECT_NE(error_of(scratch / "a").find("image folder " + (scratch / "a" / "images").string()),
            std::string::npos);
  fs::create_directories(scratch / "b" / "images");
  EXPECT_NE(error_of(scratch / "b").find("annotation folder " + (scratch / "b" / "annotations").string()),
            std::string::npos);
  fs::create_directories(scratch / "c" / "images");
  fs::create_directories(scratch / "c" / "annotations");
  EXPECT_NE(error_of(scratch / "c").find("trainval.txt (it does not exist)"), std::string::npos);
}

TEST_F(OxfordPetsTest, MalformedAnnotationLineNamesFileAndLine) {
  ringtail_test::TempDir scratch;
  const fs::path root = scratch / "set";
  copy_set(dir_->path(), root);
  const std::size_t lines = read_annotation_file(root / "annotations" / "test.txt").size();
  append(root / "annotations" / "test.txt", "Abyssinian_99 1 cat 1\n");
  const std::string message = error_of(root);
  EXPECT_NE(message.find((root / "annotations" / "test.txt").string() + ":" + std::to_string(lines + 1) +
                         ": SPECIES 'cat'"),
            std::string::npos)
      << message;
}

TEST_F(OxfordPetsTest, ConflictingBreedAndDuplicateImageAreErrors) {
  ringtail_test::TempDir scratch;
  const fs::path root = scratch / "set";
  copy_set(dir_->path(), root);
  const std::size_t lines = read_annotation_file(root / "annotations" / "test.txt").size();
  append(root / "annotations" / "test.txt", "Bengal_1 1 1 2\n");  // CLASS-ID 1 is Abyssinian
  std::string message = error_of(root);
  EXPECT_NE(message.find("annotations/test.txt:" + std::to_string(lines + 1) +
                         ": image 'Bengal_1' has CLASS-ID 1, which annotations/"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("gave to breed 'Abyssinian'"), std::string::npos) << message;

  fs::remove_all(root);
  copy_set(dir_->path(), root);
  const auto trainval = read_annotation_file(root / "annotations" / "trainval.txt");
  append(root / "annotations" / "test.txt", trainval[0].image + " 1 1 1\n");
  message = error_of(root);
  EXPECT_NE(message.find("image '" + trainval[0].image + "' is already listed at annotations/trainval.txt:1"),
            std::string::npos)
      << message;

  // One breed under a second CLASS-ID (unused otherwise: the set has 5 classes).
  fs::remove_all(root);
  copy_set(dir_->path(), root);
  append(root / "annotations" / "test.txt", "Abyssinian_999 9 1 5\n");
  message = error_of(root);
  EXPECT_NE(message.find("annotations/test.txt:" + std::to_string(lines + 1) +
                         ": image 'Abyssinian_999' has CLASS-ID 9, but annotations/"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("gave breed 'Abyssinian' CLASS-ID 1"), std::string::npos) << message;

  fs::remove_all(root);
  copy_set(dir_->path(), root);
  append(root / "annotations" / "test.txt", "noseparator 1 1 1\n");
  EXPECT_NE(error_of(root).find("does not end in _<number>"), std::string::npos);
}

TEST(PetsSplit, ParsesNames) {
  EXPECT_EQ(parse_pets_split("val"), PetsSplit::val);
  EXPECT_EQ(to_string(parse_pets_split("trainval")), "trainval");
  EXPECT_THROW(parse_pets_split("validation"), Error);
}

}  // namespace
}  // namespace ringtail::pets
