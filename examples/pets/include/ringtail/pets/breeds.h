#pragma once
// The 37 Oxford-IIIT Pet breeds in CLASS-ID order (1..37), with species and the
// per-species BREED-ID of the annotation files. The file-name convention of the
// data set: a capitalised breed is a cat, a lower-case one a dog.

#include <array>
#include <string>
#include <string_view>

namespace ringtail::pets {

enum class Species { cat = 1, dog = 2 };

struct Breed {
  std::string_view name;  // as in the image file names, e.g. "Abyssinian", "basset_hound"
  Species species;
  int breed_id;           // 1..12 among cats, 1..25 among dogs
};

inline constexpr int kOxfordClasses = 37;

// Index i holds CLASS-ID i + 1.
const std::array<Breed, kOxfordClasses>& oxford_breeds();

// "Abyssinian_100" -> "Abyssinian", "great_pyrenees_7" -> "great_pyrenees".
// Returns an empty string when the name does not end in "_<digits>".
std::string breed_from_image_name(std::string_view image_name);

std::string_view to_string(Species species);

}  // namespace ringtail::pets
