#include "ringtail/pets/breeds.h"

#include <cctype>

namespace ringtail::pets {

const std::array<Breed, kOxfordClasses>& oxford_breeds() {
  static constexpr std::array<Breed, kOxfordClasses> breeds = {{
      {"Abyssinian", Species::cat, 1},
      {"american_bulldog", Species::dog, 1},
      {"american_pit_bull_terrier", Species::dog, 2},
      {"basset_hound", Species::dog, 3},
      {"beagle", Species::dog, 4},
      {"Bengal", Species::cat, 2},
      {"Birman", Species::cat, 3},
      {"Bombay", Species::cat, 4},
      {"boxer", Species::dog, 5},
      {"British_Shorthair", Species::cat, 5},
      {"chihuahua", Species::dog, 6},
      {"Egyptian_Mau", Species::cat, 6},
      {"english_cocker_spaniel", Species::dog, 7},
      {"english_setter", Species::dog, 8},
      {"german_shorthaired", Species::dog, 9},
      {"great_pyrenees", Species::dog, 10},
      {"havanese", Species::dog, 11},
      {"japanese_chin", Species::dog, 12},
      {"keeshond", Species::dog, 13},
      {"leonberger", Species::dog, 14},
      {"Maine_Coon", Species::cat, 7},
      {"miniature_pinscher", Species::dog, 15},
      {"newfoundland", Species::dog, 16},
      {"Persian", Species::cat, 8},
      {"pomeranian", Species::dog, 17},
      {"pug", Species::dog, 18},
      {"Ragdoll", Species::cat, 9},
      {"Russian_Blue", Species::cat, 10},
      {"saint_bernard", Species::dog, 19},
      {"samoyed", Species::dog, 20},
      {"scottish_terrier", Species::dog, 21},
      {"shiba_inu", Species::dog, 22},
      {"Siamese", Species::cat, 11},
      {"Sphynx", Species::cat, 12},
      {"staffordshire_bull_terrier", Species::dog, 23},
      {"wheaten_terrier", Species::dog, 24},
      {"yorkshire_terrier", Species::dog, 25},
  }};
  return breeds;
}

std::string breed_from_image_name(std::string_view image_name) {
  const auto underscore = image_name.rfind('_');
  if (underscore == std::string_view::npos || underscore == 0 ||
      underscore + 1 == image_name.size()) {
    return {};
  }
  for (std::size_t i = underscore + 1; i < image_name.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(image_name[i]))) return {};
  }
  return std::string(image_name.substr(0, underscore));
}

std::string_view to_string(Species species) {
  return species == Species::cat ? "cat" : "dog";
}

}  // namespace ringtail::pets
