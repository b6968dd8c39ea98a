#include "ringtail/pets/serve/batch_calibration.h"

#include <algorithm>
#include <chrono>
#include <string>

#include "ringtail/collectives/error.h"

namespace ringtail::pets::serve {

std::size_t choose_batch_limit(const std::vector<BatchTiming>& timings, double tolerance) {
  if (timings.empty()) throw Error(ErrorKind::invalid_argument, "choose_batch_limit: no timings");
  double best = timings.front().seconds_per_image;
  for (const BatchTiming& t : timings) best = std::min(best, t.seconds_per_image);
  for (const BatchTiming& t : timings) {
    if (t.seconds_per_image <= best * (1.0 + tolerance)) return t.batch;
  }
  return timings.front().batch;  // unreachable: the best one qualifies
}

std::vector<BatchTiming> time_batches(Classifier& classifier, std::size_t image_floats,
                                      std::size_t num_classes, std::size_t max_batch, int repeats) {
  if (max_batch == 0 || repeats < 1) {
    throw Error(ErrorKind::invalid_argument, "time_batches: max_batch and repeats must be positive");
  }
  std::vector<std::size_t> sizes;
  for (std::size_t b = 1; b < max_batch; b *= 2) sizes.push_back(b);
  sizes.push_back(max_batch);
  const std::vector<float> images(max_batch * image_floats, 0.0f);
  std::vector<float> outputs(max_batch * num_classes);
  std::vector<BatchTiming> timings;
  for (std::size_t b : sizes) {
    classifier.classify(images.data(), b, outputs.data());
    double fastest = 0;
    for (int r = 0; r < repeats; ++r) {
      const auto start = std::chrono::steady_clock::now();
      classifier.classify(images.data(), b, outputs.data());
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      fastest = r == 0 ? seconds : std::min(fastest, seconds);
    }
    timings.push_back({b, fastest / static_cast<double>(b)});
  }
  return timings;
}

}  // namespace ringtail::pets::serve
