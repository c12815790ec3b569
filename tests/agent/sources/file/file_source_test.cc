// The file tailer driven through its public API on a temporary directory: rotation by rename,
// copytruncate, a reused identity with other content, and files that start with the same bytes.
#include "agent/sources/file/file_source.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "agent/sources/file/file_config.h"
#include "tests/agent/recording_source_context.h"

namespace logship {
namespace {

namespace fs = std::filesystem;
using TailerContext = testing::RecordingSourceContext;

void appendTo(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::app | std::ios::binary);
  out << text;
}

class FileSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("logship-tail-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "logs");
    fs::create_directories(dir_ / "data");
    registerFileSource(registry_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path log(const std::string& name) { return dir_ / "logs" / name; }

  // A started source reading `include` (a pattern under logs/), with short waits.
  std::unique_ptr<Source> startSource(TailerContext& context, const std::string& include) {
    std::string yaml = "{type: file, include: ['" + log(include).string() +
                       "'], poll_interval: 20ms, glob_interval: 50ms, idle_flush: 50ms, "
                       "rotate_wait: 300ms, copy_wait: 150ms, checkpoint_interval: 50ms}";
    node_ = ConfigNode(YAML::Load(yaml), std::make_shared<const std::string>("t.yaml"));
    BuildContext ctx{"tail", global_, diag_, node_};
    auto source = registry_.find(ComponentKind::kSource, "file")->build_source(ctx);
    EXPECT_NE(source, nullptr) << (diag_.errors().empty() ? "" : diag_.errors()[0]);
    if (source) context.run([&] { source->start(context); });
    return source;
  }
  static void stopSource(TailerContext& context, std::unique_ptr<Source>& source) {
    context.run([&] {
      source->stop();
      source->saveState();
      source.reset();
    });
  }

  static bool arrives(TailerContext& context, const std::string& message) {
    return context.waitFor(message);
  }
  static std::vector<std::string> messagesOf(TailerContext& context) { return context.messages(); }

  fs::path dir_;
  Registry registry_;
  GlobalConfig global_;
  Diagnostics diag_;
  ConfigNode node_;
};

TEST_F(FileSourceTest, RenameRotationReadsTheOldFileToItsEndAndTheNewOneFromItsStart) {
  TailerContext context((dir_ / "data").string(), {"log.file.path"});
  appendTo(log("app.log"), "one\ntwo\n");
  auto source = startSource(context, "app.log");
  ASSERT_TRUE(arrives(context, "two"));
  // The writer still appends to the renamed file before it reopens the path.
  fs::rename(log("app.log"), log("app.log.1"));
  appendTo(log("app.log.1"), "three\n");
  appendTo(log("app.log"), "four\nfive\n");
  ASSERT_TRUE(arrives(context, "five"));
  ASSERT_TRUE(arrives(context, "three"));
  appendTo(log("app.log"), "end\n");
  ASSERT_TRUE(arrives(context, "end"));
  stopSource(context, source);
  std::vector<std::string> got = messagesOf(context);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"end", "five", "four", "one", "three", "two"}));
}

TEST_F(FileSourceTest, CopytruncateIsDetectedAndTheRewrittenFileReadFromItsStart) {
  TailerContext context((dir_ / "data").string(), {"log.file.path"});
  appendTo(log("app.log"), "first-1\nfirst-2\nfirst-3\n");
  auto source = startSource(context, "app.log");
  ASSERT_TRUE(arrives(context, "first-3"));
  // copytruncate: copied aside (a name not read), cut to nothing in place, written again.
  fs::copy_file(log("app.log"), log("app.log.1"));
  fs::resize_file(log("app.log"), 0);
  appendTo(log("app.log"), "second-1\n");
  ASSERT_TRUE(arrives(context, "second-1"));
  appendTo(log("app.log"), "second-2\n");
  ASSERT_TRUE(arrives(context, "second-2"));
  stopSource(context, source);
  EXPECT_EQ(messagesOf(context),
            (std::vector<std::string>{"first-1", "first-2", "first-3", "second-1", "second-2"}));
}

TEST_F(FileSourceTest, ATruncatedFileRewrittenPastItsOldSizeIsToldByItsHead) {
  TailerContext context((dir_ / "data").string(), {"log.file.path"});
  appendTo(log("app.log"), "old-1\nold-2\n");
  auto source = startSource(context, "app.log");
  ASSERT_TRUE(arrives(context, "old-2"));
  // Truncated and rewritten with more than was there before: the size alone does not show it.
  context.run([&] {
    std::ofstream out(log("app.log"), std::ios::trunc | std::ios::binary);
    out << "new-content-1\nnew-content-2\nnew-content-3\n";
  });
  ASSERT_TRUE(arrives(context, "new-content-3"));
  stopSource(context, source);
  EXPECT_EQ(messagesOf(context), (std::vector<std::string>{"old-1", "old-2", "new-content-1",
                                                           "new-content-2", "new-content-3"}));
}

TEST_F(FileSourceTest, ASavedPositionIsNotAppliedToOtherContentUnderTheSameInode) {
  {
    TailerContext context((dir_ / "data").string(), {"log.file.path"});
    appendTo(log("app.log"), "before-1\nbefore-2\n");
    auto source = startSource(context, "app.log");
    ASSERT_TRUE(arrives(context, "before-2"));
    stopSource(context, source);
  }
  // While the agent is down the inode is given other content (same device and inode number, as
  // when a deleted file's inode is reused), longer than the saved position.
  struct stat before {};
  ASSERT_EQ(::stat(log("app.log").c_str(), &before), 0);
  {
    std::ofstream out(log("app.log"), std::ios::trunc | std::ios::binary);
    out << "reused-1\nreused-2\nreused-3\n";
  }
  struct stat after {};
  ASSERT_EQ(::stat(log("app.log").c_str(), &after), 0);
  ASSERT_EQ(before.st_ino, after.st_ino);
  TailerContext context((dir_ / "data").string(), {"log.file.path"});
  auto source = startSource(context, "app.log");
  ASSERT_TRUE(arrives(context, "reused-3"));
  stopSource(context, source);
  EXPECT_EQ(messagesOf(context), (std::vector<std::string>{"reused-1", "reused-2", "reused-3"}));
}

TEST_F(FileSourceTest, FilesStartingWithTheSameBytesKeepTheirOwnPositions) {
  // Longer than the 256 fingerprint bytes: both files have the same head.
  const std::string header = "# " + std::string(300, '=') + "\n";
  {
    TailerContext context((dir_ / "data").string(), {"log.file.path"});
    appendTo(log("a.log"), header + "a-1\n");
    appendTo(log("b.log"), header + "b-1\n");
    auto source = startSource(context, "*.log");
    ASSERT_TRUE(arrives(context, "a-1"));
    ASSERT_TRUE(arrives(context, "b-1"));
    stopSource(context, source);
    std::vector<std::string> got = messagesOf(context);
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, (std::vector<std::string>{header.substr(0, header.size() - 1),
                                             header.substr(0, header.size() - 1), "a-1", "b-1"}));
  }
  // After a restart each resumes where it was, not where the other one was.
  appendTo(log("a.log"), "a-2\n");
  appendTo(log("b.log"), "b-2\nb-3\n");
  TailerContext context((dir_ / "data").string(), {"log.file.path"});
  auto source = startSource(context, "*.log");
  ASSERT_TRUE(arrives(context, "a-2"));
  ASSERT_TRUE(arrives(context, "b-3"));
  appendTo(log("a.log"), "end\n");
  ASSERT_TRUE(arrives(context, "end"));
  stopSource(context, source);
  std::vector<std::pair<std::string, std::string>> got;
  for (auto& line : context.lines()) {
    got.emplace_back(line.message, fs::path(line.fields[0]).filename().string());
  }
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::pair<std::string, std::string>>{
                     {"a-2", "a.log"}, {"b-2", "b.log"}, {"b-3", "b.log"}, {"end", "a.log"}}));
}

}  // namespace
}  // namespace logship
