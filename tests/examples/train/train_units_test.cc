// Unit tests of the training pieces: schedule, loss scaler, JSON, metrics
// file, progress lines, checkpoints (round trip and damage), the TorchScript
// export against the C++ models, model.json, the confusion CSV, autocast.
#include <ATen/autocast_mode.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "../pets/temp_dir.h"
#include "ringtail/collectives/error.h"
#include "ringtail/pets/breeds.h"
#include "ringtail/pets/model_weights.h"
#include "ringtail/pets/train/checkpoint.h"
#include "ringtail/pets/train/evaluation.h"
#include "ringtail/pets/train/json_object.h"
#include "ringtail/pets/train/loss_scaler.h"
#include "ringtail/pets/train/lr_schedule.h"
#include "ringtail/pets/train/metrics_log.h"
#include "ringtail/pets/train/optimizer_setup.h"
#include "ringtail/pets/train/precision.h"
#include "ringtail/pets/train/progress.h"
#include "ringtail/pets/train/torchscript_export.h"
#include "ringtail/pets/train/trainer.h"
#ifdef RINGTAIL_PETS_HAVE_SERVE_CORE
#include "ringtail/pets/serve/model_config.h"
#endif

namespace ringtail::pets::train {
namespace {

using ringtail_test::TempDir;
using json = nlohmann::json;

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<std::string> breed_names(int n) {
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) names.emplace_back(oxford_breeds()[static_cast<std::size_t>(i)].name);
  return names;
}

// ---------------------------------------------------------------- schedule

TEST(LrSchedule, WarmsUpLinearlyThenFollowsTheCosineToTheFloor) {
  LrSchedule s;
  s.peak = 0.4;
  s.warmup_start = 0.04;
  s.warmup_steps = 10;
  s.total_steps = 110;
  s.final_fraction = 0.01;
  EXPECT_DOUBLE_EQ(s.at(0), 0.04);
  EXPECT_NEAR(s.at(5), 0.04 + 0.36 * 0.5, 1e-15);
  EXPECT_DOUBLE_EQ(s.at(10), 0.4);  // first step after warm-up: the peak
  for (std::int64_t t = 10; t < 110; ++t) {
    const double progress = static_cast<double>(t - 10) / 99.0;
    const double expected = 0.004 + (0.4 - 0.004) * 0.5 * (1.0 + std::cos(M_PI * progress));
    EXPECT_NEAR(s.at(t), expected, 1e-15) << t;
  }
  EXPECT_NEAR(s.at(109), 0.004, 1e-15);  // the last step reaches the floor
  EXPECT_NEAR(s.at(500), 0.004, 1e-15);  // past the end: clamped
  for (std::int64_t t = 1; t < 10; ++t) EXPECT_GT(s.at(t), s.at(t - 1));
  for (std::int64_t t = 11; t < 110; ++t) EXPECT_LT(s.at(t), s.at(t - 1));
}

TEST(LrSchedule, WithoutWarmupStartsAtThePeak) {
  LrSchedule s;
  s.peak = 0.1;
  s.total_steps = 3;
  EXPECT_DOUBLE_EQ(s.at(0), 0.1);
  EXPECT_NEAR(s.at(1), 0.05, 1e-15);
  EXPECT_NEAR(s.at(2), 0.0, 1e-15);
}

// ---------------------------------------------------------------- loss scaler

TEST(LossScaler, UnscalesFiniteGradientsAgainstFloat64) {
  LossScaler scaler(LossScalerOptions{1024.0, 2.0, 0.5, 2, 1.0});
  ::torch::Tensor p = ::torch::zeros({5}, ::torch::requires_grad());
  p.mutable_grad() = ::torch::tensor({1024.0f, -3.0f, 0.5f, 7e3f, 0.0f});
  ASSERT_TRUE(scaler.unscale_({p}));
  const double expected[] = {1.0, -3.0 / 1024.0, 0.5 / 1024.0, 7e3 / 1024.0, 0.0};
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(p.grad()[i].item<double>(), expected[i], 1e-9) << i;
}

TEST(LossScaler, SkipsOverflowsBacksOffAndGrowsAfterTheInterval) {
  LossScaler scaler(LossScalerOptions{1024.0, 2.0, 0.5, 2, 1.0});
  ::torch::Tensor p = ::torch::zeros({2}, ::torch::requires_grad());
  p.mutable_grad() = ::torch::tensor({1.0f, std::numeric_limits<float>::infinity()});
  EXPECT_FALSE(scaler.unscale_({p}));
  scaler.update(false);
  EXPECT_DOUBLE_EQ(scaler.scale(), 512.0);
  p.mutable_grad() = ::torch::tensor({1.0f, std::nanf("")});
  EXPECT_FALSE(scaler.unscale_({p}));
  scaler.update(true);
  EXPECT_DOUBLE_EQ(scaler.scale(), 512.0);
  scaler.update(true);  // second good step in a row: grows
  EXPECT_DOUBLE_EQ(scaler.scale(), 1024.0);
  EXPECT_EQ(scaler.good_steps(), 0);
  for (int i = 0; i < 20; ++i) scaler.update(false);
  EXPECT_DOUBLE_EQ(scaler.scale(), 1.0);  // never below min_scale
  EXPECT_TRUE(::torch::allclose(scaler.scale_loss(::torch::tensor(3.0)), ::torch::tensor(3.0)));
  EXPECT_THROW(scaler.restore(0.0, 0), Error);
}

// ---------------------------------------------------------------- JSON and metrics

TEST(JsonObject, EscapesAndReadsBackWithAJsonParser) {
  JsonObject inner;
  inner.add("n", 3);
  JsonObject o;
  o.add("text", "a \"quote\"\\ back\nslash\t\x01").add("pi", 3.141592653589793).add("big", std::int64_t{1} << 60)
      .add("yes", true).add("nan", std::nan("")).add("names", std::vector<std::string>{"x", "y,z"})
      .add("values", std::vector<double>{0.1, -2.5e-300}).add("inner", inner).add("empty", JsonObject());
  for (int indent : {0, 2}) {
    const json j = json::parse(o.str(indent));
    EXPECT_EQ(j["text"], "a \"quote\"\\ back\nslash\t\x01");
    EXPECT_EQ(j["pi"].get<double>(), 3.141592653589793);  // shortest round-trip text
    EXPECT_EQ(j["big"].get<std::int64_t>(), std::int64_t{1} << 60);
    EXPECT_EQ(j["yes"], true);
    EXPECT_TRUE(j["nan"].is_null());
    EXPECT_EQ(j["names"], json({"x", "y,z"}));
    EXPECT_EQ(j["values"][1].get<double>(), -2.5e-300);
    EXPECT_EQ(j["inner"]["n"], 3);
    EXPECT_TRUE(j["empty"].is_object() && j["empty"].empty());
  }
  EXPECT_EQ(o.str().find('\n'), std::string::npos);  // one line unless indented
}

TEST(MetricsLog, RanksAppendWholeLinesToOneFileOrToTheirOwn) {
  TempDir dir;
  {
    MetricsLog rank0(dir / "m.jsonl", 0);
    MetricsLog rank1(dir / "m.jsonl", 1);
    for (int i = 0; i < 50; ++i) {
      rank0.write("epoch", JsonObject().add("epoch", i));
      rank1.write("epoch", JsonObject().add("epoch", i));
    }
  }
  std::istringstream lines(read_text(dir / "m.jsonl"));
  int count[2] = {0, 0};
  for (std::string line; std::getline(lines, line);) {
    const json j = json::parse(line);
    EXPECT_EQ(j["event"], "epoch");
    EXPECT_EQ(j["epoch"].get<int>(), count[j["rank"].get<int>()]++);
    EXPECT_GT(j["time"].get<double>(), 1.6e9);
  }
  EXPECT_EQ(count[0], 50);
  EXPECT_EQ(count[1], 50);
  EXPECT_EQ(metrics_path_for_rank(dir / "m-{rank}.jsonl", 3), dir / "m-3.jsonl");
  EXPECT_THROW(MetricsLog(dir / "m.jsonl" / "x", 0), Error);  // a file is not a folder
}

TEST(Progress, LinesModePrintsOnlyTheEpochLinesAndOtherRanksNothing) {
  EXPECT_EQ(resolve_progress_mode("auto", 1, 1), ProgressMode::none);
  EXPECT_EQ(resolve_progress_mode("bar", 0, 1), ProgressMode::bar);
  EXPECT_THROW(resolve_progress_mode("fancy", 0, 1), Error);
  std::ostringstream out;
  Progress lines(ProgressMode::lines, out, 2, 20);
  lines.start_epoch(1, 10);
  for (int s = 1; s <= 10; ++s) lines.update(s, 1.0, 10.0);
  lines.line("epoch 1/2 done");
  EXPECT_EQ(out.str(), "epoch 1/2 done\n");
  std::ostringstream bar_out;
  Progress bar(ProgressMode::bar, bar_out, 2, 20);
  bar.start_epoch(1, 10);
  bar.update(10, 0.5, 12.5);  // the last step of an epoch always draws
  EXPECT_NE(bar_out.str().find("epoch 1/2 [########################] 10/10 loss 0.5000 12.5 img/s ETA"),
            std::string::npos)
      << bar_out.str();
  bar.line("done");
  EXPECT_NE(bar_out.str().find("\r\033[Kdone\n"), std::string::npos);
  EXPECT_EQ(format_duration(3725), "1:02:05");
  EXPECT_EQ(format_duration(65), "1:05");
}

// ---------------------------------------------------------------- checkpoints

Checkpoint sample_checkpoint(const Classifier& model, ::torch::optim::Optimizer& optimizer) {
  Checkpoint c;
  c.model.arch = model->arch();
  c.model.dataset = "pets";
  c.model.in_channels = 3;
  c.model.image_size = 32;
  c.model.class_names = breed_names(static_cast<int>(model->num_classes()));
  c.settings = {{"lr", "0.1"}, {"ranks", "2"}};
  c.epochs_done = 3;
  c.steps_done = 42;
  c.model_state = named_state(*model);
  c.optimizer_state = archive_to_bytes([&](::torch::serialize::OutputArchive& a) { optimizer.save(a); });
  c.sampler_state = "sampler bytes";
  c.rng_states = ::torch::randint(0, 255, {2, 16}, ::torch::kUInt8);
  c.loss_scale = 512.0;
  c.loss_scale_good_steps = 7;
  c.eval_accuracy = 0.5;
  return c;
}

struct TrainedSmallCnn {
  Classifier model = make_model({"small_cnn", 4, 3});
  std::shared_ptr<::torch::optim::Optimizer> optimizer;
  TrainedSmallCnn() {
    TrainOptions o;
    optimizer = make_optimizer(o, *model);
    // One step, so the momentum buffers exist.
    model->train();
    ::torch::nn::functional::cross_entropy(model->forward(::torch::randn({4, 3, 16, 16})),
                                         ::torch::tensor({0, 1, 2, 3}))
        .backward();
    optimizer->step();
  }
};

TEST(Checkpoint, RoundTripsEveryField) {
  TempDir dir;
  TrainedSmallCnn trained;
  const Checkpoint saved = sample_checkpoint(trained.model, *trained.optimizer);
  save_checkpoint(saved, dir / "c.rtc");
  const Checkpoint loaded = load_checkpoint(dir / "c.rtc");
  EXPECT_EQ(loaded.model.arch, "small_cnn");
  EXPECT_EQ(loaded.model.class_names, saved.model.class_names);
  EXPECT_EQ(loaded.model.image_size, 32);
  EXPECT_EQ(loaded.settings, saved.settings);
  EXPECT_EQ(loaded.epochs_done, 3);
  EXPECT_EQ(loaded.steps_done, 42);
  EXPECT_EQ(loaded.sampler_state, "sampler bytes");
  EXPECT_TRUE(::torch::equal(loaded.rng_states, saved.rng_states));
  EXPECT_EQ(loaded.loss_scale, 512.0);
  EXPECT_EQ(loaded.loss_scale_good_steps, 7);
  EXPECT_EQ(loaded.eval_accuracy, 0.5);
  EXPECT_TRUE(std::isnan(loaded.eval_top5));
  ASSERT_EQ(loaded.model_state.size(), saved.model_state.size());
  for (std::size_t i = 0; i < saved.model_state.size(); ++i) {
    EXPECT_EQ(loaded.model_state[i].first, saved.model_state[i].first);
    EXPECT_TRUE(::torch::equal(loaded.model_state[i].second, saved.model_state[i].second)) << i;
  }
  // The model and the optimizer state come back exactly.
  const Classifier restored = model_from_checkpoint(loaded, dir / "c.rtc");
  EXPECT_EQ(weights_digest(*restored), weights_digest(*trained.model));
  // The optimizer state is compared by value: the archive's bytes are not
  // reproducible (LibTorch serializes the state from a hash map keyed by
  // tensor addresses, and pads records to 64 bytes), so equal states can
  // give archives of different sizes.
  TrainedSmallCnn other;
  archive_from_bytes(loaded.optimizer_state, [&](::torch::serialize::InputArchive& a) { other.optimizer->load(a); },
                     "optimizer");
  const auto momentum = [](::torch::optim::Optimizer& optimizer, const ::torch::Tensor& parameter) {
    auto& state = optimizer.state().at(c10::guts::to_string(parameter.unsafeGetTensorImpl()));
    return static_cast<::torch::optim::SGDParamState&>(*state).momentum_buffer();
  };
  std::size_t compared = 0;
  for (std::size_t g = 0; g < trained.optimizer->param_groups().size(); ++g) {
    const auto& mine = trained.optimizer->param_groups()[g].params();
    const auto& theirs = other.optimizer->param_groups()[g].params();
    ASSERT_EQ(mine.size(), theirs.size());
    for (std::size_t i = 0; i < mine.size(); ++i, ++compared) {
      EXPECT_TRUE(::torch::equal(momentum(*trained.optimizer, mine[i]), momentum(*other.optimizer, theirs[i])))
          << "group " << g << " parameter " << i;
    }
  }
  EXPECT_EQ(compared, trained.model->parameters().size());
  // No temporary file is left behind.
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) files += entry.is_regular_file();
  EXPECT_EQ(files, 1u);
}

void expect_error_containing(const std::function<void()>& body, const std::string& text) {
  try {
    body();
    ADD_FAILURE() << "no error; expected one containing '" << text << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

TEST(Checkpoint, DamagedTruncatedForeignAndMissingFilesAreClearErrors) {
  TempDir dir;
  TrainedSmallCnn trained;
  save_checkpoint(sample_checkpoint(trained.model, *trained.optimizer), dir / "c.rtc");
  const std::string bytes = read_text(dir / "c.rtc");
  auto write = [&](const std::string& name, const std::string& content) {
    std::ofstream(dir / name, std::ios::binary) << content;
    return dir / name;
  };
  std::string flipped = bytes;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x10);
  const auto damaged = write("damaged.rtc", flipped);
  expect_error_containing([&] { load_checkpoint(damaged); }, "damaged");
  expect_error_containing([&] { load_checkpoint(damaged); }, damaged.string());
  const auto cut = write("cut.rtc", bytes.substr(0, bytes.size() - 1000));
  expect_error_containing([&] { load_checkpoint(cut); }, "truncated");
  expect_error_containing([&] { load_checkpoint(write("header.rtc", bytes.substr(0, 12))); }, "header");
  expect_error_containing([&] { load_checkpoint(write("text.rtc", "hello")); }, "not a ringtail-pets checkpoint");
  save_weights(*trained.model, dir / "w.rtw");
  expect_error_containing([&] { load_checkpoint(dir / "w.rtw"); }, "--pretrained");
  expect_error_containing([&] { load_checkpoint(dir / "missing.rtc"); }, "no such file");
  std::string version = bytes;
  version[8] = 9;
  expect_error_containing([&] { load_checkpoint(write("v.rtc", version)); }, "version 9");

  // A checkpoint whose tensors do not fit the model it names.
  Checkpoint wrong = load_checkpoint(dir / "c.rtc");
  wrong.model.class_names = breed_names(5);
  expect_error_containing([&] { model_from_checkpoint(wrong, "wrong.rtc"); }, "fc.weight");
}

TEST(Checkpoint, SettingsDifferencesNameEveryChangedOption) {
  const std::map<std::string, std::string> then = {{"lr", "0.1"}, {"ranks", "2"}, {"seed", "0"}};
  EXPECT_EQ(settings_differences(then, then), "");
  const std::string diff = settings_differences(then, {{"lr", "0.2"}, {"ranks", "1"}, {"seed", "0"}, {"x", "1"}});
  EXPECT_NE(diff.find("--lr: 0.1 in the checkpoint, 0.2 now"), std::string::npos) << diff;
  EXPECT_NE(diff.find("--ranks: 2 in the checkpoint, 1 now"), std::string::npos) << diff;
  EXPECT_NE(diff.find("--x: (not recorded) in the checkpoint, 1 now"), std::string::npos) << diff;
  EXPECT_EQ(diff.find("seed"), std::string::npos);
}

// ---------------------------------------------------------------- TorchScript export

// Random batch-norm statistics and affine parameters, so they take part.
void randomize_batchnorm(::torch::nn::Module& model) {
  ::torch::NoGradGuard no_grad;
  for (auto& item : model.named_buffers()) {
    if (item.key().find("running_mean") != std::string::npos) item.value().normal_(0, 0.2);
    if (item.key().find("running_var") != std::string::npos) item.value().uniform_(0.5, 2.0);
  }
  for (auto& item : model.named_parameters()) {
    if (item.value().dim() == 1) item.value().normal_(0, 0.3);
  }
}

class Export : public ::testing::TestWithParam<std::string> {};

TEST_P(Export, TorchScriptGivesTheModelsLogits) {
  ::torch::manual_seed(3);
  ModelInfo info;
  info.arch = GetParam();
  info.dataset = "pets";
  info.image_size = 64;
  info.class_names = breed_names(37);
  const Classifier model = make_model(info.spec());
  randomize_batchnorm(*model);
  model->eval();
  TempDir dir;
  const ExportResult result = export_model(*model, info, dir / "model", JsonObject().add("epochs", 7));
  EXPECT_LT(result.max_abs_difference, 1e-4);

  // What serve does: load model.pt and run a float32 NCHW batch.
  ::torch::jit::Module loaded = ::torch::jit::load((dir / "model" / "model.pt").string());
  ::torch::NoGradGuard no_grad;
  const ::torch::Tensor batch = ::torch::randn({3, 3, 64, 64});
  const ::torch::Tensor expected = model->forward(batch.to(::torch::kFloat64).to(::torch::kFloat32));
  const ::torch::Tensor actual = loaded.forward({batch}).toTensor();
  ASSERT_EQ(actual.sizes(), (std::vector<std::int64_t>{3, 37}));
  EXPECT_LT((actual - expected).abs().max().item<double>(), 1e-4);
  // Another input size works too (the model pools globally).
  EXPECT_EQ(loaded.forward({::torch::randn({1, 3, 96, 96})}).toTensor().sizes(),
            (std::vector<std::int64_t>{1, 37}));

  const json config = json::parse(read_text(dir / "model" / "model.json"));
  EXPECT_EQ(config["format"], "ringtail-pets/1");
  EXPECT_EQ(config["model_file"], "model.pt");
  EXPECT_EQ(config["architecture"], GetParam());
  EXPECT_EQ(config["classes"].get<std::vector<std::string>>(), info.class_names);
  EXPECT_EQ(config["input_size"], 64);
  EXPECT_EQ(config["resize_size"], 73);  // round(64 / 0.875)
  EXPECT_EQ(config["mean"].get<std::vector<double>>(), (std::vector<double>{0.485f, 0.456f, 0.406f}));
  EXPECT_EQ(config["std"].get<std::vector<double>>(), (std::vector<double>{0.229f, 0.224f, 0.225f}));
  EXPECT_EQ(config["info"]["epochs"], 7);
  std::set<std::string> keys;
  for (const auto& item : config.items()) keys.insert(item.key());
  EXPECT_EQ(keys, (std::set<std::string>{"format", "model_file", "architecture", "classes", "input_size",
                                         "resize_size", "mean", "std", "info"}));
}

INSTANTIATE_TEST_SUITE_P(Architectures, Export, ::testing::Values("small_cnn", "resnet18", "resnet50"));

TEST(Export, ModelJsonIsWhatTheServerReads) {
#ifdef RINGTAIL_PETS_HAVE_SERVE_CORE
  ModelInfo info;
  info.arch = "resnet34";
  info.dataset = "pets";
  info.image_size = 224;
  info.class_names = breed_names(37);
  const serve::ModelConfig config =
      serve::parse_model_config(model_json_text(info, JsonObject().add("epochs", 3)), "model.json");
  EXPECT_EQ(config.model_file, "model.pt");
  EXPECT_EQ(config.architecture, "resnet34");
  EXPECT_EQ(config.classes, info.class_names);
  EXPECT_EQ(config.input_size, 224);
  EXPECT_EQ(config.resize_size, 256);
  EXPECT_EQ(config.mean, Normalization::imagenet().mean);
  EXPECT_EQ(config.std, Normalization::imagenet().std);
  // The server's preprocessing is training's evaluation preprocessing.
  EXPECT_EQ(config.eval_transform().size, info.eval_transform().size);
  EXPECT_EQ(config.eval_transform().resize, info.eval_transform().resize);
#else
  GTEST_SKIP() << "the serving library is not part of this build";
#endif
}

TEST(Export, RefusesAModelServingCannotFeed) {
  ModelInfo info;
  info.arch = "small_cnn";
  info.dataset = "fashion-mnist";
  info.in_channels = 1;
  info.image_size = 28;
  info.class_names = breed_names(10);
  const Classifier model = make_model(info.spec());
  TempDir dir;
  expect_error_containing([&] { export_model(*model, info, dir / "m"); }, "RGB");
  EXPECT_FALSE(std::filesystem::exists(dir / "m" / "model.json"));
}

TEST(Export, SourceIsReadableTorchScript) {
  const Classifier model = make_model({"resnet18", 37, 3});
  const std::string source = torchscript_source(*model);
  EXPECT_EQ(source.rfind("def forward(self, x):\n", 0), 0u);
  EXPECT_NE(source.find("torch.conv2d(x, self.layer2_0_downsample_0_weight, None, [2, 2], [0, 0], [1, 1], 1)"),
            std::string::npos)
      << source;
  EXPECT_NE(source.find("torch.batch_norm(x, self.bn1_weight, self.bn1_bias, self.bn1_running_mean, "
                        "self.bn1_running_var, False, 0.1, 1e-05, True)"),
            std::string::npos)
      << source;
}

// ---------------------------------------------------------------- evaluation output

TEST(Evaluation, ConfusionCsvAndPerClassAccuracy) {
  EvalResult r;
  r.confusion = ::torch::tensor({3, 1, 0, 0, 2, 2, 0, 0, 0}, ::torch::kInt64).view({3, 3});
  const std::vector<double> accuracy = r.per_class_accuracy();
  EXPECT_DOUBLE_EQ(accuracy[0], 0.75);
  EXPECT_DOUBLE_EQ(accuracy[1], 0.5);
  EXPECT_TRUE(std::isnan(accuracy[2]));
  const std::vector<std::string> names = {"Abyssinian", "odd, \"name\"", "pug"};
  TempDir dir;
  write_confusion_csv(dir / "c.csv", r.confusion, names);
  EXPECT_EQ(read_text(dir / "c.csv"),
            "true \\ predicted,Abyssinian,\"odd, \"\"name\"\"\",pug\n"
            "Abyssinian,3,1,0\n"
            "\"odd, \"\"name\"\"\",0,2,2\n"
            "pug,0,0,0\n");
  const std::string table = per_class_table(r, names);
  EXPECT_LT(table.find("50.0%"), table.find("75.0%"));  // worst first
  EXPECT_NE(table.find("pug (no examples)"), std::string::npos);
  EXPECT_THROW(write_confusion_csv(dir / "d.csv", r.confusion, {"a"}), Error);
}

// ---------------------------------------------------------------- precision

TEST(Precision, Bf16AutocastRunsTheForwardInBfloat16AndRestoresTheState) {
  EXPECT_EQ(parse_precision("off"), Precision::fp32);
  EXPECT_THROW(parse_precision("fp8"), Error);
  EXPECT_THROW(check_precision(Precision::fp16, ::torch::kCPU), Error);
  const ::torch::Tensor x = ::torch::randn({2, 8});
  const ::torch::Tensor w = ::torch::randn({4, 8});
  {
    AutocastGuard guard(Precision::bf16, ::torch::kCPU);
    EXPECT_EQ(::torch::mm(x, w.t()).scalar_type(), ::torch::kBFloat16);
  }
  EXPECT_EQ(::torch::mm(x, w.t()).scalar_type(), ::torch::kFloat32);
  EXPECT_FALSE(at::autocast::is_cpu_enabled());
  AutocastGuard off(Precision::fp32, ::torch::kCPU);
  EXPECT_EQ(::torch::mm(x, w.t()).scalar_type(), ::torch::kFloat32);
}

TEST(Optimizer, WeightDecayOnlyOnWeightMatrices) {
  TrainOptions o;
  o.weight_decay = 0.01;
  const Classifier model = make_model({"small_cnn", 4, 3});
  auto sgd = make_optimizer(o, *model);
  ASSERT_EQ(sgd->param_groups().size(), 2u);
  const auto& decayed = sgd->param_groups()[0];
  const auto& plain = sgd->param_groups()[1];
  for (const auto& p : decayed.params()) EXPECT_GT(p.dim(), 1);
  for (const auto& p : plain.params()) EXPECT_EQ(p.dim(), 1);
  EXPECT_EQ(static_cast<const ::torch::optim::SGDOptions&>(decayed.options()).weight_decay(), 0.01);
  EXPECT_EQ(static_cast<const ::torch::optim::SGDOptions&>(plain.options()).weight_decay(), 0.0);
  set_learning_rate(*sgd, 0.25);
  for (const auto& g : sgd->param_groups()) EXPECT_EQ(g.options().get_lr(), 0.25);
  o.optimizer = "adamw";
  EXPECT_NE(dynamic_cast<::torch::optim::AdamW*>(make_optimizer(o, *model).get()), nullptr);
}

TEST(TrainOptions, ValidationNamesTheOption) {
  TrainOptions o;
  o.data = "/somewhere";
  EXPECT_NO_THROW(o.validate());
  auto check = [&](auto change, const std::string& text) {
    TrainOptions bad = o;
    change(bad);
    expect_error_containing([&] { bad.validate(); }, text);
  };
  check([](TrainOptions& b) { b.lr = -1; }, "--lr");
  check([](TrainOptions& b) { b.warmup_epochs = 20; }, "--warmup-epochs");
  check([](TrainOptions& b) { b.arch = "vgg"; }, "--arch 'vgg'");
  check([](TrainOptions& b) { b.data.clear(); }, "--data");
  check([](TrainOptions& b) { b.resume = b.overwrite = true; }, "--resume and --overwrite");
  check([](TrainOptions& b) { b.label_smoothing = 1; }, "--label-smoothing");
  check([](TrainOptions& b) { b.compression = "int8"; }, "--compression must be none, fp16 or bf16, not 'int8'");
  const auto settings = o.run_settings(2);
  EXPECT_EQ(settings.at("compression"), "none");  // changes the numbers: a resume must match it
  EXPECT_EQ(settings.at("ranks"), "2");
  EXPECT_EQ(settings.at("lr"), "0.1");
  EXPECT_EQ(settings.count("threads"), 0u);  // does not change the numbers
}

// trainval is train plus val: evaluating val (or train) while training on
// trainval scores images the model trained on, and the run would report that
// as held-out accuracy.
TEST(TrainOptions, RefusesAnEvaluationSplitThatSharesImagesWithTheTrainingSplit) {
  TrainOptions o;
  o.data = "/somewhere";
  const std::pair<const char*, const char*> overlapping[] = {
      {"trainval", "val"}, {"trainval", "train"}, {"train", "trainval"},
      {"val", "trainval"}, {"train", "train"},    {"test", "test"}};
  for (const auto& [train_split, eval_split] : overlapping) {
    TrainOptions bad = o;
    bad.train_split = train_split;
    bad.eval_split = eval_split;
    expect_error_containing([&] { bad.validate(); },
                            std::string("--eval-split ") + eval_split + " shares images with --train-split " +
                                train_split);
  }
  const std::pair<const char*, const char*> disjoint[] = {
      {"trainval", "test"}, {"train", "val"}, {"train", "test"}, {"val", "train"}};
  for (const auto& [train_split, eval_split] : disjoint) {
    TrainOptions good = o;
    good.train_split = train_split;
    good.eval_split = eval_split;
    EXPECT_NO_THROW(good.validate()) << train_split << " / " << eval_split;
  }
}

}  // namespace
}  // namespace ringtail::pets::train
