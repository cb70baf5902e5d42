// `anemll convert` and `anemll synth` end to end: bad input gives one clear line on stderr, a
// non-zero exit and no output folder; an interrupted conversion leaves nothing behind;
// --restart/--only/--compile behave like ANEMLL's steps.
#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "base/file.h"
#include "hf/safetensors.h"
#include "support/test_support.h"

extern char** environ;

namespace anemll {
namespace {

namespace fs = std::filesystem;
using testing::CliResult;
using testing::ModelDir;
using testing::CountLines;
using testing::RunCli;
using testing::TempDir;

// A bad conversion: exit code 1, exactly one line on stderr containing `expect`, no output.
void ExpectOneLineError(const std::vector<std::string>& args, const std::string& expect, const fs::path& out) {
  CliResult r = RunCli(args);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(CountLines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("anemll convert: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(expect), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out)) << "output folder left behind";
  if (fs::exists(out.parent_path())) {
    std::string staging = ".";
    staging += out.filename().string();
    staging += ".tmp";
    for (const auto& e : fs::directory_iterator(out.parent_path())) {
      EXPECT_EQ(e.path().filename().string().find(staging), std::string::npos) << "staging folder left: " << e.path();
    }
  }
}

std::vector<std::string> Convert(const fs::path& model, const fs::path& out, std::vector<std::string> extra) {
  std::vector<std::string> args = {"-q", "convert", "--model", model.string(), "--output", out.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(ConvertCli, UnknownArchitecture) {
  TempDir tmp;
  const fs::path model = tmp / "model";
  fs::create_directory(model);
  fs::copy_file(ModelDir("tiny-llama") / "model.safetensors", model / "model.safetensors");
  std::string config = *ReadFile(ModelDir("tiny-llama") / "config.json");
  config.replace(config.find("\"llama\""), 7, "\"mamba\"");
  ASSERT_TRUE(WriteFileAtomic(model / "config.json", config).ok());
  ExpectOneLineError(Convert(model, tmp / "out", {}), "model_type \"mamba\" is not supported", tmp / "out");
}

TEST(ConvertCli, MissingTensor) {
  TempDir tmp;
  const fs::path model = tmp / "model";
  fs::create_directory(model);
  fs::copy_file(ModelDir("tiny-llama") / "config.json", model / "config.json");
  auto src = hf::SafetensorsFile::Open(ModelDir("tiny-llama") / "model.safetensors");
  ASSERT_TRUE(src.ok());
  hf::SafetensorsWriter w;
  for (const hf::TensorInfo& t : src->tensors()) {
    if (t.name == "model.layers.1.mlp.up_proj.weight") continue;
    ASSERT_TRUE(w.Add(t.name, t.dtype, t.shape, std::string(reinterpret_cast<const char*>(t.data), t.nbytes)).ok());
  }
  ASSERT_TRUE(w.Write(model / "model.safetensors").ok());
  ExpectOneLineError(Convert(model, tmp / "out", {}), "missing tensor model.layers.1.mlp.up_proj.weight", tmp / "out");
}

TEST(ConvertCli, BatchLargerThanContext) {
  TempDir tmp;
  ExpectOneLineError(Convert(ModelDir("tiny-llama"), tmp / "out", {"--context", "32", "--batch", "64"}),
                     "--batch 64 is larger than the context 32", tmp / "out");
}

TEST(ConvertCli, ChunksAboveLayerCount) {
  TempDir tmp;
  ExpectOneLineError(Convert(ModelDir("tiny-llama"), tmp / "out", {"--context", "32", "--batch", "4", "--chunk", "5"}),
                     "--chunk 5: chunk count above the layer count 3", tmp / "out");
}

TEST(ConvertCli, SingleCacheAboveWindow) {
  TempDir tmp;
  ExpectOneLineError(
      Convert(ModelDir("tiny-gemma3"), tmp / "out", {"--context", "64", "--batch", "4", "--single-cache"}),
      "--single-cache needs a context up to the sliding window 16; got --context 64", tmp / "out");
}

TEST(ConvertCli, UnwritableOutput) {
  TempDir tmp;
  ASSERT_TRUE(WriteFileAtomic(tmp / "file", "not a folder").ok());
  const fs::path out = tmp / "file" / "out";
  CliResult r = RunCli(Convert(ModelDir("tiny-llama"), out, {"--context", "32", "--batch", "4"}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(CountLines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find(out.string()), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_regular_file(tmp / "file"));
}

TEST(ConvertCli, OutputIsAForeignFolder) {
  TempDir tmp;
  fs::create_directory(tmp / "out");
  ASSERT_TRUE(WriteFileAtomic(tmp / "out" / "notes.txt", "mine").ok());
  CliResult r = RunCli(Convert(ModelDir("tiny-llama"), tmp / "out", {"--context", "32", "--batch", "4"}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not a conversion output"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(tmp / "out" / "notes.txt"));
}

TEST(ConvertCli, BadFp16Scale) {
  TempDir tmp;
  for (const char* bad : {"2", "0", "-0.5", "abc", "0.5x"}) {
    ExpectOneLineError(Convert(ModelDir("tiny-gemma3"), tmp / "out", {"--context", "32", "--batch", "4", "--fp16-scale", bad}),
                       std::string("--fp16-scale: \"") + bad + "\" is not \"auto\" or a number in (0, 1]", tmp / "out");
  }
}

TEST(ConvertCli, BadLutRequests) {
  TempDir tmp;
  ExpectOneLineError(Convert(ModelDir("tiny-llama"), tmp / "out", {"--context", "32", "--batch", "4", "--lut2", "5"}),
                     "--lut2: \"5\" is not a LUT setting", tmp / "out");
  // A group that does not divide a projection's output channels fails on the first such tensor.
  ExpectOneLineError(Convert(ModelDir("tiny-llama"), tmp / "out", {"--context", "32", "--batch", "4", "--lut2", "4,3"}),
                     "palettize model.layers.0.self_attn.q_proj.weight: LUT group size 3 does not divide the",
                     tmp / "out");
  // "none" (ANEMLL's way to ask for fp16) is fine.
  CliResult ok = RunCli(Convert(ModelDir("tiny-llama"), tmp / "out", {"--context", "32", "--batch", "4", "--lut2", "none"}));
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST(ConvertCli, OverflowWarningNamesLayerAndFlag) {
  TempDir tmp;
  CliResult r = RunCli({"convert", "--model", ModelDir("tiny-gemma3-fp16-overflow").string(), "--output",
                        (tmp / "out").string(), "--context", "32", "--batch", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("above the fp16 maximum 65504"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("after layer "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--fp16-scale auto"), std::string::npos) << r.err;
  // A model well inside fp16 gets no such warning.
  CliResult clean = RunCli({"convert", "--model", ModelDir("tiny-gemma3").string(), "--output", (tmp / "out2").string(),
                            "--context", "32", "--batch", "4"});
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_EQ(clean.err.find("fp16 maximum"), std::string::npos) << clean.err;
  // With auto scaling: a note with the chosen alpha and the value in meta.yaml.
  CliResult scaled = RunCli({"convert", "--model", ModelDir("tiny-gemma3-fp16-overflow").string(), "--output",
                             (tmp / "out3").string(), "--context", "32", "--batch", "4", "--fp16-scale", "auto"});
  ASSERT_EQ(scaled.exit_code, 0) << scaled.err;
  EXPECT_EQ(scaled.err.find("above the fp16 maximum"), std::string::npos) << scaled.err;
  EXPECT_NE(scaled.err.find("alpha = 50000 / peak"), std::string::npos) << scaled.err;
  EXPECT_NE(ReadFile(tmp / "out3" / "meta.yaml")->find("# fp16_scale: 0."), std::string::npos);
}

// Starts the CLI, waits until the conversion is under way (its staging folder holds the first
// package), sends `sig`, and checks that no output folder appears.
void InterruptMidway(int sig) {
  TempDir tmp;
  const fs::path out = tmp / "out";
  const std::string cli = ANEMLL_CLI_PATH;
  std::vector<std::string> args = {cli, "convert", "--model", ModelDir("tiny-gemma3").string(), "--output", out.string(),
                                   "--context", "32", "--batch", "4"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::setenv("ANEMLL_CONVERT_STEP_DELAY_MS", "4000", 1);
  pid_t pid = 0;
  ASSERT_EQ(::posix_spawn(&pid, cli.c_str(), nullptr, nullptr, argv.data(), environ), 0);
  ::unsetenv("ANEMLL_CONVERT_STEP_DELAY_MS");
  bool midway = false;
  for (int i = 0; i < 600 && !midway; ++i) {
    for (const auto& e : fs::directory_iterator(tmp.path())) {
      if (e.path().filename().string().rfind(".out.tmp", 0) == 0 && fs::exists(e.path() / "gemma3_embeddings.mlpackage")) {
        midway = true;
      }
    }
    if (!midway) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(midway) << "the conversion never got under way";
  ASSERT_EQ(::kill(pid, sig), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the conversion should not have completed";
  EXPECT_FALSE(fs::exists(out)) << "an interrupted conversion left an output folder";
  if (sig == SIGINT) {
    // A polite interrupt also removes the staging folder.
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    for (const auto& e : fs::directory_iterator(tmp.path())) ADD_FAILURE() << "left behind: " << e.path();
  }
}

TEST(ConvertCli, KilledConversionLeavesNoOutput) { InterruptMidway(SIGKILL); }
TEST(ConvertCli, InterruptedConversionLeavesNothing) { InterruptMidway(SIGINT); }

TEST(ConvertCli, RestartAndOnlyWorkOnTheExistingOutput) {
  TempDir tmp;
  const fs::path out = tmp / "out";
  const std::vector<std::string> base = {"--context", "32", "--batch", "4", "--chunk", "2"};
  ASSERT_EQ(RunCli(Convert(ModelDir("tiny-llama"), out, base)).exit_code, 0);
  // --only 7: just the tokenizer files and meta.yaml.
  fs::remove(out / "meta.yaml");
  const auto emb_time = fs::last_write_time(out / "llama_embeddings.mlpackage" / "Manifest.json");
  std::vector<std::string> only7 = base;
  only7.insert(only7.end(), {"--only", "7"});
  CliResult r = RunCli(Convert(ModelDir("tiny-llama"), out, only7));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(out / "meta.yaml"));
  EXPECT_EQ(fs::last_write_time(out / "llama_embeddings.mlpackage" / "Manifest.json"), emb_time);
  // --restart 3 rebuilds the FFN chunks (steps 3/4) and later steps, not embeddings or LM head.
  fs::remove_all(out / "llama_FFN_PF_lut4_chunk_02of02.mlpackage");
  std::vector<std::string> restart3 = base;
  restart3.insert(restart3.end(), {"--restart", "3"});
  r = RunCli(Convert(ModelDir("tiny-llama"), out, restart3));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(out / "llama_FFN_PF_lut4_chunk_02of02.mlpackage" / "Manifest.json"));
  EXPECT_EQ(fs::last_write_time(out / "llama_embeddings.mlpackage" / "Manifest.json"), emb_time);
  // --only 4 is the same step as 3 (prefill lives in the FFN packages).
  fs::remove_all(out / "llama_FFN_PF_lut4_chunk_01of02.mlpackage");
  std::vector<std::string> only4 = base;
  only4.insert(only4.end(), {"--only", "4"});
  r = RunCli(Convert(ModelDir("tiny-llama"), out, only4));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(out / "llama_FFN_PF_lut4_chunk_01of02.mlpackage" / "Manifest.json"));
  // On a missing output folder, restart is an error.
  std::vector<std::string> missing = base;
  missing.insert(missing.end(), {"--restart", "2"});
  ExpectOneLineError(Convert(ModelDir("tiny-llama"), tmp / "none", missing), "does not exist", tmp / "none");
  std::vector<std::string> bad = base;
  bad.insert(bad.end(), {"--only", "9"});
  ExpectOneLineError(Convert(ModelDir("tiny-llama"), tmp / "none", bad), "--only 9: steps are 1..8", tmp / "none");
}

TEST(ConvertCli, CompileRunsCoremlcompilerWhenPresent) {
  TempDir tmp;
  const char* old_path = std::getenv("PATH");
  const std::string saved = old_path ? old_path : "";
  // No xcrun: a clear note, not an error.
  ::setenv("PATH", "/usr/bin:/bin", 1);
  CliResult r = RunCli({"convert", "--model", ModelDir("tiny-qwen3").string(), "--output", (tmp / "a").string(),
                        "--context", "32", "--batch", "4", "--compile"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("xcrun coremlcompiler is not available"), std::string::npos) << r.err;
  // A stand-in xcrun records its calls and makes the .mlmodelc folder.
  const fs::path bin = tmp / "bin";
  fs::create_directory(bin);
  const fs::path log = tmp / "xcrun.log";
  {
    std::ofstream f(bin / "xcrun");
    f << "#!/bin/sh\necho \"$@\" >> " << log.string() << "\nname=$(basename \"$3\" .mlpackage)\nmkdir -p \"$4/$name.mlmodelc\"\n";
  }
  fs::permissions(bin / "xcrun", fs::perms::owner_all);
  ::setenv("PATH", (bin.string() + ":/usr/bin:/bin").c_str(), 1);
  r = RunCli({"convert", "--model", ModelDir("tiny-qwen3").string(), "--output", (tmp / "b").string(), "--context", "32",
              "--batch", "4", "--chunk", "1", "--compile"});
  ::setenv("PATH", saved.c_str(), 1);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::string calls = *ReadFile(log);
  EXPECT_EQ(CountLines(calls), 3) << calls;
  EXPECT_NE(calls.find("coremlcompiler compile"), std::string::npos);
  EXPECT_TRUE(fs::is_directory(tmp / "b" / "qwen_FFN_PF_lut4_chunk_01of01.mlmodelc"));  // default --lut2 4
  EXPECT_TRUE(fs::is_directory(tmp / "b" / "qwen_embeddings.mlmodelc"));
}

TEST(SynthCli, WritesARealConfigAndConvertibleWeights) {
  TempDir tmp;
  const fs::path ckpt = tmp / "qwen3";
  CliResult r = RunCli({"synth", "--family", "qwen3", "--like", "qwen3-0.6b", "--out", ckpt.string(), "--layers", "1",
                        "--vocab", "4096", "--tokenizer", testing::TokenizerDir("qwen3").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string config = *ReadFile(ckpt / "config.json");
  for (const char* field : {"\"hidden_size\": 1024", "\"intermediate_size\": 3072", "\"num_attention_heads\": 16",
                            "\"num_key_value_heads\": 8", "\"head_dim\": 128", "\"vocab_size\": 4096",
                            "\"tie_word_embeddings\": true", "\"num_hidden_layers\": 1"}) {
    EXPECT_NE(config.find(field), std::string::npos) << field;
  }
  EXPECT_TRUE(fs::exists(ckpt / "tokenizer.json"));
  r = RunCli({"-q", "convert", "--model", ckpt.string(), "--output", (tmp / "out").string(), "--context", "64", "--batch",
              "16", "--chunk", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(tmp / "out" / "qwen_FFN_PF_lut4_chunk_01of01.mlpackage"));  // default --lut2 4
  EXPECT_TRUE(fs::exists(tmp / "out" / "tokenizer.json"));
  // Unknown model or a family mismatch: one clear line.
  r = RunCli({"synth", "--family", "qwen3", "--like", "qwen9-99b", "--out", (tmp / "x").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--like \"qwen9-99b\": unknown model"), std::string::npos) << r.err;
  r = RunCli({"synth", "--family", "llama", "--like", "gemma3-270m", "--out", (tmp / "x").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("does not match --like gemma3-270m"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "x"));
}

}  // namespace
}  // namespace anemll
