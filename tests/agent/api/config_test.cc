#include "agent/api/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "agent/cli/builtin_components.h"
#include "agent/topology/pipeline_config.h"
#include "agent/topology/topology.h"

namespace logship {
namespace {

// Builds `yaml` as file "p.yaml" and returns the errors.
std::vector<std::string> errorsOf(const std::string& yaml) {
  Diagnostics diag;
  PipelineConfig config = parsePipelineConfig(yaml, "p.yaml", diag);
  Registry registry;
  registerBuiltinComponents(registry);
  Topology::build(std::move(config), registry, diag);
  return diag.errors();
}

TEST(ConfigErrors, UnknownTypeNamesTheTypeValue) {
  auto errors = errorsOf(
      "sources:\n"
      "  a: {type: filez, include: [/x]}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(errors[0].starts_with("p.yaml:2:13: unknown source type 'filez'")) << errors[0];
}

TEST(ConfigErrors, UnknownOptionNamesTheKey) {
  auto errors = errorsOf(
      "sources:\n"
      "  a:\n"
      "    type: file\n"
      "    include: [/x]\n"
      "    colour: blue\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(errors[0].starts_with("p.yaml:5:5: unknown option 'colour'")) << errors[0];
}

TEST(ConfigErrors, MissingRequiredOptionPointsAtTheComponent) {
  auto errors = errorsOf(
      "sources:\n"
      "  a: {type: stdin}\n"
      "outputs:\n"
      "  o:\n"
      "    type: file\n"
      "    inputs: [a]\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "p.yaml:5:5: missing required option 'path'");
}

TEST(ConfigErrors, DanglingInputNamesTheInputItem) {
  auto errors = errorsOf(
      "sources:\n"
      "  a: {type: stdin}\n"
      "outputs:\n"
      "  o: {type: file, inputs: [a, missing], path: /tmp/x}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(errors[0].starts_with("p.yaml:4:31: input 'missing' of 'o'")) << errors[0];
}

TEST(ConfigErrors, BadValueType) {
  auto errors = errorsOf(
      "sources:\n"
      "  a: {type: file, include: [/x], max_line_bytes: lots}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(errors[0].starts_with("p.yaml:2:50: expected a size")) << errors[0];
}

TEST(ConfigErrors, EnumeratedValue) {
  auto errors = errorsOf(
      "sources:\n"
      "  a: {type: file, include: [/x], start_at: middle}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "p.yaml:2:44: 'middle' is not one of: beginning, end");
}

TEST(ConfigErrors, SeveralErrorsAtOnce) {
  auto errors = errorsOf(
      "sources:\n"
      "  a: {type: file, include: [/x], bogus: 1}\n"
      "  b: {type: nope}\n"
      "outputs:\n"
      "  o: {type: file, inputs: [zzz]}\n");
  EXPECT_EQ(errors.size(), 4u);  // bogus, nope, zzz, missing path
}

TEST(ConfigErrors, YamlSyntaxErrorHasLocation) {
  auto errors = errorsOf(
      "sources:\n"
      "  a: {type: stdin\n"
      "outputs: {}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(errors[0].starts_with("p.yaml:3:")) << errors[0];
}

TEST(ConfigErrors, UnknownSectionAndDuplicateIds) {
  Diagnostics diag;
  parsePipelineConfig(
      "sources:\n"
      "  a: {type: stdin}\n"
      "outputs:\n"
      "  a: {type: blackhole, inputs: [a]}\n"
      "sinks: {}\n",
      "p.yaml", diag);
  ASSERT_EQ(diag.errors().size(), 2u);
  EXPECT_TRUE(diag.errors()[0].starts_with("p.yaml:4:3: component id 'a' is already used at "
                                           "p.yaml:2:3"))
      << diag.errors()[0];
  EXPECT_TRUE(diag.errors()[1].starts_with("p.yaml:5:1: unknown section 'sinks'"));
}

TEST(ConfigErrors, OutputsCannotBeInputsAndSourcesTakeNone) {
  auto errors = errorsOf(
      "sources:\n"
      "  a: {type: stdin, inputs: [o]}\n"
      "outputs:\n"
      "  o: {type: blackhole, inputs: [a]}\n"
      "  p: {type: blackhole, inputs: [o]}\n");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "p.yaml:2:28: a source takes no inputs");
  EXPECT_TRUE(errors[1].starts_with("p.yaml:5:33: input 'o' is an output")) << errors[1];
}

TEST(ConfigValues, EnvironmentInterpolation) {
  setenv("LOGSHIP_TEST_DIR", "/data", 1);
  unsetenv("LOGSHIP_TEST_UNSET");
  std::string error;
  EXPECT_EQ(*interpolateEnv("${LOGSHIP_TEST_DIR}/x", &error), "/data/x");
  EXPECT_EQ(*interpolateEnv("${LOGSHIP_TEST_UNSET:-/def}", &error), "/def");
  EXPECT_EQ(*interpolateEnv("cost $$5 and $x", &error), "cost $5 and $x");
  EXPECT_FALSE(interpolateEnv("${LOGSHIP_TEST_UNSET}", &error));
  EXPECT_NE(error.find("LOGSHIP_TEST_UNSET is not set"), std::string::npos);
  EXPECT_FALSE(interpolateEnv("${unterminated", &error));

  Diagnostics diag;
  auto config = parsePipelineConfig("data_dir: ${LOGSHIP_TEST_DIR}/lib\n", "p.yaml", diag);
  EXPECT_TRUE(diag.ok());
  EXPECT_EQ(config.global.data_dir, "/data/lib");
  parsePipelineConfig("data_dir: ${LOGSHIP_TEST_UNSET}\n", "p.yaml", diag);
  ASSERT_EQ(diag.errors().size(), 1u);
  EXPECT_TRUE(diag.errors()[0].starts_with("p.yaml:1:11: environment variable")) << diag.errors()[0];
}

TEST(ConfigValues, DurationsAndSizes) {
  EXPECT_EQ(parseDuration("250ms")->count(), 250'000'000);
  EXPECT_EQ(parseDuration("1.5s")->count(), 1'500'000'000);
  EXPECT_EQ(parseDuration("7d")->count(), 7 * 86400'000'000'000);
  EXPECT_EQ(*parseDuration("2y"), std::chrono::hours(24) * 365.25 * 2);
  EXPECT_FALSE(parseDuration("soon"));
  EXPECT_FALSE(parseDuration("5 parsecs"));
  EXPECT_EQ(*parseByteSize("1048576"), 1048576u);
  EXPECT_EQ(*parseByteSize("64KiB"), 65536u);
  EXPECT_EQ(*parseByteSize("10GiB"), 10737418240u);
  EXPECT_EQ(*parseByteSize("1MB"), 1000000u);
  EXPECT_FALSE(parseByteSize("big"));
  EXPECT_EQ(formatDuration(std::chrono::seconds(90)), "90s");
  EXPECT_EQ(formatDuration(std::chrono::hours(48)), "2d");
}

TEST(ConfigFiles, DirectoryMergesIntoOneGraph) {
  auto dir = std::filesystem::temp_directory_path() / ("logship-conf-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "10-sources.yaml") << "sources:\n  a: {type: stdin}\n";
  std::ofstream(dir / "20-outputs.yaml") << "outputs:\n  o: {type: blackhole, inputs: [a]}\n";
  std::ofstream(dir / "30-dup.yml") << "outputs:\n  o: {type: blackhole, inputs: [a]}\n";
  std::ofstream(dir / "notes.txt") << "not yaml: [\n";
  Diagnostics diag;
  PipelineConfig config = loadPipelineConfig(dir.string(), diag);
  ASSERT_EQ(diag.errors().size(), 1u);
  EXPECT_EQ(diag.errors()[0].find((dir / "30-dup.yml").string() + ":2:3: component id 'o'"), 0u)
      << diag.errors()[0];
  EXPECT_EQ(config.components.size(), 2u);
  std::filesystem::remove_all(dir);
}

TEST(ConfigFiles, IncludesBindTheirInputsAndReportErrorsInTheirOwnFile) {
  auto dir = std::filesystem::temp_directory_path() / ("logship-include-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "pack");
  std::ofstream(dir / "pack" / "ssh.yaml")
      << "transforms:\n"
         "  ssh_brute: {type: detect, inputs: [auth], mode: absence}\n"
         "  ssh_spray: {type: detect, inputs: auth, mode: absence}\n";
  std::ofstream(dir / "pack" / "node.yaml")
      << "transforms:\n  node_stall: {type: detect, inputs: [node], mode: absence}\n";
  std::ofstream(dir / "main.yaml")
      << "include:\n"
         "  - {path: pack/ssh.yaml, inputs: {auth: [a, b]}}\n"
         "  - path: pack/node.yaml\n"
         "    inputs: {node: a}\n"
         "sources:\n  a: {type: stdin}\n  b: {type: stdin}\n"
         "outputs:\n  alerts: {type: blackhole, inputs: [\"ssh_*\", node_stall]}\n";
  Diagnostics diag;
  PipelineConfig config = loadPipelineConfig((dir / "main.yaml").string(), diag);
  ASSERT_TRUE(diag.ok()) << diag.errors()[0];
  auto inputsOf = [&](const std::string& id) {
    std::vector<std::string> names;
    for (auto& c : config.components) {
      if (c.id != id) continue;
      for (auto& in : c.inputs) names.push_back(in.name);
    }
    return names;
  };
  EXPECT_EQ(inputsOf("ssh_brute"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(inputsOf("ssh_spray"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(inputsOf("node_stall"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(inputsOf("alerts"), (std::vector<std::string>{"ssh_brute", "ssh_spray", "node_stall"}));

  // A directory includes its files; errors name the included file; a loop is refused.
  std::ofstream(dir / "pack" / "bad.yaml") << "transforms:\n  x: {type: detect}\n";
  std::ofstream(dir / "loop.yaml") << "include: [loop.yaml]\n";
  std::ofstream(dir / "main2.yaml") << "include: [pack, loop.yaml, missing.yaml]\n"
                                       "outputs:\n  o: {type: blackhole, inputs: [\"web_*\"]}\n";
  Diagnostics errors;
  loadPipelineConfig((dir / "main2.yaml").string(), errors);
  std::vector<std::string> want = {
      (dir / "pack" / "bad.yaml").string() + ":2:6: transform 'x' needs inputs",
      (dir / "loop.yaml").string() + ":1:11: 'loop.yaml' includes itself",
      (dir / "main2.yaml").string() + ":1:28: cannot include 'missing.yaml': no such file or "
                                      "directory",
      (dir / "main2.yaml").string() + ":3:33: input pattern 'web_*' of 'o' matches no source or "
                                      "transform"};
  ASSERT_EQ(errors.errors().size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_TRUE(errors.errors()[i].starts_with(want[i])) << errors.errors()[i];
  }
  std::filesystem::remove_all(dir);
}

TEST(ConfigFiles, UnreadableFileIsAnError) {
  Diagnostics diag;
  loadPipelineConfig("/nonexistent/logship.yaml", diag);
  ASSERT_EQ(diag.errors().size(), 1u);
  EXPECT_EQ(diag.errors()[0], "/nonexistent/logship.yaml:0:0: cannot read: No such file or directory");
}

TEST(ConfigFiles, TiersAreRead) {
  Diagnostics diag;
  auto config = parsePipelineConfig(
      "tiers:\n  audit: {retention: 7y, legal_hold: true}\n  app: {retention: 30d}\n"
      "  bad: {}\n",
      "p.yaml", diag);
  ASSERT_EQ(diag.errors().size(), 1u);
  EXPECT_EQ(diag.errors()[0], "p.yaml:4:8: tier 'bad' needs a retention");
  ASSERT_EQ(config.global.tiers.size(), 3u);
  EXPECT_EQ(config.global.tierIndex("app"), 1);
  EXPECT_TRUE(config.global.tiers[0].legal_hold);
  EXPECT_EQ(config.global.tiers[1].retention, std::chrono::hours(24 * 30));
}

}  // namespace
}  // namespace logship
