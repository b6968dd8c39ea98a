#pragma once
// Before the first collective of training, the ranks check that they opened
// the same data with the same settings. A rank that lists other files (a
// node with a partial copy, an image unreadable there) would otherwise shard
// a different index space: shards overlap or miss images, and the global
// evaluation counts are wrong, silently. A rank that could not open the data
// at all would leave the others to fail later with only "rank N shut its
// runtime down"; here every rank learns which rank failed and stops.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ringtail/pets/example_source.h"
#include "ringtail/torch/context.h"

namespace ringtail::pets::train {

// A CRC-32 of the run settings, the class names and, per source, its size,
// every example's label and (Oxford-IIIT Pet) image name.
std::uint32_t data_fingerprint(const std::map<std::string, std::string>& settings,
                               const std::vector<std::string>& class_names,
                               const std::vector<const ExampleSource*>& sources);

// The checkpoint setting that records the data listing ("32 training images,
// 32 evaluation images, listing 1a2b3c4d"): a run resumed on a listing that
// changed meanwhile would shard other images under the restored sampler
// state and stretch or cut the schedule, so it is refused like other settings.
inline constexpr const char* kImagesSetting = "images";
std::string images_setting(const std::vector<std::string>& class_names, const ExampleSource& train,
                           const ExampleSource& eval);

// Collective: throws ringtail::Error on every rank when any rank has an error
// (`local_error` non-empty) or the fingerprints differ, naming the ranks and
// their image counts.
void agree_on_data(ringtail::torch::Context& ctx, const std::string& local_error,
                   std::uint32_t fingerprint, std::size_t train_images, std::size_t eval_images);

}  // namespace ringtail::pets::train
