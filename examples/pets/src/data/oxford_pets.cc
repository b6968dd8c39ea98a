#include "ringtail/pets/oxford_pets.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <unordered_map>

#include <opencv2/imgcodecs.hpp>

#include "ringtail/collectives/error.h"
#include "ringtail/pets/annotations.h"
#include "ringtail/pets/image_probe.h"
#include "ringtail/pets/random.h"

namespace fs = std::filesystem;

namespace ringtail::pets {
namespace {

[[noreturn]] void fail(const std::string& message) {
  throw Error(ErrorKind::invalid_argument, message);
}

void require_directory(const fs::path& dir, const std::string& what) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    fail("Oxford-IIIT Pet: " + what + " " + dir.string() +
         (fs::exists(dir, ec) ? " is not a directory" : " does not exist") +
         " (expected ROOT/images/*.jpg and ROOT/annotations/{trainval,test}.txt)");
  }
}

// Decides what to do with one listed image: returns false (and fills `why`) to
// skip it; returns true and appends to `conversions` when the decoder converts.
bool usable(const fs::path& file, const ImageInfo& info, std::string* why,
            std::vector<std::string>* conversions) {
  const std::string format(to_string(info.format));
  switch (info.format) {
    case ImageFormat::missing: *why = "file is missing"; return false;
    case ImageFormat::empty: *why = "file is empty"; return false;
    case ImageFormat::unknown:
      *why = "unreadable: " + (info.problem.empty() ? "not image data of a known format" : info.problem);
      return false;
    default: break;
  }
  if (!info.problem.empty()) {
    *why = "unreadable: " + info.problem;
    return false;
  }
  if (info.truncated) {
    *why = "unreadable: " + format + " data is truncated";
    return false;
  }
  if (info.format != ImageFormat::jpeg) {
    if (!cv::haveImageReader(file.string())) {
      *why = format + " data behind a .jpg name, and this OpenCV has no " + format + " decoder";
      return false;
    }
    conversions->push_back(format + " data behind a .jpg name");
  }
  if (info.format == ImageFormat::jpeg && info.channels == 4) {
    conversions->push_back("CMYK JPEG converted to RGB");
  } else if (info.channels == 1 || info.channels == 2) {
    conversions->push_back("grayscale expanded to RGB");
  }
  if (info.has_alpha) conversions->push_back("alpha channel dropped");
  return true;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : "; ") + part;
  return out;
}

}  // namespace

std::vector<std::size_t> stratified_draw(const std::vector<int>& labels, double fraction,
                                         std::uint64_t seed) {
  if (!(fraction >= 0.0 && fraction < 1.0)) {
    fail("validation fraction must be in [0, 1), got " + std::to_string(fraction));
  }
  std::map<int, std::vector<std::size_t>> by_label;
  for (std::size_t i = 0; i < labels.size(); ++i) by_label[labels[i]].push_back(i);
  std::vector<std::size_t> drawn;
  for (auto& [label, positions] : by_label) {
    const std::size_t n = positions.size();
    auto k = static_cast<std::size_t>(std::lround(fraction * static_cast<double>(n)));
    if (fraction > 0.0 && n >= 2) k = std::clamp<std::size_t>(k, 1, n - 1);
    if (n < 2) k = 0;
    // One stream per class: adding a class does not change the others' draws.
    Rng rng(combine_seeds(seed, static_cast<std::uint64_t>(label)));
    shuffle(positions, rng);
    drawn.insert(drawn.end(), positions.begin(), positions.begin() + static_cast<long>(k));
  }
  std::sort(drawn.begin(), drawn.end());
  return drawn;
}

OxfordPets::OxfordPets(const OxfordPetsOptions& options) : root_(options.root) {
  require_directory(root_, "data folder");
  const fs::path images = root_ / "images";
  const fs::path annotations = root_ / "annotations";
  require_directory(images, "image folder");
  require_directory(annotations, "annotation folder");
  if (!(options.val_fraction >= 0.0 && options.val_fraction < 1.0)) {
    fail("validation fraction must be in [0, 1), got " + std::to_string(options.val_fraction));
  }

  struct Listed {
    AnnotationLine line;
    std::string where;
    bool test;
  };
  std::vector<Listed> listed;
  for (const char* file : {"trainval.txt", "test.txt"}) {
    for (auto& line : read_annotation_file(annotations / file)) {
      std::string where = std::string("annotations/") + file + ":" + std::to_string(line.line);
      listed.push_back({std::move(line), std::move(where), std::string(file) == "test.txt"});
    }
  }
  if (listed.empty()) fail("Oxford-IIIT Pet: " + annotations.string() + " lists no images");

  // Breed names come from the file names; every image of a class must agree.
  std::map<int, std::pair<std::string, std::string>> breed_of_class;  // id -> (breed, where)
  std::map<std::string, std::pair<int, std::string>> class_of_breed;  // breed -> (id, where)
  std::unordered_map<std::string, std::string> first_listing;         // image -> where
  int max_class = 0;
  for (const auto& item : listed) {
    const auto& line = item.line;
    const std::string breed = breed_from_image_name(line.image);
    if (breed.empty()) {
      fail(item.where + ": image name '" + line.image +
           "' does not end in _<number>, so it names no breed");
    }
    auto [it, inserted] = breed_of_class.emplace(line.class_id, std::make_pair(breed, item.where));
    if (!inserted && it->second.first != breed) {
      fail(item.where + ": image '" + line.image + "' has CLASS-ID " + std::to_string(line.class_id) +
           ", which " + it->second.second + " gave to breed '" + it->second.first + "'");
    }
    // One breed under two CLASS-IDs would be two labels the model cannot tell apart.
    auto [known, first] = class_of_breed.emplace(breed, std::make_pair(line.class_id, item.where));
    if (!first && known->second.first != line.class_id) {
      fail(item.where + ": image '" + line.image + "' has CLASS-ID " + std::to_string(line.class_id) +
           ", but " + known->second.second + " gave breed '" + breed + "' CLASS-ID " +
           std::to_string(known->second.first));
    }
    auto [seen, fresh] = first_listing.emplace(line.image, item.where);
    if (!fresh) fail(item.where + ": image '" + line.image + "' is already listed at " + seen->second);
    max_class = std::max(max_class, line.class_id);
  }
  class_names_.resize(static_cast<std::size_t>(max_class));
  for (int id = 1; id <= max_class; ++id) {
    auto it = breed_of_class.find(id);
    // A class with no image keeps its label slot; the Oxford name is the best guess.
    class_names_[id - 1] =
        it != breed_of_class.end() ? it->second.first : std::string(oxford_breeds()[id - 1].name);
  }

  report_.listed = listed.size();
  for (const auto& item : listed) {
    const auto& line = item.line;
    const fs::path path = images / (line.image + ".jpg");
    const ImageInfo info = probe_image_file(path);
    std::string why;
    std::vector<std::string> conversions;
    if (!usable(path, info, &why, &conversions)) {
      report_.skipped.push_back({line.image, item.where, why});
      continue;
    }
    if (!conversions.empty()) report_.converted.push_back({line.image, item.where, join(conversions)});
    PetRecord record;
    record.name = line.image;
    record.path = path;
    record.label = line.class_id - 1;
    record.species = line.species == 1 ? Species::cat : Species::dog;
    record.width = info.width;
    record.height = info.height;
    (item.test ? test_ : trainval_).push_back(std::move(record));
  }

  std::vector<int> labels;
  labels.reserve(trainval_.size());
  for (const auto& record : trainval_) labels.push_back(record.label);
  const auto drawn = stratified_draw(labels, options.val_fraction, options.split_seed);
  std::size_t next = 0;
  for (std::size_t i = 0; i < trainval_.size(); ++i) {
    if (next < drawn.size() && drawn[next] == i) {
      val_.push_back(trainval_[i]);
      ++next;
    } else {
      train_.push_back(trainval_[i]);
    }
  }
}

const std::vector<PetRecord>& OxfordPets::records(PetsSplit split) const {
  switch (split) {
    case PetsSplit::trainval: return trainval_;
    case PetsSplit::train: return train_;
    case PetsSplit::val: return val_;
    case PetsSplit::test: return test_;
  }
  return test_;
}

std::string DataReport::describe() const {
  std::ostringstream out;
  out << "Oxford-IIIT Pet: " << listed << " images listed, " << skipped.size() << " skipped, "
      << converted.size() << " converted\n";
  for (const auto& issue : skipped) {
    out << "  skipped   " << issue.name << " (" << issue.where << "): " << issue.what << "\n";
  }
  for (const auto& issue : converted) {
    out << "  converted " << issue.name << " (" << issue.where << "): " << issue.what << "\n";
  }
  return out.str();
}

PetsSplit parse_pets_split(const std::string& name) {
  if (name == "trainval") return PetsSplit::trainval;
  if (name == "train") return PetsSplit::train;
  if (name == "val") return PetsSplit::val;
  if (name == "test") return PetsSplit::test;
  fail("unknown split '" + name + "' (expected trainval, train, val or test)");
}

std::string_view to_string(PetsSplit split) {
  switch (split) {
    case PetsSplit::trainval: return "trainval";
    case PetsSplit::train: return "train";
    case PetsSplit::val: return "val";
    case PetsSplit::test: return "test";
  }
  return "unknown";
}

}  // namespace ringtail::pets
