#pragma once
// The Oxford-IIIT Pet data set in its published layout:
//   ROOT/images/<Breed>_<n>.jpg
//   ROOT/annotations/trainval.txt, test.txt   ("Image CLASS-ID SPECIES BREED-ID")
// Opening it reads both annotation files and probes every listed image once
// (format, size, channels; no decoding). Files that cannot be used are skipped,
// files that decode with a conversion (PNG or GIF data behind .jpg, CMYK, alpha,
// grayscale) are kept; both lists are in report(), which the program prints
// once. A validation split is carved from trainval by a seeded stratified draw.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "ringtail/pets/breeds.h"

namespace ringtail::pets {

enum class PetsSplit {
  trainval,  // all of trainval.txt
  train,     // trainval minus the validation draw
  val,       // the validation draw
  test,      // test.txt
};

struct PetRecord {
  std::string name;            // "Abyssinian_100"
  std::filesystem::path path;  // ROOT/images/Abyssinian_100.jpg
  int label = 0;               // 0-based class (CLASS-ID - 1)
  Species species = Species::cat;
  int width = 0;               // from the file header
  int height = 0;
};

struct FileIssue {
  std::string name;   // image name as in the annotation file
  std::string where;  // "annotations/test.txt:17"
  std::string what;   // "PNG data behind a .jpg name (decoded as PNG)"
};

struct DataReport {
  std::size_t listed = 0;            // images named by the annotation files
  std::vector<FileIssue> skipped;    // not usable: missing, empty, unreadable, no decoder
  std::vector<FileIssue> converted;  // usable after a conversion the decoder makes
  // Multi-line text: counts, then every skipped and converted name with its reason.
  std::string describe() const;
};

struct OxfordPetsOptions {
  std::filesystem::path root;
  double val_fraction = 0.1;   // of each class in trainval; 0 = no validation split
  std::uint64_t split_seed = 0;
};

class OxfordPets {
 public:
  // Throws ringtail::Error naming the folder, or the file and line, that is wrong.
  explicit OxfordPets(const OxfordPetsOptions& options);

  const std::vector<std::string>& class_names() const { return class_names_; }
  int num_classes() const { return static_cast<int>(class_names_.size()); }
  const std::vector<PetRecord>& records(PetsSplit split) const;
  const DataReport& report() const { return report_; }
  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
  std::vector<std::string> class_names_;
  std::vector<PetRecord> trainval_, train_, val_, test_;
  DataReport report_;
};

PetsSplit parse_pets_split(const std::string& name);  // "trainval", "train", "val", "test"
std::string_view to_string(PetsSplit split);

// Splits labelled items into (train, validation) per class: round(fraction * n)
// of each class, at least one when fraction > 0 and the class has two or more,
// chosen by `seed`. Returns the validation positions, sorted.
std::vector<std::size_t> stratified_draw(const std::vector<int>& labels, double fraction,
                                         std::uint64_t seed);

}  // namespace ringtail::pets
