#include "ringtail/pets/batch_tensor.h"

#include <memory>

namespace ringtail::pets {

BatchTensors to_tensors(Batch batch) {
  auto owner = std::make_shared<Batch>(std::move(batch));
  const auto n = static_cast<std::int64_t>(owner->count);
  const ExampleShape& s = owner->shape;
  BatchTensors out;
  out.images = torch::from_blob(owner->images.data(), {n, s.channels, s.height, s.width},
                                [owner](void*) {}, torch::TensorOptions().dtype(torch::kFloat32));
  out.labels = torch::from_blob(owner->labels.data(), {n}, [owner](void*) {},
                                torch::TensorOptions().dtype(torch::kInt64));
  return out;
}

}  // namespace ringtail::pets
