#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "encoders.h"
#include "render.h"
#include "ringtail/collectives/error.h"
#include "ringtail/pets/breeds.h"
#include "ringtail/pets/random.h"
#include "ringtail/pets/synth.h"

namespace fs = std::filesystem;

namespace ringtail::pets {
namespace {

// Distinct streams for the independent random choices, so changing one (say
// the number of bad files) leaves the others (the images) as they were.
constexpr std::uint64_t kImageStream = 1;
constexpr std::uint64_t kSplitStream = 2;
constexpr std::uint64_t kBadStream = 3;

[[noreturn]] void fail(const std::string& message) {
  throw Error(ErrorKind::invalid_argument, "synth: " + message);
}

void write_file(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw Error(ErrorKind::invalid_argument, "synth: cannot write " + path.string());
}

void write_text(const fs::path& path, const std::string& text) {
  write_file(path, std::vector<std::uint8_t>(text.begin(), text.end()));
}

std::vector<std::uint8_t> encode(const cv::Mat& image, const char* ext, int quality) {
  std::vector<std::uint8_t> bytes;
  const std::vector<int> params = {cv::IMWRITE_JPEG_QUALITY, quality};
  if (!cv::imencode(ext, image, bytes, std::string(ext) == ".jpg" ? params : std::vector<int>{})) {
    throw Error(ErrorKind::backend, std::string("synth: OpenCV cannot encode ") + ext);
  }
  return bytes;
}

// The bytes a bad file of `kind` holds; an empty optional means "no file".
std::optional<std::vector<std::uint8_t>> bad_file_bytes(BadFileKind kind, const cv::Mat& image,
                                                        int quality, Rng& rng) {
  switch (kind) {
    case BadFileKind::png_data: return encode(image, ".png", quality);
    case BadFileKind::gif_data: return synth::encode_gif(image);
    case BadFileKind::cmyk: return synth::encode_cmyk_jpeg(image, quality);
    case BadFileKind::alpha: {
      cv::Mat bgra;
      cv::cvtColor(image, bgra, cv::COLOR_BGR2BGRA);
      for (int y = 0; y < bgra.rows; ++y) {
        auto* row = bgra.ptr<cv::Vec4b>(y);
        for (int x = 0; x < bgra.cols; ++x) row[x][3] = static_cast<std::uint8_t>(128 + 127 * x / bgra.cols);
      }
      return encode(bgra, ".png", quality);
    }
    case BadFileKind::grayscale: {
      cv::Mat gray;
      cv::cvtColor(image, gray, cv::COLOR_BGR2GRAY);
      return encode(gray, ".jpg", quality);
    }
    case BadFileKind::truncated: {
      auto bytes = encode(image, ".jpg", quality);
      bytes.resize(bytes.size() / 2);
      return bytes;
    }
    case BadFileKind::garbage: {
      std::vector<std::uint8_t> bytes(2048);
      for (auto& b : bytes) b = static_cast<std::uint8_t>(rng.below(256));
      bytes[0] = 'x';  // never a valid magic number by chance
      return bytes;
    }
    case BadFileKind::empty: return std::vector<std::uint8_t>{};
    case BadFileKind::missing: return std::nullopt;
  }
  return std::nullopt;
}

void validate(const SynthOptions& o) {
  if (o.out.empty()) fail("no output folder given");
  if (o.classes < 1 || o.classes > kOxfordClasses) {
    fail("--classes must be in 1.." + std::to_string(kOxfordClasses) + ", got " + std::to_string(o.classes));
  }
  if (o.per_class < 1) fail("--per-class must be at least 1, got " + std::to_string(o.per_class));
  if (o.size < 16 || o.size > 4096) fail("--size must be in 16..4096, got " + std::to_string(o.size));
  if (!(o.test_fraction >= 0.0 && o.test_fraction < 1.0)) {
    fail("--test-fraction must be in [0, 1), got " + std::to_string(o.test_fraction));
  }
  if (o.bad_per_kind < 0) fail("--bad-per-kind must not be negative");
  if (o.jpeg_quality < 1 || o.jpeg_quality > 100) fail("--jpeg-quality must be in 1..100");
  const std::size_t total = static_cast<std::size_t>(o.classes) * static_cast<std::size_t>(o.per_class);
  const std::size_t bad = plantable_bad_file_kinds().size() * static_cast<std::size_t>(o.bad_per_kind);
  if (bad * 2 > total) {
    fail(std::to_string(bad) + " bad files would be more than half of the " + std::to_string(total) +
         " images; lower --bad-per-kind or raise --per-class");
  }
}

void prepare_folder(const SynthOptions& o) {
  const fs::path images = o.out / "images";
  const fs::path annotations = o.out / "annotations";
  if (fs::exists(images) || fs::exists(annotations)) {
    if (!o.overwrite) {
      fail(o.out.string() + " already holds a data set (images/ or annotations/ exist); "
           "pass --overwrite to replace it");
    }
    fs::remove_all(images);
    fs::remove_all(annotations);
    fs::remove(o.out / "synth_manifest.txt");
  }
  std::error_code ec;
  fs::create_directories(images, ec);
  if (!ec) fs::create_directories(annotations, ec);
  if (ec) fail("cannot create " + o.out.string() + ": " + ec.message());
}

}  // namespace

std::string_view to_string(BadFileKind kind) {
  switch (kind) {
    case BadFileKind::png_data: return "png_data";
    case BadFileKind::gif_data: return "gif_data";
    case BadFileKind::cmyk: return "cmyk";
    case BadFileKind::alpha: return "alpha";
    case BadFileKind::grayscale: return "grayscale";
    case BadFileKind::truncated: return "truncated";
    case BadFileKind::garbage: return "garbage";
    case BadFileKind::empty: return "empty";
    case BadFileKind::missing: return "missing";
  }
  return "unknown";
}

bool is_convertible(BadFileKind kind) {
  return kind == BadFileKind::png_data || kind == BadFileKind::cmyk || kind == BadFileKind::alpha ||
         kind == BadFileKind::grayscale;
}

std::vector<BadFileKind> plantable_bad_file_kinds() {
  std::vector<BadFileKind> kinds = {BadFileKind::png_data, BadFileKind::gif_data,
                                    BadFileKind::alpha,    BadFileKind::grayscale,
                                    BadFileKind::truncated, BadFileKind::garbage,
                                    BadFileKind::empty,    BadFileKind::missing};
  if (synth::cmyk_jpeg_supported()) kinds.insert(kinds.begin() + 2, BadFileKind::cmyk);
  return kinds;
}

SynthResult generate_synthetic_pets(const SynthOptions& o) {
  validate(o);
  prepare_folder(o);

  struct Item {
    int cls;
    int number;  // 1-based within the class, as in "Bengal_3"
    bool test;
    std::string name;
  };
  std::vector<Item> items;
  for (int c = 0; c < o.classes; ++c) {
    std::vector<int> order(static_cast<std::size_t>(o.per_class));
    for (int n = 0; n < o.per_class; ++n) order[static_cast<std::size_t>(n)] = n;
    Rng split_rng(combine_seeds(o.seed, kSplitStream, static_cast<std::uint64_t>(c)));
    shuffle(order, split_rng);
    const auto tests = static_cast<int>(std::lround(o.test_fraction * o.per_class));
    std::vector<bool> is_test(static_cast<std::size_t>(o.per_class), false);
    for (int i = 0; i < tests; ++i) is_test[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])] = true;
    const std::string breed(oxford_breeds()[static_cast<std::size_t>(c)].name);
    for (int n = 0; n < o.per_class; ++n) {
      items.push_back({c, n + 1, is_test[static_cast<std::size_t>(n)], breed + "_" + std::to_string(n + 1)});
    }
  }

  // Planted bad files: distinct random images, kinds in turn.
  std::vector<std::optional<BadFileKind>> bad(items.size());
  SynthResult result;
  {
    const auto kinds = plantable_bad_file_kinds();
    std::vector<std::size_t> order(items.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    Rng bad_rng(combine_seeds(o.seed, kBadStream));
    shuffle(order, bad_rng);
    std::size_t next = 0;
    for (int round = 0; round < o.bad_per_kind; ++round) {
      for (BadFileKind kind : kinds) {
        const std::size_t i = order[next++];
        bad[i] = kind;
        result.planted.push_back({items[i].name, kind, items[i].test});
      }
    }
  }

  std::ostringstream list, trainval, test;
  list << "#Image CLASS-ID SPECIES BREED-ID\n"
          "#CLASS-ID: 1:37 class ids\n"
          "#SPECIES: 1:Cat 2:Dog\n"
          "#BREED-ID: 1-12:Cat 1-25:Dog\n"
          "#Images whose first letter is a capital are cats, the others dogs\n"
          "#Synthetic set written by ringtail-pets synth (see synth_manifest.txt)\n";
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Item& item = items[i];
    const Breed& breed = oxford_breeds()[static_cast<std::size_t>(item.cls)];
    Rng rng(combine_seeds(o.seed, kImageStream,
                          static_cast<std::uint64_t>(item.cls) * 1000003u + static_cast<std::uint64_t>(item.number)));
    const bool landscape = rng.bernoulli(0.6);
    const int other = static_cast<int>(std::lround(o.size * rng.uniform(0.75, 1.0)));
    const cv::Size size = landscape ? cv::Size(o.size, other) : cv::Size(other, o.size);
    const cv::Mat image = synth::render_pet(item.cls, size, rng);
    const fs::path path = o.out / "images" / (item.name + ".jpg");
    if (bad[i]) {
      if (auto bytes = bad_file_bytes(*bad[i], image, o.jpeg_quality, rng)) write_file(path, *bytes);
    } else {
      write_file(path, encode(image, ".jpg", o.jpeg_quality));
    }
    const std::string line = item.name + " " + std::to_string(item.cls + 1) + " " +
                             std::to_string(static_cast<int>(breed.species)) + " " +
                             std::to_string(breed.breed_id) + "\n";
    list << line;
    (item.test ? test : trainval) << line;
    ++(item.test ? result.test : result.trainval);
  }
  result.images = items.size();

  write_text(o.out / "annotations" / "list.txt", list.str());
  write_text(o.out / "annotations" / "trainval.txt", trainval.str());
  write_text(o.out / "annotations" / "test.txt", test.str());

  std::ostringstream manifest;
  manifest << "# ringtail-pets synth: a synthetic data set in the Oxford-IIIT Pet layout\n"
           << "# classes=" << o.classes << " per_class=" << o.per_class << " size=" << o.size
           << " seed=" << o.seed << " test_fraction=" << o.test_fraction
           << " bad_per_kind=" << o.bad_per_kind << "\n"
           << "# planted bad files: IMAGE KIND SPLIT (converted kinds: png_data cmyk alpha grayscale)\n";
  for (const auto& p : result.planted) {
    manifest << p.name << " " << to_string(p.kind) << " " << (p.in_test ? "test" : "trainval") << "\n";
  }
  write_text(o.out / "synth_manifest.txt", manifest.str());
  return result;
}

}  // namespace ringtail::pets
