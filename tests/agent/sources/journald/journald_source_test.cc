// The journald source's matches (`units`, `identifiers`) on a journal written by
// systemd-journal-remote into a directory: no running journald is needed.
#include "agent/sources/journald/journald_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "tests/agent/recording_source_context.h"

namespace logship {
namespace {

namespace fs = std::filesystem;
using testing::RecordingSourceContext;

constexpr const char* kJournalRemote = "/lib/systemd/systemd-journal-remote";

struct JournalEntry {
  std::string unit;
  std::string identifier;
  std::string message;
};

// Writes `entries` as one journal file; false when systemd-journal-remote failed.
bool writeJournal(const fs::path& file, const std::vector<JournalEntry>& entries) {
  std::string export_format;
  int i = 0;
  for (const JournalEntry& e : entries) {
    ++i;
    export_format += "__REALTIME_TIMESTAMP=" + std::to_string(1700000000000000 + i) +
                     "\n__MONOTONIC_TIMESTAMP=" + std::to_string(i) +
                     "\n_BOOT_ID=0123456789abcdef0123456789abcdef\nMESSAGE=" + e.message +
                     "\nSYSLOG_IDENTIFIER=" + e.identifier + "\n_PID=" + std::to_string(100 + i) +
                     "\n_HOSTNAME=node-1\nPRIORITY=6\n_SYSTEMD_UNIT=" + e.unit + "\n\n";
  }
  std::string command =
      std::string(kJournalRemote) + " --output=" + file.string() + " - >/dev/null 2>&1";
  FILE* pipe = ::popen(command.c_str(), "w");
  if (pipe == nullptr) return false;
  bool written =
      std::fwrite(export_format.data(), 1, export_format.size(), pipe) == export_format.size();
  return ::pclose(pipe) == 0 && written;
}

class JournaldSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("logship-journal-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "journal");
    fs::create_directories(dir_ / "data");
    // A test dependency (as for the integration tests): fail rather than pass without it.
    ASSERT_EQ(::access(kJournalRemote, X_OK), 0) << kJournalRemote << " is not installed";
    ASSERT_TRUE(
        writeJournal(dir_ / "journal" / "a.journal", {{"ssh.service", "sshd", "ssh 1"},
                                                      {"cron.service", "CRON", "cron 1"},
                                                      {"ssh.service", "sudo", "sudo via ssh unit"},
                                                      {"session-3.scope", "sudo", "sudo 1"},
                                                      {"session-3.scope", "su", "su 1"},
                                                      {"ssh.service", "sshd", "ssh 2"},
                                                      {"cron.service", "CRON", "last"}}));
    registerJournaldSource(registry_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Reads the whole journal with `options` added to the source's; returns
  // "message|process.name|systemd.unit" of every event, once the entry `until` was read.
  std::vector<std::string> readWith(const std::string& options, const std::string& until) {
    RecordingSourceContext context((dir_ / "data").string(), {"process.name", "systemd.unit"});
    std::string yaml = "{type: journald, directory: '" + (dir_ / "journal").string() +
                       "', start_at: beginning, " + options + "}";
    node_ = ConfigNode(YAML::Load(yaml), std::make_shared<const std::string>("t.yaml"));
    BuildContext ctx{"j", global_, diag_, node_};
    auto source = registry_.find(ComponentKind::kSource, "journald")->build_source(ctx);
    EXPECT_NE(source, nullptr) << (diag_.errors().empty() ? "" : diag_.errors()[0]);
    if (!source) return {};
    context.run([&] { source->start(context); });
    EXPECT_TRUE(context.waitFor(until)) << until;
    context.run([&] {
      source->stop();
      source.reset();
    });
    std::vector<std::string> out;
    for (auto& line : context.lines()) {
      out.push_back(line.message + "|" + line.fields[0] + "|" + line.fields[1]);
    }
    return out;
  }

  fs::path dir_;
  Registry registry_;
  GlobalConfig global_;
  Diagnostics diag_;
  ConfigNode node_;
};

TEST_F(JournaldSourceTest, IdentifiersSelectEntriesByAnyOfTheirSyslogIdentifiers) {
  // "last" marks the end of the journal; reading it tells everything before was read.
  EXPECT_EQ(
      readWith("identifiers: [sudo, su, CRON]", "last"),
      (std::vector<std::string>{"cron 1|CRON|cron.service", "sudo via ssh unit|sudo|ssh.service",
                                "sudo 1|sudo|session-3.scope", "su 1|su|session-3.scope",
                                "last|CRON|cron.service"}));
}

TEST_F(JournaldSourceTest, UnitsAndIdentifiersEachSelectAnEntry) {
  // Either list selects an entry (ORed), not only entries matching both.
  EXPECT_EQ(
      readWith("units: [ssh.service, cron.service], identifiers: [su]", "last"),
      (std::vector<std::string>{"ssh 1|sshd|ssh.service", "cron 1|CRON|cron.service",
                                "sudo via ssh unit|sudo|ssh.service", "su 1|su|session-3.scope",
                                "ssh 2|sshd|ssh.service", "last|CRON|cron.service"}));
}

TEST_F(JournaldSourceTest, WithoutMatchesEveryEntryIsRead) {
  EXPECT_EQ(readWith("batch_events: 2", "last").size(), 7u);
}

}  // namespace
}  // namespace logship
