#pragma once
// Reader for the Oxford-IIIT Pet annotation files (list.txt, trainval.txt,
// test.txt): one image per line, "Image CLASS-ID SPECIES BREED-ID", '#' starts a
// comment line. A malformed line is an error naming the file and the line.

#include <filesystem>
#include <string>
#include <vector>

namespace ringtail::pets {

struct AnnotationLine {
  std::string image;  // file name without ".jpg", e.g. "Abyssinian_100"
  int class_id = 0;   // 1..37
  int species = 0;    // 1 cat, 2 dog
  int breed_id = 0;   // 1-based within the species
  int line = 0;       // 1-based line number in the file, for messages
};

// Throws ringtail::Error (invalid_argument) for a missing file or a bad line.
std::vector<AnnotationLine> read_annotation_file(const std::filesystem::path& file);

// The same parser on text already in memory; `source` names it in messages.
std::vector<AnnotationLine> parse_annotations(const std::string& text, const std::string& source);

}  // namespace ringtail::pets
