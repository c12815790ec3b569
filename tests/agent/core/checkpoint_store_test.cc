#include "agent/core/checkpoint_store.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace logship {
namespace {

class CheckpointStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("logship-checkpoints-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "src.json").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static CheckpointStore::Map at(uint64_t offset) {
    return {{"2049:17", Checkpoint{offset, "/var/log/app.log", "head"}}};
  }
  static uint64_t offsetOf(const CheckpointStore::Loaded& loaded) {
    return loaded.checkpoints.empty() ? 0 : loaded.checkpoints.begin()->second.offset;
  }
  void overwrite(const std::string& path, std::string_view text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(CheckpointStoreTest, TheNewestOfSyncedAndFastCopiesWins) {
  CheckpointStore store(path_);
  store.save(at(100));                          // synced
  store.save(at(200), Durability::kPageCache);  // fast, newer
  CheckpointStore killed(path_);
  EXPECT_EQ(offsetOf(killed.load()), 200u);
  // After a synced save the fast copy is older: the synced one wins.
  killed.save(at(300));
  CheckpointStore again(path_);
  EXPECT_EQ(offsetOf(again.load()), 300u);
  // Saves continue the sequence of what was loaded, so a new fast copy is newest again.
  again.save(at(400), Durability::kPageCache);
  EXPECT_EQ(offsetOf(CheckpointStore(path_).load()), 400u);
}

TEST_F(CheckpointStoreTest, AFastCopyOnlyStillLoads) {
  CheckpointStore store(path_);
  store.save(at(42), Durability::kPageCache);  // killed before the first synced save
  EXPECT_FALSE(std::filesystem::exists(path_));
  EXPECT_EQ(offsetOf(CheckpointStore(path_).load()), 42u);
}

TEST_F(CheckpointStoreTest, ATornFastCopyFallsBackToTheSyncedOne) {
  CheckpointStore store(path_);
  store.save(at(100));
  store.save(at(200), Durability::kPageCache);
  // A power loss tore the fast copy (it was never synced).
  std::string fast = CheckpointStore::serialize(at(999), 99);
  overwrite(path_ + ".fast", fast.substr(0, fast.size() / 2));
  const CheckpointStore::Loaded loaded = CheckpointStore(path_).load();
  EXPECT_EQ(offsetOf(loaded), 100u);
  EXPECT_TRUE(loaded.problem.empty());
  // A well-formed fast copy with a bad checksum is just as unusable.
  std::string bad = CheckpointStore::serialize(at(999), 99);
  bad[bad.find("999")] = '8';
  overwrite(path_ + ".fast", bad);
  EXPECT_EQ(offsetOf(CheckpointStore(path_).load()), 100u);
}

TEST_F(CheckpointStoreTest, ACorruptCurrentCopyFallsBackToThePreviousOne) {
  CheckpointStore store(path_);
  store.save(at(100));
  store.save(at(150));
  overwrite(path_, "{\"version\":1,\"checkpoints\":[");
  const CheckpointStore::Loaded loaded = CheckpointStore(path_).load();
  EXPECT_TRUE(loaded.from_previous);
  EXPECT_EQ(offsetOf(loaded), 100u);
  EXPECT_NE(loaded.problem.find("no checksum trailer"), std::string::npos) << loaded.problem;
  overwrite(path_ + ".prev", "garbage");
  const CheckpointStore::Loaded none = CheckpointStore(path_).load();
  EXPECT_TRUE(none.checkpoints.empty());
  EXPECT_NE(none.problem.find("previous copy"), std::string::npos) << none.problem;
}

TEST_F(CheckpointStoreTest, CopiesWrittenBeforeSequenceNumbersStillLoad) {
  // The version 1 layout as written before "seq" existed, with its CRC32 trailer.
  const std::string body =
      "{\"version\":1,\"checkpoints\":[\n{\"key\":\"k\",\"offset\":7,\"path\":\"/p\","
      "\"cursor\":\"c\"}\n]}";
  char crc[16];
  std::snprintf(crc, sizeof crc, "%08lx",
                crc32(0, reinterpret_cast<const Bytef*>(body.data()), body.size()));
  overwrite(path_, body + "\ncrc32 " + crc + "\n");
  CheckpointStore store(path_);
  const CheckpointStore::Loaded loaded = store.load();
  EXPECT_TRUE(loaded.problem.empty()) << loaded.problem;
  EXPECT_EQ(offsetOf(loaded), 7u);
  // Sequence 0: any copy saved from now on is newer.
  store.save(at(8), Durability::kPageCache);
  EXPECT_EQ(offsetOf(CheckpointStore(path_).load()), 8u);
}

}  // namespace
}  // namespace logship
