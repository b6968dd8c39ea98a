// The ringtail-pets program end to end on a small synthetic set: a run killed
// with SIGKILL and resumed ends with the weights of an uninterrupted run; two
// ranks under mpirun lose loss and end identical; evaluate's confusion matrix
// agrees with training's evaluation; export gives the checkpoint's logits;
// bad checkpoints and mismatched resumptions are clear errors; ranks that list
// different images stop; evaluate scores the run's own val draw.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/script.h>
#include <torch/torch.h>

#include <fstream>
#include <sstream>

#include "../pets/temp_dir.h"
#include "process.h"
#include "ringtail/pets/model_weights.h"
#include "ringtail/pets/oxford_pets.h"
#include "ringtail/pets/synth.h"
#include "ringtail/pets/train/checkpoint.h"
#include "ringtail/pets/train/trainer.h"

namespace ringtail::pets::train {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ringtail_test::ProcessResult;
using ringtail_test::TempDir;

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

class TrainCli : public ::testing::Test {
 protected:
  // Epochs of the 1-rank and the 2-rank runs. The resume tests stop a run at
  // an early epoch line; the epochs after it (about 40 ms each on an idle
  // machine) are the window in which the signal must arrive, else the run has
  // finished and the test can only skip. With 4 and 5 epochs the 2-rank
  // resume test skipped on an idle machine.
  static constexpr int kEpochs = 12;
  static constexpr int kTwoRankEpochs = 30;

  // One data set and one uninterrupted 1-rank run for the whole suite.
  static void SetUpTestSuite() {
    root_ = std::make_unique<TempDir>();
    SynthOptions synth;
    synth.out = data();
    synth.classes = 4;
    synth.per_class = 16;  // 8 trainval, 8 test
    synth.size = 48;
    synth.seed = 1;
    synth.bad_per_kind = 0;
    generate_synthetic_pets(synth);
    baseline_ = ringtail_test::run_process(train_args(dir("a"), kEpochs));
    two_ranks_ = ringtail_test::run_process(two_rank_args(dir("two")));
  }
  static void TearDownTestSuite() { root_.reset(); }

  static fs::path dir(const std::string& name) { return root_->path() / name; }
  static fs::path data() { return dir("data"); }

  // A small, fast run: small_cnn (with dropout, so the random generator's
  // state matters for resuming) on 32 x 32 crops, 8 steps per epoch on 1 rank.
  static std::vector<std::string> train_args(const fs::path& output, int epochs) {
    return {RINGTAIL_PETS_BIN, "train",        "--data",          data().string(),
            "--arch",          "small_cnn",    "--image-size",    "32",
            "--batch-size",    "4",            "--lr",            "0.05",
            "--epochs",        std::to_string(epochs), "--warmup-epochs", "0.5",
            "--label-smoothing", "0.1",        "--seed",          "7",
            "--progress",      "lines",        "--output",        output.string()};
  }

  // The same on 2 ranks under mpirun, kTwoRankEpochs epochs, with metrics.
  static std::vector<std::string> two_rank_args(const fs::path& output) {
    std::vector<std::string> args = {RINGTAIL_TEST_MPIRUN};
    for (const auto& flag : split(RINGTAIL_TEST_MPIRUN_FLAGS, '|')) args.push_back(flag);
    // Two ranks of two busy threads on a small machine: Open MPI must not spin.
    args.insert(args.end(), {"--mca", "mpi_yield_when_idle", "1", "-np", "2"});
    const auto train = train_args(output, kTwoRankEpochs);
    args.insert(args.end(), train.begin(), train.end());
    args.insert(args.end(), {"--metrics", (output / "metrics-{rank}.jsonl").string()});
    return args;
  }

  // Two ranks under mpirun, each with its own command line (an MPMD launch:
  // what ranks on machines with different files amount to).
  static std::vector<std::string> per_rank_args(const std::vector<std::string>& rank0,
                                                const std::vector<std::string>& rank1) {
    std::vector<std::string> args = {RINGTAIL_TEST_MPIRUN};
    for (const auto& flag : split(RINGTAIL_TEST_MPIRUN_FLAGS, '|')) args.push_back(flag);
    args.insert(args.end(), {"--mca", "mpi_yield_when_idle", "1", "-np", "1"});
    args.insert(args.end(), rank0.begin(), rank0.end());
    args.insert(args.end(), {":", "-np", "1"});
    args.insert(args.end(), rank1.begin(), rank1.end());
    return args;
  }

  static std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }

  // `args` with the value of `option` replaced.
  static std::vector<std::string> set_option(std::vector<std::string> args, const std::string& option,
                                             const std::string& value) {
    for (std::size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] == option) args[i + 1] = value;
    }
    return args;
  }

  static void expect_success(const ProcessResult& r, const std::vector<std::string>& args) {
    ASSERT_EQ(r.exit_code, 0) << ringtail_test::command_text(args) << "\n" << r.output;
  }

  static void expect_failure_mentioning(const std::vector<std::string>& args,
                                        const std::vector<std::string>& texts) {
    const ProcessResult r = ringtail_test::run_process(args);
    EXPECT_EQ(r.exit_code, 1) << ringtail_test::command_text(args) << "\n" << r.output;
    for (const auto& text : texts) {
      EXPECT_NE(r.output.find(text), std::string::npos) << "expected '" << text << "' in:\n" << r.output;
    }
  }

  static inline std::unique_ptr<TempDir> root_;
  static inline ProcessResult baseline_;
  static inline ProcessResult two_ranks_;
};

TEST_F(TrainCli, ResumeAfterAKillEndsWithTheUninterruptedRunsWeights) {
  expect_success(baseline_, train_args(dir("a"), kEpochs));
  const Checkpoint uninterrupted = load_checkpoint(dir("a") / kCheckpointFile);
  ASSERT_EQ(uninterrupted.epochs_done, kEpochs);

  // Killed (SIGKILL, no chance to clean up) once epoch 1 is reported, which
  // is after its checkpoint is on disk.
  bool reported = false;
  const auto args = train_args(dir("b"), kEpochs);
  const ProcessResult killed =
      ringtail_test::run_until_line_then_kill(args, "epoch 1/" + std::to_string(kEpochs), SIGKILL, &reported);
  ASSERT_TRUE(reported) << killed.output;
  EXPECT_EQ(killed.exit_code, 128 + SIGKILL) << killed.output;
  const Checkpoint partial = load_checkpoint(dir("b") / kCheckpointFile);
  if (partial.epochs_done == kEpochs) GTEST_SKIP() << "the run finished before the kill arrived";
  EXPECT_GE(partial.epochs_done, 1);

  const auto resume_args = with(args, {"--resume"});
  const ProcessResult resumed = ringtail_test::run_process(resume_args);
  expect_success(resumed, resume_args);
  EXPECT_NE(resumed.output.find("resuming from " + (dir("b") / kCheckpointFile).string() + " after epoch " +
                                std::to_string(partial.epochs_done) + "/" + std::to_string(kEpochs)),
            std::string::npos)
      << resumed.output;
  EXPECT_EQ(resumed.output.find("epoch 1/" + std::to_string(kEpochs) + " "), std::string::npos)
      << "epoch 1 ran again:\n" << resumed.output;

  const Checkpoint finished = load_checkpoint(dir("b") / kCheckpointFile);
  EXPECT_EQ(finished.epochs_done, kEpochs);
  EXPECT_EQ(finished.steps_done, uninterrupted.steps_done);
  ASSERT_EQ(finished.model_state.size(), uninterrupted.model_state.size());
  for (std::size_t i = 0; i < finished.model_state.size(); ++i) {
    EXPECT_TRUE(::torch::equal(finished.model_state[i].second, uninterrupted.model_state[i].second))
        << finished.model_state[i].first << " differs";
  }
  EXPECT_EQ(finished.eval_accuracy, uninterrupted.eval_accuracy);
  EXPECT_EQ(finished.eval_loss, uninterrupted.eval_loss);
}

TEST_F(TrainCli, TwoRanksLoseLossAndEndWithIdenticalWeights) {
  const ProcessResult& r = two_ranks_;
  expect_success(r, two_rank_args(dir("two")));
  EXPECT_NE(r.output.find("2 ranks x batch 4 x 1 pass = global batch 8"), std::string::npos) << r.output;

  std::vector<json> epochs[2];
  json final_record[2];
  for (int rank = 0; rank < 2; ++rank) {
    std::istringstream lines(read_text(dir("two") / ("metrics-" + std::to_string(rank) + ".jsonl")));
    for (std::string line; std::getline(lines, line);) {
      const json record = json::parse(line);
      EXPECT_EQ(record["rank"], rank);
      if (record["event"] == "start") {
        EXPECT_EQ(record["ranks"], 2);
      }
      if (record["event"] == "epoch") epochs[rank].push_back(record);
      if (record["event"] == "final") final_record[rank] = record;
    }
  }
  ASSERT_EQ(epochs[0].size(), static_cast<std::size_t>(kTwoRankEpochs));
  ASSERT_EQ(epochs[1].size(), static_cast<std::size_t>(kTwoRankEpochs));
  // The training loss falls.
  const double first = epochs[0].front()["train_loss"].get<double>();
  const double last = epochs[0].back()["train_loss"].get<double>();
  EXPECT_LT(last, first * 0.9) << "train loss " << first << " -> " << last;
  // Every rank reports the same global numbers and ends with the same weights.
  for (std::size_t e = 0; e < epochs[0].size(); ++e) {
    EXPECT_EQ(epochs[0][e]["train_loss"], epochs[1][e]["train_loss"]) << e;
    EXPECT_EQ(epochs[0][e]["eval"], epochs[1][e]["eval"]) << e;
    EXPECT_EQ(epochs[0][e]["eval"]["count"], 32);
  }
  EXPECT_EQ(final_record[0]["weights_digest"], final_record[1]["weights_digest"]);
  EXPECT_EQ(final_record[0]["ranks_agree"], true);
  // Rank 0's checkpoint holds that model.
  const Checkpoint checkpoint = load_checkpoint(dir("two") / kCheckpointFile);
  EXPECT_EQ(checkpoint.settings.at("ranks"), "2");
  EXPECT_EQ(checkpoint.rng_states.size(0), 2);
  const Classifier model = model_from_checkpoint(checkpoint, dir("two") / kCheckpointFile);
  EXPECT_EQ(weights_digest(*model), final_record[0]["weights_digest"].get<std::string>());
}

// The same on 2 ranks: every rank's random state comes back from rank 0's
// checkpoint, and the resumed ranks start from rank 0's broadcast state.
TEST_F(TrainCli, TwoRanksResumeToTheUninterruptedRunsWeights) {
  expect_success(two_ranks_, two_rank_args(dir("two")));
  const Checkpoint uninterrupted = load_checkpoint(dir("two") / kCheckpointFile);
  ASSERT_EQ(uninterrupted.epochs_done, kTwoRankEpochs);

  // mpirun passes SIGTERM to the ranks (which do not handle it) and ends
  // when they have: a preempted job.
  bool reported = false;
  const auto args = two_rank_args(dir("two-killed"));
  const ProcessResult killed =
      ringtail_test::run_until_line_then_kill(args, "epoch 2/" + std::to_string(kTwoRankEpochs), SIGTERM, &reported);
  ASSERT_TRUE(reported) << killed.output;
  EXPECT_NE(killed.exit_code, 0) << killed.output;
  const Checkpoint partial = load_checkpoint(dir("two-killed") / kCheckpointFile);
  if (partial.epochs_done == kTwoRankEpochs) GTEST_SKIP() << "the run finished before the signal arrived";

  const auto resume_args = with(args, {"--resume"});
  const ProcessResult resumed = ringtail_test::run_process(resume_args);
  expect_success(resumed, resume_args);
  EXPECT_NE(resumed.output.find("after epoch " + std::to_string(partial.epochs_done) + "/" +
                                std::to_string(kTwoRankEpochs)),
            std::string::npos)
      << resumed.output;
  const Checkpoint finished = load_checkpoint(dir("two-killed") / kCheckpointFile);
  ASSERT_EQ(finished.model_state.size(), uninterrupted.model_state.size());
  for (std::size_t i = 0; i < finished.model_state.size(); ++i) {
    EXPECT_TRUE(::torch::equal(finished.model_state[i].second, uninterrupted.model_state[i].second))
        << finished.model_state[i].first << " differs";
  }
  EXPECT_TRUE(::torch::equal(finished.rng_states, uninterrupted.rng_states));
  EXPECT_EQ(finished.eval_accuracy, uninterrupted.eval_accuracy);
}

TEST_F(TrainCli, EvaluateWritesAConfusionMatrixThatAgreesWithTraining) {
  expect_success(baseline_, train_args(dir("a"), kEpochs));
  const fs::path checkpoint_file = dir("a") / kCheckpointFile;
  const std::vector<std::string> args = {RINGTAIL_PETS_BIN, "evaluate",    "--checkpoint", checkpoint_file.string(),
                                         "--data",          data().string(), "--confusion", (dir("a") / "cm.csv").string()};
  const ProcessResult r = ringtail_test::run_process(args);
  expect_success(r, args);
  EXPECT_NE(r.output.find("per-class test accuracy (worst first)"), std::string::npos) << r.output;

  std::istringstream csv(read_text(dir("a") / "cm.csv"));
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header, "true \\ predicted,Abyssinian,american_bulldog,american_pit_bull_terrier,basset_hound");
  std::int64_t total = 0, diagonal = 0;
  int row = 0;
  for (std::string line; std::getline(csv, line); ++row) {
    const auto cells = split(line, ',');
    ASSERT_EQ(cells.size(), 5u) << line;
    std::int64_t row_total = 0;
    for (int c = 1; c <= 4; ++c) {
      const std::int64_t n = std::stoll(cells[static_cast<std::size_t>(c)]);
      row_total += n;
      if (c - 1 == row) diagonal += n;
    }
    EXPECT_EQ(row_total, 8) << "every class has 8 test images: " << line;
    total += row_total;
  }
  EXPECT_EQ(row, 4);
  EXPECT_EQ(total, 32);
  // The same model and preprocessing as training's last evaluation.
  const Checkpoint checkpoint = load_checkpoint(checkpoint_file);
  EXPECT_DOUBLE_EQ(static_cast<double>(diagonal) / static_cast<double>(total), checkpoint.eval_accuracy);
  char expected[64];
  std::snprintf(expected, sizeof expected, "test accuracy %.2f%%", 100.0 * checkpoint.eval_accuracy);
  EXPECT_NE(r.output.find(expected), std::string::npos) << r.output;
}

TEST_F(TrainCli, ExportWritesTorchScriptWithTheCheckpointsLogits) {
  expect_success(baseline_, train_args(dir("a"), kEpochs));
  const fs::path checkpoint_file = dir("a") / kCheckpointFile;
  const std::vector<std::string> args = {RINGTAIL_PETS_BIN, "export", "--checkpoint", checkpoint_file.string(),
                                         "--out", (dir("a") / "model").string()};
  const ProcessResult r = ringtail_test::run_process(args);
  expect_success(r, args);
  EXPECT_NE(r.output.find("small_cnn, 4 classes, input 32, resize 37"), std::string::npos) << r.output;

  const Checkpoint checkpoint = load_checkpoint(checkpoint_file);
  const Classifier model = model_from_checkpoint(checkpoint, checkpoint_file);
  ::torch::jit::Module exported = ::torch::jit::load((dir("a") / "model" / "model.pt").string());
  ::torch::NoGradGuard no_grad;
  const ::torch::Tensor batch = ::torch::randn({5, 3, 32, 32});
  const double difference =
      (exported.forward({batch}).toTensor() - model->forward(batch)).abs().max().item<double>();
  EXPECT_LT(difference, 1e-4);
  const json config = json::parse(read_text(dir("a") / "model" / "model.json"));
  EXPECT_EQ(config["classes"].get<std::vector<std::string>>(), checkpoint.model.class_names);
  EXPECT_EQ(config["input_size"], 32);
  EXPECT_EQ(config["info"]["epochs"], kEpochs);
}

TEST_F(TrainCli, BadCheckpointsAndMismatchedResumesAreClearErrors) {
  expect_success(baseline_, train_args(dir("a"), kEpochs));
  const fs::path good = dir("a") / kCheckpointFile;
  const std::string bytes = read_text(good);

  fs::create_directories(dir("damaged"));
  std::string flipped = bytes;
  flipped[bytes.size() / 3] = static_cast<char>(flipped[bytes.size() / 3] ^ 1);
  std::ofstream(dir("damaged") / kCheckpointFile, std::ios::binary) << flipped;
  expect_failure_mentioning({RINGTAIL_PETS_BIN, "evaluate", "--checkpoint",
                             (dir("damaged") / kCheckpointFile).string(), "--data", data().string()},
                            {"damaged", (dir("damaged") / kCheckpointFile).string()});
  expect_failure_mentioning(with(train_args(dir("damaged"), kEpochs), {"--resume"}), {"damaged", "CRC-32"});

  fs::create_directories(dir("cut"));
  std::ofstream(dir("cut") / kCheckpointFile, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  expect_failure_mentioning(with(train_args(dir("cut"), kEpochs), {"--resume"}), {"truncated"});

  // Another run's settings, or no --resume at all over an existing run.
  expect_failure_mentioning(with(set_option(train_args(dir("a"), kEpochs + 1), "--lr", "0.1"), {"--resume"}),
                            {"other settings", "--lr: 0.05 in the checkpoint, 0.1 now",
                             "--epochs: " + std::to_string(kEpochs) + " in the checkpoint, " +
                                 std::to_string(kEpochs + 1) + " now"});
  expect_failure_mentioning(train_args(dir("a"), kEpochs), {"exists from an earlier run", "--resume"});
  expect_failure_mentioning(with(train_args(dir("nothing"), kEpochs), {"--resume"}), {"no such file"});
  expect_failure_mentioning({RINGTAIL_PETS_BIN, "export", "--checkpoint", (dir("a") / "cm.csv").string(), "--out",
                             (dir("x")).string()},
                            {"checkpoint"});
  // The good checkpoint was not touched by any of this.
  EXPECT_EQ(read_text(good), bytes);
}

// evaluate --split val must score the val images the run held out: those
// drawn with the run's --seed (7 here), not with evaluate's own default.
TEST_F(TrainCli, EvaluateScoresTheValSplitTheRunDrew) {
  expect_success(baseline_, train_args(dir("a"), kEpochs));
  auto names_of = [](const std::vector<PetRecord>& records) {
    std::vector<std::string> names;
    for (const auto& record : records) names.push_back(record.name);
    return names;
  };
  OxfordPetsOptions options;
  options.root = data();
  options.split_seed = 7;
  const auto run_val = names_of(OxfordPets(options).records(PetsSplit::val));
  options.split_seed = 0;
  ASSERT_NE(names_of(OxfordPets(options).records(PetsSplit::val)), run_val) << "the seeds draw alike";

  const fs::path predictions = dir("a") / "val-predictions.csv";
  const std::vector<std::string> args = {RINGTAIL_PETS_BIN, "evaluate", "--checkpoint",
                                         (dir("a") / kCheckpointFile).string(), "--data", data().string(),
                                         "--split", "val", "--predictions", predictions.string()};
  const ProcessResult r = ringtail_test::run_process(args);
  expect_success(r, args);
  // The baseline trained on trainval, val included: evaluate says so.
  EXPECT_NE(r.output.find("trained on trainval, which holds the val images"), std::string::npos) << r.output;
  std::istringstream rows(read_text(predictions));
  std::string line;
  std::getline(rows, line);  // header
  std::vector<std::string> scored;
  while (std::getline(rows, line)) scored.push_back(line.substr(0, line.find(',')));
  EXPECT_EQ(scored, run_val);
}

// A rank whose copy of the data lacks one image lists one image fewer: its
// shards and evaluation share would silently differ from the others'. Every
// rank must stop with an error naming the difference.
TEST_F(TrainCli, RanksThatListDifferentImagesStopWithAClearError) {
  fs::copy(data(), dir("data-partial"), fs::copy_options::recursive);
  const std::string missing = OxfordPets({data(), 0.1, 0}).records(PetsSplit::trainval).front().name;
  ASSERT_TRUE(fs::remove(dir("data-partial") / "images" / (missing + ".jpg")));
  const auto rank0 = train_args(dir("mismatch"), 1);
  const auto args = per_rank_args(rank0, set_option(rank0, "--data", dir("data-partial").string()));
  const ProcessResult r = ringtail_test::run_process(args, 120);
  EXPECT_FALSE(r.timed_out) << "hung:\n" << r.output;
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("the ranks opened different data"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("rank 1: 31 training images"), std::string::npos) << r.output;
}

// Resuming on a data folder whose usable images changed since the checkpoint
// (a file gone, say) would shard other images under the restored sampler
// state and stretch the schedule: refused, naming the listings.
TEST_F(TrainCli, ResumeOnAChangedImageListingIsRefused) {
  fs::copy(data(), dir("data-shrinking"), fs::copy_options::recursive);
  // (The check does not depend on where the run stopped: a finished run will do.)
  const auto args = set_option(train_args(dir("shrinking"), 2), "--data", dir("data-shrinking").string());
  expect_success(ringtail_test::run_process(args), args);
  const std::string missing = OxfordPets({data(), 0.1, 0}).records(PetsSplit::trainval).back().name;
  ASSERT_TRUE(fs::remove(dir("data-shrinking") / "images" / (missing + ".jpg")));
  const ProcessResult r = ringtail_test::run_process(with(args, {"--resume"}), 120);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("--images: 32 training images, 32 evaluation images, listing "), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("31 training images, 32 evaluation images, listing "), std::string::npos) << r.output;
}

// A run on GPUs saves each rank's CPU and CUDA generator states; resuming it
// with 2 ranks must not assume CPU-sized rows on the ranks that do not read the
// checkpoint, and --device may change (docs/training.md), so a state with a
// part for another device resumes. Simulated on the CPU: rows 16 bytes longer.
TEST_F(TrainCli, TwoRanksResumeACheckpointWithLongerGeneratorStates) {
  expect_success(two_ranks_, two_rank_args(dir("two")));
  Checkpoint checkpoint = load_checkpoint(dir("two") / kCheckpointFile);
  checkpoint.rng_states =
      ::torch::cat({checkpoint.rng_states, ::torch::zeros({2, 16}, ::torch::kUInt8)}, 1);
  checkpoint.epochs_done -= 1;  // one epoch left to train
  fs::create_directories(dir("two-gpu"));
  save_checkpoint(checkpoint, dir("two-gpu") / kCheckpointFile);
  const auto args = with(two_rank_args(dir("two-gpu")), {"--resume"});
  const ProcessResult r = ringtail_test::run_process(args, 120);
  EXPECT_FALSE(r.timed_out) << "hung:\n" << r.output;
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("epoch " + std::to_string(kTwoRankEpochs) + "/"), std::string::npos) << r.output;
}

// --pretrained, like a checkpoint, is read by rank 0 and broadcast: the other
// ranks need not see the file (here rank 1 is given a path that does not exist).
TEST_F(TrainCli, PretrainedWeightsNeedOnlyBeReadableOnRankZero) {
  fs::create_directories(dir("weights"));
  const fs::path weights = dir("weights") / "small_cnn.rtw";
  ::torch::manual_seed(3);
  save_weights(*make_model({"small_cnn", 4, 3}), weights);
  const auto rank0 = with(train_args(dir("pretrained"), 1), {"--pretrained", weights.string()});
  const auto args =
      per_rank_args(rank0, set_option(rank0, "--pretrained", (dir("weights") / "absent.rtw").string()));
  const ProcessResult r = ringtail_test::run_process(args, 120);
  EXPECT_FALSE(r.timed_out) << "hung:\n" << r.output;
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("loaded"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace ringtail::pets::train
