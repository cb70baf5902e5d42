// `anemll run` end to end on the real stories260K model.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace anemll {
namespace {

using testing::ModelDir;
using testing::CountLines;
using testing::RunCli;

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<int32_t> GoldenStoryIds() {
  std::ifstream in(ModelDir("stories260K") / "llama2c" / "golden_once_upon_a_time_greedy_n256.json");
  return nlohmann::json::parse(in)["generated_ids"].get<std::vector<int32_t>>();
}

// The last non-empty line of stdout as a JSON id array.
std::vector<int32_t> PrintedIds(const std::string& out) {
  std::string s = out;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  const std::string line = s.substr(s.rfind('\n') + 1);
  return nlohmann::json::parse(line).get<std::vector<int32_t>>();
}

TEST(RunCli, GreedyStoryMatchesLlama2c) {
  const std::string model = ModelDir("stories260K").string();
  auto r = RunCli({"run", "--model", model, "--prompt", "Once upon a time", "-n", "256", "--temperature", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string golden = Slurp(ModelDir("stories260K") / "golden_story.txt");
  ASSERT_FALSE(golden.empty());
  EXPECT_EQ(r.out.substr(0, golden.size()), golden);
  EXPECT_EQ(r.out.back(), '\n');
  EXPECT_EQ(r.err, "");
}

TEST(RunCli, PrintIdsMatchesGoldenIds) {
  const std::string model = ModelDir("stories260K").string();
  auto r = RunCli({"run", "--model", model, "--prompt", "Once upon a time", "-n", "256", "--print-ids"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto ids = PrintedIds(r.out);
  const auto golden = GoldenStoryIds();
  ASSERT_EQ(ids.size(), 256u);
  EXPECT_EQ(std::vector<int32_t>(ids.begin(), ids.begin() + golden.size()), golden);
}

TEST(RunCli, PromptIdsBypassTokenization) {
  const std::string model = ModelDir("stories260K").string();
  auto r = RunCli({"run", "--model", model, "--prompt-ids", "1,403,407,261,378", "-n", "20", "--print-ids"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto golden = GoldenStoryIds();
  EXPECT_EQ(PrintedIds(r.out), std::vector<int32_t>(golden.begin(), golden.begin() + 20));
  EXPECT_EQ(r.out.rfind("Once upon a time, there was a little girl", 0), 0u) << r.out;
}

TEST(RunCli, SeededSamplingIsReproducibleAndDiffersFromGreedy) {
  const std::string model = ModelDir("stories260K").string();
  const std::vector<std::string> args = {"run", "--model", model, "--prompt", "Once upon a time", "-n", "40",
                                         "--temperature", "1.0", "--top-k", "40", "--top-p", "0.9",
                                         "--seed", "7", "--print-ids"};
  auto a = RunCli(args);
  auto b = RunCli(args);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  const auto golden = GoldenStoryIds();
  EXPECT_NE(PrintedIds(a.out), std::vector<int32_t>(golden.begin(), golden.begin() + 40));
}

TEST(RunCli, ModelWithoutTokenizerPrintsIds) {
  const std::string model = ModelDir("tiny-llama").string();
  auto r = RunCli({"run", "--model", model, "--prompt-ids", "5,6,7", "-n", "4", "--print-ids"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto ids = PrintedIds(r.out);
  ASSERT_EQ(ids.size(), 4u);
  std::string text;
  for (size_t i = 0; i < ids.size(); ++i) text += (i ? " " : "") + std::to_string(ids[i]);
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), text);
}

// stories260K with a chat template added: the prompt becomes a rendered user turn.
class RunCliChatTemplate : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* f : {"config.json", "model.safetensors", "tokenizer.json"}) {
      std::filesystem::copy_file(ModelDir("stories260K") / f, dir_ / f);
    }
    nlohmann::json config = nlohmann::json::parse(Slurp(ModelDir("stories260K") / "tokenizer_config.json"));
    config["chat_template"] =
        "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'system' %}{{ m['content'] }} "
        "{% else %}{{ m['content'] }}{% endif %}{% endfor %}";
    std::ofstream(dir_ / "tokenizer_config.json") << config.dump();
  }
  testing::TempDir dir_;
};

TEST_F(RunCliChatTemplate, RendersTheTurnAndPrintsOnlyTheReply) {
  const std::string golden = Slurp(ModelDir("stories260K") / "golden_story.txt");
  const std::string prompt = "Once upon a time";
  ASSERT_EQ(golden.rfind(prompt, 0), 0u);
  const std::string reply = golden.substr(prompt.size());

  auto r = RunCli({"run", "--model", dir_.path().string(), "--prompt", prompt, "-n", "100"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, 60), reply.substr(0, 60));

  // --system is rendered before the user turn: "<s>Once upon a time" again.
  auto s = RunCli({"run", "--model", dir_.path().string(), "--system", "Once", "--prompt", "upon a time", "-n", "100"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(s.out, r.out);

  // --no-template continues the plain text (and echoes it).
  auto p = RunCli({"run", "--model", dir_.path().string(), "--prompt", prompt, "-n", "100", "--no-template"});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_EQ(p.out.substr(0, 80), golden.substr(0, 80));
}

TEST(RunCli, ErrorsAreOneLineAndNonZero) {
  const std::string model = ModelDir("stories260K").string();
  struct Case {
    std::vector<std::string> args;
    std::string expected_part;
  };
  const Case cases[] = {
      {{"run", "--model", "/nonexistent/model", "--prompt", "x"}, "/nonexistent/model"},
      {{"run", "--model", model}, "give exactly one of --prompt and --prompt-ids"},
      {{"run", "--model", model, "--prompt", "x", "--prompt-ids", "1"}, "give exactly one of"},
      {{"run", "--model", model, "--prompt", "x", "--bogus-flag"}, "--bogus-flag"},
      {{"run", "--model", model, "--prompt-ids", "1,x"}, "--prompt-ids"},
      {{"run", "--model", model, "--prompt-ids", "1,9999"}, "token id 9999"},
      {{"run", "--model", model, "--prompt", "x", "--top-p", "0"}, "--top-p"},
      {{"run", "--model", model, "--prompt", "x", "-n", "-3"}, "-n"},
      {{"run", "--model", ModelDir("tiny-llama").string(), "--prompt", "x"}, "has no tokenizer.json"},
  };
  for (const auto& c : cases) {
    auto r = RunCli(c.args);
    EXPECT_NE(r.exit_code, 0) << c.args.back();
    EXPECT_EQ(CountLines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(c.expected_part), std::string::npos) << r.err;
    EXPECT_EQ(r.err.rfind("anemll run", 0), 0u) << r.err;
    EXPECT_EQ(r.out, "") << c.args.back();
  }
}

}  // namespace
}  // namespace anemll
