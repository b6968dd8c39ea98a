#include "ringtail/pets/annotations.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include "ringtail/collectives/error.h"
#include "ringtail/pets/breeds.h"

namespace ringtail::pets {
namespace {

[[noreturn]] void fail(const std::string& source, int line, const std::string& what,
                       const std::string& text) {
  throw Error(ErrorKind::invalid_argument,
              source + ":" + std::to_string(line) + ": " + what + " (line: '" + text +
                  "'; expected 'Image CLASS-ID SPECIES BREED-ID')");
}

bool parse_int(const std::string& token, int* out) {
  const char* end = token.data() + token.size();
  const auto result = std::from_chars(token.data(), end, *out);
  return result.ec == std::errc() && result.ptr == end;
}

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

}  // namespace

std::vector<AnnotationLine> parse_annotations(const std::string& text, const std::string& source) {
  std::vector<AnnotationLine> lines;
  std::istringstream in(text);
  std::string raw;
  int number = 0;
  while (std::getline(in, raw)) {
    ++number;
    const std::string line = trim(raw);
    if (line.empty() || line[0] == '#') continue;

    std::istringstream fields(line);
    std::vector<std::string> tokens;
    for (std::string token; fields >> token;) tokens.push_back(token);
    if (tokens.size() != 4) {
      fail(source, number, "expected 4 fields, found " + std::to_string(tokens.size()), line);
    }
    AnnotationLine entry;
    entry.image = tokens[0];
    entry.line = number;
    if (entry.image.find('/') != std::string::npos || entry.image.find('\\') != std::string::npos ||
        entry.image == "." || entry.image == "..") {
      fail(source, number, "image name '" + entry.image + "' must be a plain file name", line);
    }
    if (!parse_int(tokens[1], &entry.class_id) || entry.class_id < 1 ||
        entry.class_id > kOxfordClasses) {
      fail(source, number, "CLASS-ID '" + tokens[1] + "' is not an integer in 1.." +
                               std::to_string(kOxfordClasses), line);
    }
    if (!parse_int(tokens[2], &entry.species) || (entry.species != 1 && entry.species != 2)) {
      fail(source, number, "SPECIES '" + tokens[2] + "' is not 1 (cat) or 2 (dog)", line);
    }
    if (!parse_int(tokens[3], &entry.breed_id) || entry.breed_id < 1) {
      fail(source, number, "BREED-ID '" + tokens[3] + "' is not a positive integer", line);
    }
    lines.push_back(std::move(entry));
  }
  return lines;
}

std::vector<AnnotationLine> read_annotation_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw Error(ErrorKind::invalid_argument,
                "cannot open annotation file " + file.string() +
                    (std::filesystem::exists(file) ? " (permission denied?)" : " (it does not exist)"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_annotations(text.str(), file.string());
}

}  // namespace ringtail::pets
