#include <fstream>

#include <gtest/gtest.h>

#include "ringtail/collectives/error.h"
#include "ringtail/pets/annotations.h"
#include "ringtail/pets/breeds.h"
#include "temp_dir.h"

namespace ringtail::pets {
namespace {

std::string error_of(const std::string& text) {
  try {
    parse_annotations(text, "annotations/test.txt");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
    return e.what();
  }
  ADD_FAILURE() << "no error for: " << text;
  return {};
}

TEST(Annotations, ParsesLinesAndSkipsCommentsAndBlankLines) {
  const auto lines = parse_annotations(
      "#Image CLASS-ID SPECIES BREED ID\n"
      "# another comment\n"
      "Abyssinian_100 1 1 1\n"
      "\n"
      "  yorkshire_terrier_9 37 2 25\r\n",
      "list.txt");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].image, "Abyssinian_100");
  EXPECT_EQ(lines[0].class_id, 1);
  EXPECT_EQ(lines[0].species, 1);
  EXPECT_EQ(lines[0].breed_id, 1);
  EXPECT_EQ(lines[0].line, 3);
  EXPECT_EQ(lines[1].image, "yorkshire_terrier_9");
  EXPECT_EQ(lines[1].class_id, 37);
  EXPECT_EQ(lines[1].species, 2);
  EXPECT_EQ(lines[1].breed_id, 25);
  EXPECT_EQ(lines[1].line, 5);
}

TEST(Annotations, MalformedLinesNameTheFileAndLine) {
  EXPECT_NE(error_of("Abyssinian_1 1 1 1\nAbyssinian_2 1 1\n").find("annotations/test.txt:2: expected 4 fields"),
            std::string::npos);
  EXPECT_NE(error_of("# c\nAbyssinian_2 0 1 1\n").find("annotations/test.txt:2: CLASS-ID '0'"), std::string::npos);
  EXPECT_NE(error_of("Abyssinian_2 38 1 1\n").find(":1: CLASS-ID '38' is not an integer in 1..37"),
            std::string::npos);
  EXPECT_NE(error_of("Abyssinian_2 x 1 1\n").find("CLASS-ID 'x'"), std::string::npos);
  EXPECT_NE(error_of("Abyssinian_2 1 3 1\n").find("SPECIES '3'"), std::string::npos);
  EXPECT_NE(error_of("Abyssinian_2 1 1 0\n").find("BREED-ID '0'"), std::string::npos);
  EXPECT_NE(error_of("Abyssinian_2 1 1 1 extra\n").find("expected 4 fields, found 5"), std::string::npos);
  EXPECT_NE(error_of("../etc_1 1 1 1\n").find("plain file name"), std::string::npos);
  // The message quotes the offending line.
  EXPECT_NE(error_of("Abyssinian_2 1 1\n").find("'Abyssinian_2 1 1'"), std::string::npos);
}

TEST(Annotations, MissingFileIsAClearError) {
  ringtail_test::TempDir dir;
  try {
    read_annotation_file(dir / "trainval.txt");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "trainval.txt").string()), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos);
  }
}

TEST(Annotations, ReadsAFile) {
  ringtail_test::TempDir dir;
  std::ofstream(dir / "test.txt") << "Bengal_3 6 1 2\n";
  const auto lines = read_annotation_file(dir / "test.txt");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].class_id, 6);
}

TEST(Breeds, TableMatchesTheOxfordConvention) {
  const auto& breeds = oxford_breeds();
  int cats = 0;
  int dogs = 0;
  for (const auto& breed : breeds) {
    const bool capital = std::isupper(static_cast<unsigned char>(breed.name[0])) != 0;
    EXPECT_EQ(capital, breed.species == Species::cat) << breed.name;
    EXPECT_EQ(breed.breed_id, breed.species == Species::cat ? ++cats : ++dogs) << breed.name;
  }
  EXPECT_EQ(cats, 12);
  EXPECT_EQ(dogs, 25);
  // CLASS-IDs follow the case-insensitive alphabetical order of the names.
  for (std::size_t i = 1; i < breeds.size(); ++i) {
    std::string a(breeds[i - 1].name), b(breeds[i].name);
    for (auto& c : a) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (auto& c : b) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_LT(a, b);
  }
}

TEST(Breeds, BreedFromImageName) {
  EXPECT_EQ(breed_from_image_name("Abyssinian_100"), "Abyssinian");
  EXPECT_EQ(breed_from_image_name("american_pit_bull_terrier_7"), "american_pit_bull_terrier");
  EXPECT_EQ(breed_from_image_name("Abyssinian"), "");
  EXPECT_EQ(breed_from_image_name("Abyssinian_"), "");
  EXPECT_EQ(breed_from_image_name("Abyssinian_1a"), "");
  EXPECT_EQ(breed_from_image_name("_1"), "");
}

}  // namespace
}  // namespace ringtail::pets
