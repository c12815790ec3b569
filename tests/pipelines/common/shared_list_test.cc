#include "pipelines/common/shared_list.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/topology/pipeline_config.h"
#include "pipelines/common/condition.h"
#include "tests/pipelines/pipeline_test_support.h"

namespace logship {
namespace {

namespace fs = std::filesystem;
using testing::CapturingEmitter;
using testing::makeBatch;

// The top-level `lists` section as the pipeline file gives it, tested by conditions (in_list),
// here through filter.
class SharedListTest : public testing::TransformTest {
 protected:
  SharedListTest() {
    dir_ = fs::temp_directory_path() /
           ("shared_list_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  ~SharedListTest() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& content) {
    const fs::path tmp = dir_ / (name + ".tmp");
    std::ofstream(tmp) << content;
    fs::rename(tmp, dir_ / name);
    return (dir_ / name).string();
  }

  // Reads the `lists:` section `yaml` into global_ as the pipeline file would.
  std::vector<std::string> readLists(const std::string& yaml) {
    Diagnostics diag;
    PipelineConfig config = parsePipelineConfig(yaml, "p.yaml", diag);
    global_.lists = config.global.lists;
    return diag.errors();
  }

  // The messages of the events filter kept, out of one event per value of `field`.
  std::vector<std::string> kept(Transform& t, const std::vector<std::string>& values,
                                const std::string& field = "source.ip") {
    Batch b = makeBatch(values);
    for (size_t i = 0; i < values.size(); ++i) testing::addString(b, i, field, values[i]);
    CapturingEmitter out;
    t.process(b, out);
    std::vector<std::string> messages;
    for (auto& batch : out.batches) {
      for (const Event& e : batch->events()) messages.emplace_back(e.message);
    }
    return messages;
  }

  fs::path dir_;
};

TEST_F(SharedListTest, InListMatchesAddressesDomainsAndHashesOfANamedList) {
  const std::string blocked =
      write("blocked.txt", "# ops blocklist\n198.51.100.0/24\nevil.example\n");
  const std::string hashes = write("hashes.csv", "sha256,family\n" + std::string(64, 'a') + ",x\n");
  ASSERT_EQ(readLists("lists:\n  blocked: {path: '" + blocked + "'}\n  hashes: {path: '" + hashes +
                      "', format: csv, column: sha256, reload_interval: 0s}\n"),
            std::vector<std::string>{});
  auto t = build("filter", "{type: filter, when: {field: source.ip, in_list: blocked}}");
  ASSERT_NE(t, nullptr) << firstError();
  EXPECT_EQ(kept(*t, {"198.51.100.7", "198.51.101.7", "www.evil.example", "evil.example.org"}),
            (std::vector<std::string>{"198.51.100.7", "www.evil.example"}));
  t = build("filter", "{type: filter, when: {field: file.hash, in_list: [blocked, hashes]}}");
  ASSERT_NE(t, nullptr) << firstError();
  EXPECT_EQ(kept(*t, {std::string(64, 'A'), std::string(64, 'b'), "evil.example"}, "file.hash"),
            (std::vector<std::string>{std::string(64, 'A'), "evil.example"}));
}

TEST_F(SharedListTest, ConditionsShareOneLoadedListThatReloads) {
  const std::string path = write("blocked.txt", "198.51.100.7\n");
  ASSERT_EQ(readLists("lists: {blocked: {path: '" + path + "', reload_interval: 0s}}\n"),
            std::vector<std::string>{});
  auto a = build("filter", "{type: filter, when: {field: source.ip, in_list: blocked}}");
  ASSERT_NE(a, nullptr);
  Diagnostics diag;
  const ConfigNode when = load("{field: source.ip, in_list: blocked}");
  const std::optional<Condition> b =
      Condition::compile(when, tierNames(global_), diag, &global_.lists);
  ASSERT_TRUE(b.has_value());
  auto list = SharedList::open(global_.lists[0], diag);
  ASSERT_NE(list, nullptr);
  EXPECT_EQ(list, SharedList::open(global_.lists[0], diag));  // one copy, whoever asks
  EXPECT_FALSE(list->reloadIfChanged());
  EXPECT_EQ(kept(*a, {"198.51.100.7", "198.51.100.8"}), std::vector<std::string>{"198.51.100.7"});

  write("blocked.txt", "198.51.100.8\nnot an indicator!\n");  // a bad line: skipped, not fatal
  EXPECT_TRUE(list->reloadIfChanged());
  EXPECT_EQ(kept(*a, {"198.51.100.7", "198.51.100.8"}), std::vector<std::string>{"198.51.100.8"});
  Batch batch = makeBatch({"x"});
  testing::addString(batch, 0, "source.ip", "198.51.100.8");
  EXPECT_TRUE(b->matches(batch, batch.events()[0]));

  // Workers keep reading while lists are swapped under them.
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop) {
      const auto k = kept(*a, {"198.51.100.8", "198.51.100.9"});
      ASSERT_FALSE(k.empty());
      ASSERT_EQ(k.front(), "198.51.100.8");
    }
  });
  for (int i = 0; i < 50; ++i) {
    write("blocked.txt", i % 2 ? "198.51.100.8\n" : "198.51.100.8\n198.51.100.9\n");
    list->reloadIfChanged();
  }
  stop = true;
  reader.join();
}

TEST_F(SharedListTest, ErrorsNameTheListTheFileAndTheLine) {
  EXPECT_EQ(
      readLists("lists: {a: {path: x, colour: red}}\n"),
      std::vector<std::string>{"p.yaml:1:22: unknown option 'colour' (known: path, format, column, "
                               "reload_interval)"});
  EXPECT_EQ(readLists("lists: {a: {format: json}}\n"),
            (std::vector<std::string>{"p.yaml:1:21: 'json' is not one of: plain, csv",
                                      "p.yaml:1:12: list 'a' needs a path"}));
  EXPECT_EQ(
      readLists("lists: [a]\n"),
      std::vector<std::string>{
          "p.yaml:1:8: lists must be a map like {blocked: {path: /etc/logship/blocked.txt}}"});

  const std::string bad = write("bad.txt", "198.51.100.7\n300.1.2.3\n");
  ASSERT_EQ(readLists("lists:\n  blocked: {path: '" + bad + "'}\n"), std::vector<std::string>{});
  EXPECT_EQ(build("filter", "{type: filter, when: {field: source.ip, in_list: blocked}}"), nullptr);
  EXPECT_EQ(firstError(), "p.yaml:2:19: list 'blocked': " + bad +
                              ":2: '300.1.2.3' is not an IP address, CIDR, domain or file hash");
  EXPECT_EQ(build("filter", "{type: filter, when: {field: source.ip, in_list: allowed}}"), nullptr);
  EXPECT_EQ(firstError(), "t.yaml:1:50: no list 'allowed' in the top-level lists (known: blocked)");
}

}  // namespace
}  // namespace logship
