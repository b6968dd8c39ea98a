#include "ringtail/collectives/error.h"
#include "ringtail/pets/models.h"

namespace ringtail::pets {

const std::vector<std::string>& model_names() {
  static const std::vector<std::string> names = {"resnet18", "resnet34", "resnet50", "small_cnn"};
  return names;
}

Classifier make_model(const ModelSpec& spec) {
  if (spec.num_classes < 1) {
    throw Error(ErrorKind::invalid_argument,
                "model: num_classes must be positive, got " + std::to_string(spec.num_classes));
  }
  if (spec.in_channels < 1) {
    throw Error(ErrorKind::invalid_argument,
                "model: in_channels must be positive, got " + std::to_string(spec.in_channels));
  }
  if (spec.arch == "small_cnn") return make_small_cnn(spec.num_classes, spec.in_channels);
  if (spec.arch.rfind("resnet", 0) == 0) {
    return make_resnet(spec.arch, spec.num_classes, spec.in_channels);
  }
  std::string known;
  for (const auto& name : model_names()) known += (known.empty() ? "" : ", ") + name;
  throw Error(ErrorKind::invalid_argument, "unknown model '" + spec.arch + "' (known: " + known + ")");
}

}  // namespace ringtail::pets
