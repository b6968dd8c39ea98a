#pragma once
// A synthetic stand-in for the Oxford-IIIT Pet set, written in exactly its
// layout (images/<Breed>_<n>.jpg, annotations/list.txt, trainval.txt, test.txt,
// the real breed names and ids), so every program that reads the real set reads
// this one, and the real set drops in by pointing --data at it.
//
// Each class is one combination of an object shape and a surface pattern, drawn
// in a colour from a per-class palette at a random place, size and rotation on
// a cluttered, noisy background: no single pixel statistic gives the class away,
// a model has to learn shapes and textures. A few bad files of each kind the
// real set has are planted, listed in synth_manifest.txt at the root.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ringtail::pets {

enum class BadFileKind {
  png_data,   // PNG bytes behind the .jpg name (converted)
  gif_data,   // GIF bytes behind the .jpg name (skipped: OpenCV 4.6 has no GIF decoder)
  cmyk,       // CMYK JPEG (converted)
  alpha,      // RGBA PNG behind the .jpg name (converted)
  grayscale,  // one-channel JPEG (converted)
  truncated,  // JPEG cut in half (skipped)
  garbage,    // random bytes (skipped)
  empty,      // zero bytes (skipped)
  missing,    // listed in the annotations, no file (skipped)
};

std::string_view to_string(BadFileKind kind);
// The kinds the loader converts (true) rather than skips.
bool is_convertible(BadFileKind kind);
// Every kind this build can plant (CMYK needs libjpeg at build time).
std::vector<BadFileKind> plantable_bad_file_kinds();

struct SynthOptions {
  std::filesystem::path out;
  int classes = 37;           // the first `classes` Oxford breeds
  int per_class = 20;         // images per class, split between trainval and test
  int size = 160;             // longer image side in pixels; the other is 75..100% of it
  std::uint64_t seed = 0;
  double test_fraction = 0.5; // of each class, as in the real set (3,680 / 3,669)
  int bad_per_kind = 1;       // planted bad files of each kind; 0 for a clean set
  int jpeg_quality = 90;
  bool overwrite = false;     // replace an existing images/ and annotations/
};

struct PlantedFile {
  std::string name;  // image name, e.g. "Bengal_3"
  BadFileKind kind;
  bool in_test;
};

struct SynthResult {
  std::size_t images = 0;      // listed in the annotation files
  std::size_t trainval = 0;
  std::size_t test = 0;
  std::vector<PlantedFile> planted;
};

// Throws ringtail::Error for bad options or an existing data set without `overwrite`.
SynthResult generate_synthetic_pets(const SynthOptions& options);

}  // namespace ringtail::pets
