#include "ringtail/pets/train/checkpoint.h"

#include <zlib.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include <torch/nn/module.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include "atomic_file.h"
#include "ringtail/collectives/error.h"
#include "ringtail/pets/model_weights.h"

namespace fs = std::filesystem;

namespace ringtail::pets::train {
namespace {

constexpr char kMagic[8] = {'R', 'T', 'C', 'K', 'P', 'T', '\0', '\0'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kHeaderSize = 8 + 4 + 4 + 8;
constexpr const char* kFormat = "ringtail-pets-checkpoint/1";

[[noreturn]] void fail(const fs::path& file, const std::string& what) {
  throw Error(ErrorKind::invalid_argument, "checkpoint " + file.string() + ": " + what);
}

std::uint32_t crc32_of(const char* data, std::size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (size > 0) {
    const auto chunk = static_cast<uInt>(std::min<std::size_t>(size, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data), chunk);
    data += chunk;
    size -= chunk;
  }
  return static_cast<std::uint32_t>(crc);
}

template <typename T>
void put(std::string& out, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    out.push_back(static_cast<char>(static_cast<std::uint64_t>(value) >> (8 * i)));
  }
}

template <typename T>
T get(const std::string& bytes, std::size_t at) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    value |= std::uint64_t{static_cast<unsigned char>(bytes[at + i])} << (8 * i);
  }
  return static_cast<T>(value);
}

std::string join_lines(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += item + "\n";
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> items;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) items.push_back(line);
  return items;
}

std::string settings_text(const std::map<std::string, std::string>& settings) {
  std::string out;
  for (const auto& [key, value] : settings) out += key + "=" + value + "\n";
  return out;
}

std::map<std::string, std::string> parse_settings(const std::string& text) {
  std::map<std::string, std::string> settings;
  for (const auto& line : split_lines(text)) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) settings[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return settings;
}

::torch::Tensor bytes_tensor(const std::string& bytes) {
  return ::torch::from_blob(const_cast<char*>(bytes.data()), {static_cast<std::int64_t>(bytes.size())},
                          ::torch::kUInt8)
      .clone();
}

std::string tensor_bytes(const ::torch::Tensor& tensor) {
  const ::torch::Tensor t = tensor.contiguous();
  return std::string(static_cast<const char*>(t.data_ptr()), static_cast<std::size_t>(t.numel()));
}

// Reading a field the archive must have; a missing one means a foreign or
// older file, which the message says.
class FieldReader {
 public:
  FieldReader(::torch::serialize::InputArchive& archive, const fs::path& file)
      : archive_(archive), file_(file) {}

  c10::IValue value(const std::string& key) {
    c10::IValue v;
    if (!archive_.try_read(key, v)) fail(file_, "has no '" + key + "' field (incomplete or foreign file)");
    return v;
  }
  std::string text(const std::string& key) {
    const c10::IValue v = value(key);
    if (!v.isString()) fail(file_, "field '" + key + "' is not text");
    return v.toStringRef();
  }
  std::int64_t integer(const std::string& key) {
    const c10::IValue v = value(key);
    if (!v.isInt()) fail(file_, "field '" + key + "' is not an integer");
    return v.toInt();
  }
  double number(const std::string& key) {
    const c10::IValue v = value(key);
    if (!v.isDouble()) fail(file_, "field '" + key + "' is not a number");
    return v.toDouble();
  }
  ::torch::Tensor tensor(const std::string& key) {
    ::torch::Tensor t;
    if (!archive_.try_read(key, t, /*is_buffer=*/true)) {
      fail(file_, "has no '" + key + "' tensor (incomplete or foreign file)");
    }
    return t;
  }

 private:
  ::torch::serialize::InputArchive& archive_;
  const fs::path& file_;
};

}  // namespace

std::string archive_to_bytes(const std::function<void(::torch::serialize::OutputArchive&)>& fill) {
  ::torch::serialize::OutputArchive archive;
  fill(archive);
  std::ostringstream out;
  archive.save_to(out);
  return out.str();
}

void archive_from_bytes(const std::string& bytes,
                        const std::function<void(::torch::serialize::InputArchive&)>& read,
                        const std::string& what) {
  ::torch::serialize::InputArchive archive;
  try {
    archive.load_from(bytes.data(), bytes.size());
    read(archive);
  } catch (const c10::Error& e) {
    throw Error(ErrorKind::invalid_argument, what + ": " + e.what_without_backtrace());
  }
}

void save_checkpoint(const Checkpoint& checkpoint, const fs::path& file) {
  ::torch::serialize::OutputArchive archive;
  archive.write("format", c10::IValue(std::string(kFormat)));
  archive.write("arch", c10::IValue(checkpoint.model.arch));
  archive.write("dataset", c10::IValue(checkpoint.model.dataset));
  archive.write("in_channels", c10::IValue(checkpoint.model.in_channels));
  archive.write("image_size", c10::IValue(static_cast<std::int64_t>(checkpoint.model.image_size)));
  archive.write("class_names", c10::IValue(join_lines(checkpoint.model.class_names)));
  archive.write("settings", c10::IValue(settings_text(checkpoint.settings)));
  archive.write("epochs_done", c10::IValue(checkpoint.epochs_done));
  archive.write("steps_done", c10::IValue(checkpoint.steps_done));
  archive.write("loss_scale", c10::IValue(checkpoint.loss_scale));
  archive.write("loss_scale_good_steps", c10::IValue(checkpoint.loss_scale_good_steps));
  archive.write("eval_accuracy", c10::IValue(checkpoint.eval_accuracy));
  archive.write("eval_top5", c10::IValue(checkpoint.eval_top5));
  archive.write("eval_loss", c10::IValue(checkpoint.eval_loss));
  std::vector<std::string> names;
  // Keys are positions: archive keys become TorchScript attribute names, which
  // may not contain the dots of parameter names.
  for (std::size_t i = 0; i < checkpoint.model_state.size(); ++i) {
    names.push_back(checkpoint.model_state[i].first);
    archive.write("model_" + std::to_string(i), checkpoint.model_state[i].second.detach().cpu(),
                  /*is_buffer=*/true);
  }
  archive.write("model_names", c10::IValue(join_lines(names)));
  archive.write("optimizer", bytes_tensor(checkpoint.optimizer_state), true);
  archive.write("sampler", bytes_tensor(checkpoint.sampler_state), true);
  archive.write("rng_states", checkpoint.rng_states.defined() ? checkpoint.rng_states.cpu()
                                                               : ::torch::empty({0, 0}, ::torch::kUInt8),
                true);
  std::ostringstream payload_stream;
  archive.save_to(payload_stream);
  const std::string payload = payload_stream.str();

  std::string header(kMagic, sizeof kMagic);
  put<std::uint32_t>(header, kVersion);
  put<std::uint32_t>(header, crc32_of(payload.data(), payload.size()));
  put<std::uint64_t>(header, payload.size());
  write_file_atomically(file, {header, payload}, "checkpoint");
}

Checkpoint load_checkpoint(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) fail(file, "no such file");
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(file, "cannot be opened");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    const bool zip = bytes.size() >= 2 && bytes[0] == 'P' && bytes[1] == 'K';
    const bool rtw = bytes.rfind("RTWEIGHT", 0) == 0;
    fail(file, std::string("not a ringtail-pets checkpoint") +
                   (rtw    ? " (it is a .rtw weights file: pass it to --pretrained)"
                    : zip  ? " (it looks like a bare LibTorch/PyTorch archive)"
                           : " (wrong magic bytes)"));
  }
  if (bytes.size() < kHeaderSize) fail(file, "truncated: the header is incomplete");
  const auto version = get<std::uint32_t>(bytes, 8);
  if (version != kVersion) {
    fail(file, "version " + std::to_string(version) + ", this program reads version " +
                   std::to_string(kVersion));
  }
  const auto crc = get<std::uint32_t>(bytes, 12);
  const auto size = get<std::uint64_t>(bytes, 16);
  if (bytes.size() - kHeaderSize != size) {
    fail(file, "truncated or padded: the header announces " + std::to_string(size) +
                   " payload bytes, the file has " + std::to_string(bytes.size() - kHeaderSize) +
                   " (a copy cut short, or a run killed outside the atomic rename?)");
  }
  if (crc32_of(bytes.data() + kHeaderSize, size) != crc) {
    fail(file, "damaged: the payload does not match its CRC-32 checksum");
  }

  Checkpoint checkpoint;
  ::torch::serialize::InputArchive archive;
  try {
    archive.load_from(bytes.data() + kHeaderSize, size);
    FieldReader field(archive, file);
    const std::string format = field.text("format");
    if (format != kFormat) fail(file, "format '" + format + "', expected '" + kFormat + "'");
    checkpoint.model.arch = field.text("arch");
    checkpoint.model.dataset = field.text("dataset");
    checkpoint.model.in_channels = field.integer("in_channels");
    checkpoint.model.image_size = static_cast<int>(field.integer("image_size"));
    checkpoint.model.class_names = split_lines(field.text("class_names"));
    checkpoint.settings = parse_settings(field.text("settings"));
    checkpoint.epochs_done = field.integer("epochs_done");
    checkpoint.steps_done = field.integer("steps_done");
    checkpoint.loss_scale = field.number("loss_scale");
    checkpoint.loss_scale_good_steps = field.integer("loss_scale_good_steps");
    checkpoint.eval_accuracy = field.number("eval_accuracy");
    checkpoint.eval_top5 = field.number("eval_top5");
    checkpoint.eval_loss = field.number("eval_loss");
    const std::vector<std::string> names = split_lines(field.text("model_names"));
    for (std::size_t i = 0; i < names.size(); ++i) {
      checkpoint.model_state.emplace_back(names[i], field.tensor("model_" + std::to_string(i)));
    }
    checkpoint.optimizer_state = tensor_bytes(field.tensor("optimizer"));
    checkpoint.sampler_state = tensor_bytes(field.tensor("sampler"));
    checkpoint.rng_states = field.tensor("rng_states");
  } catch (const c10::Error& e) {
    fail(file, std::string("unreadable archive: ") + e.what_without_backtrace());
  }
  if (checkpoint.model.class_names.empty()) fail(file, "lists no class names");
  if (checkpoint.model_state.empty()) fail(file, "holds no model tensors");
  return checkpoint;
}

void restore_model(const Checkpoint& checkpoint, ::torch::nn::Module& model, const fs::path& file) {
  std::vector<NamedArray> arrays;
  arrays.reserve(checkpoint.model_state.size());
  for (const auto& [name, tensor] : checkpoint.model_state) arrays.push_back(to_named_array(name, tensor));
  load_weights(model, arrays, "checkpoint " + file.string());
}

Classifier model_from_checkpoint(const Checkpoint& checkpoint, const fs::path& file) {
  Classifier model;
  try {
    model = make_model(checkpoint.model.spec());
  } catch (const Error& e) {
    fail(file, std::string("describes a model this program cannot build: ") + e.what());
  }
  restore_model(checkpoint, *model, file);
  model->eval();
  return model;
}

std::string settings_differences(const std::map<std::string, std::string>& in_checkpoint,
                                 const std::map<std::string, std::string>& current) {
  std::string out;
  for (const auto& [key, now] : current) {
    const auto it = in_checkpoint.find(key);
    const std::string then = it == in_checkpoint.end() ? "(not recorded)" : it->second;
    if (then != now) out += "  --" + key + ": " + then + " in the checkpoint, " + now + " now\n";
  }
  return out;
}

}  // namespace ringtail::pets::train
