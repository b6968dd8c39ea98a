#include "data_agreement.h"

#include <zlib.h>

#include <cstdio>

#include "ringtail/collectives/error.h"
#include "ringtail/torch/ops.h"

namespace ringtail::pets::train {
namespace {

class Crc {
 public:
  void add(const std::string& text) {
    add_number(text.size());
    crc_ = crc32(crc_, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size()));
  }
  void add_number(std::uint64_t value) {
    unsigned char bytes[8];
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(value >> (8 * i));
    crc_ = crc32(crc_, bytes, sizeof bytes);
  }
  std::uint32_t value() const { return static_cast<std::uint32_t>(crc_); }

 private:
  uLong crc_ = crc32(0L, Z_NULL, 0);
};

}  // namespace

std::uint32_t data_fingerprint(const std::map<std::string, std::string>& settings,
                               const std::vector<std::string>& class_names,
                               const std::vector<const ExampleSource*>& sources) {
  Crc crc;
  for (const auto& [key, value] : settings) crc.add(key + "=" + value);
  for (const auto& name : class_names) crc.add(name);
  for (const ExampleSource* source : sources) {
    crc.add_number(source->size());
    const auto* pets = dynamic_cast<const PetsSource*>(source);
    for (std::size_t i = 0; i < source->size(); ++i) {
      crc.add_number(static_cast<std::uint64_t>(source->label(i)));
      if (pets) crc.add(pets->record(i).name);
    }
  }
  return crc.value();
}

std::string images_setting(const std::vector<std::string>& class_names, const ExampleSource& train,
                           const ExampleSource& eval) {
  char text[128];
  std::snprintf(text, sizeof text, "%zu training images, %zu evaluation images, listing %08x", train.size(),
                eval.size(), static_cast<unsigned>(data_fingerprint({}, class_names, {&train, &eval})));
  return text;
}

void agree_on_data(ringtail::torch::Context& ctx, const std::string& local_error,
                   std::uint32_t fingerprint, std::size_t train_images, std::size_t eval_images) {
  if (ctx.size() == 1) {
    if (!local_error.empty()) throw Error(ErrorKind::invalid_argument, local_error);
    return;
  }
  const ::torch::Tensor mine = ::torch::tensor(
      {static_cast<std::int64_t>(local_error.empty() ? 0 : 1), static_cast<std::int64_t>(fingerprint),
       static_cast<std::int64_t>(train_images), static_cast<std::int64_t>(eval_images)},
      ::torch::kInt64).unsqueeze(0);
  const ::torch::Tensor all = ringtail::torch::allgather(ctx, mine, "pets.start.data").contiguous();
  const auto rows = all.accessor<std::int64_t, 2>();
  std::string failed;
  bool differ = false;
  for (std::int64_t r = 0; r < rows.size(0); ++r) {
    if (rows[r][0] != 0) failed += (failed.empty() ? "" : ", ") + std::to_string(r);
    differ = differ || rows[r][1] != rows[0][1];
  }
  if (!local_error.empty()) throw Error(ErrorKind::invalid_argument, local_error);
  if (!failed.empty()) {
    throw Error(ErrorKind::invalid_argument,
                "rank " + failed + " could not open the data set (its own error says why); every rank "
                "stops");
  }
  if (differ) {
    std::string table;
    for (std::int64_t r = 0; r < rows.size(0); ++r) {
      char line[160];
      std::snprintf(line, sizeof line, "\n  rank %lld: %lld training images, %lld evaluation images, fingerprint %08llx",
                    static_cast<long long>(r), static_cast<long long>(rows[r][2]),
                    static_cast<long long>(rows[r][3]), static_cast<unsigned long long>(rows[r][1]));
      table += line;
    }
    throw Error(ErrorKind::mismatch,
                "the ranks opened different data or were given different settings (every rank must "
                "list the same usable images and run the same command):" + table);
  }
}

}  // namespace ringtail::pets::train
