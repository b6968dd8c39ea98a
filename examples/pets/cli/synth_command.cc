#include <iostream>

#include <boost/program_options.hpp>

#include "command.h"
#include "ringtail/pets/synth.h"

namespace po = boost::program_options;

namespace ringtail::pets::cli {

int synth_command(const std::vector<std::string>& args) {
  SynthOptions options;
  std::string out;
  po::options_description desc("Options");
  desc.add_options()
      ("help,h", "show this help")
      ("out", po::value(&out)->required(), "output folder (gets images/, annotations/, synth_manifest.txt)")
      ("classes", po::value(&options.classes)->default_value(options.classes),
       "number of classes: the first N Oxford breeds (1..37)")
      ("per-class", po::value(&options.per_class)->default_value(options.per_class),
       "images per class, split between trainval and test")
      ("size", po::value(&options.size)->default_value(options.size),
       "longer image side in pixels (the other side is 75..100% of it)")
      ("seed", po::value(&options.seed)->default_value(options.seed), "random seed")
      ("test-fraction", po::value(&options.test_fraction)->default_value(options.test_fraction),
       "fraction of each class listed in test.txt")
      ("bad-per-kind", po::value(&options.bad_per_kind)->default_value(options.bad_per_kind),
       "bad files planted of each kind (PNG/GIF data, CMYK, alpha, grayscale, truncated, "
       "garbage, empty, missing); 0 for a clean set")
      ("jpeg-quality", po::value(&options.jpeg_quality)->default_value(options.jpeg_quality),
       "JPEG quality 1..100")
      ("overwrite", po::bool_switch(&options.overwrite), "replace an existing data set in --out");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  if (vm.count("help")) {
    std::cout << "Usage: ringtail-pets synth --out DIR [options]\n\n"
                 "Writes a synthetic data set in the Oxford-IIIT Pet layout: classes differ by\n"
                 "shape, texture and colour, drawn at random places, sizes and rotations on\n"
                 "cluttered backgrounds, with a few bad files of each kind the real set has.\n\n"
              << desc << "\n";
    return 0;
  }
  po::notify(vm);
  options.out = out;

  const SynthResult result = generate_synthetic_pets(options);
  std::size_t converted = 0;
  for (const auto& planted : result.planted) converted += is_convertible(planted.kind) ? 1 : 0;
  std::cout << "wrote " << result.images << " images (" << result.trainval << " trainval, "
            << result.test << " test) of " << options.classes << " classes to " << out << "\n"
            << "planted " << result.planted.size() << " bad files (" << converted
            << " convertible, " << result.planted.size() - converted
            << " to be skipped), listed in " << (options.out / "synth_manifest.txt").string() << "\n";
  return 0;
}

}  // namespace ringtail::pets::cli
