#include "agent/core/disk_buffer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "agent/core/batch_codec.h"
#include "agent/core/crc32c.h"
#include "tests/agent/batch_messages.h"

namespace logship {
namespace {

namespace fs = std::filesystem;
using testing::messages;

Batch makeBatch(int first, int count) {
  std::string text;
  for (int i = first; i < first + count; ++i) text += "event " + std::to_string(i) + "\n";
  auto raw = std::make_unique<char[]>(text.size());
  std::memcpy(raw.get(), text.data(), text.size());
  Batch b(std::move(raw), text.size(), AckToken());
  size_t at = 0;
  for (int i = 0; i < count; ++i) {
    size_t nl = b.raw().find('\n', at);
    Event& e = b.events().emplace_back();
    e.message = b.raw().substr(at, nl - at);
    e.timestamp_ns = 1000 + first + i;
    e.offset = at;
    at = nl + 1;
  }
  return b;
}

class DiskBufferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("logship-buffer-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::unique_ptr<DiskBuffer> open(uint64_t max_bytes = 1 << 30, uint64_t segment = 32 << 20) {
    auto b = std::make_unique<DiskBuffer>(DiskBuffer::Options{dir_.string(), max_bytes, segment});
    std::string error;
    EXPECT_TRUE(b->open(&error)) << error;
    return b;
  }
  fs::path dir_;
};

TEST(Crc32c, KnownVectors) {
  // RFC 3720 B.4: 32 bytes of zeros, and "123456789".
  std::string zeros(32, '\0');
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
}

TEST(BatchCodec, RoundTripsEveryEventMemberAndField) {
  Batch b = makeBatch(0, 2);
  Event& e = b.events()[0];
  e.severity = Severity::kHigh;
  e.tier = 2;
  e.flags = Event::kTruncated;
  e.correlation_id = "corr-1";
  b.addField(e, "source.ip", FieldValue::string("10.0.0.1"));
  b.addField(e, "source.port", FieldValue::integer(22));
  b.addField(e, "ratio", FieldValue::real(0.5));
  b.addField(e, "ok", FieldValue::boolean(true));
  b.addSharedString("host.name", "h1");
  std::string bytes;
  encodeBatch(b, bytes);
  auto d = decodeBatch(bytes);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->events().size(), 2u);
  const Event& r = d->events()[0];
  EXPECT_EQ(r.message, "event 0");
  EXPECT_EQ(r.timestamp_ns, 1000);
  EXPECT_EQ(r.severity, Severity::kHigh);
  EXPECT_EQ(r.tier, 2);
  EXPECT_EQ(r.flags, Event::kTruncated);
  EXPECT_EQ(r.correlation_id, "corr-1");
  EXPECT_EQ(d->findField(r, "source.ip")->value.string_value, "10.0.0.1");
  EXPECT_EQ(d->findField(r, "source.port")->value.int_value, 22);
  EXPECT_EQ(d->findField(r, "ratio")->value.double_value, 0.5);
  EXPECT_TRUE(d->findField(r, "ok")->value.bool_value);
  EXPECT_EQ(d->findField(d->events()[1], "host.name")->value.string_value, "h1");
  // Every truncation of the encoding is rejected, never read past its end.
  for (size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(decodeBatch(bytes.substr(0, n))) << n;
}

// The one segment file holding frames (the writer opened after them is empty).
fs::path onlyFullSegment(const fs::path& dir) {
  fs::path seg;
  for (auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".seg" && fs::file_size(e.path()) > 0) seg = e.path();
  }
  return seg;
}

// Every message the buffer hands out, resolving each frame with `status`.
std::vector<std::string> drain(DiskBuffer& buf, AckStatus status = AckStatus::kDelivered) {
  std::vector<std::string> out;
  while (auto b = buf.next()) {
    for (auto& m : messages(*b)) out.push_back(m);
    b->ack().resolve(status);
  }
  return out;
}

std::vector<std::string> eventRange(int first, int count) {
  std::vector<std::string> out;
  for (int i = first; i < first + count; ++i) out.push_back("event " + std::to_string(i));
  return out;
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST_F(DiskBufferTest, TornTailIsDroppedOnceAndLaterAppendsReplayAfterWhatSurvived) {
  {
    auto buf = open();
    for (int i = 0; i < 3; ++i)
      ASSERT_EQ(buf->append(makeBatch(i * 10, 10), i), DiskBuffer::Append::kOk);
    buf->sync();
  }
  fs::path seg = onlyFullSegment(dir_);
  ASSERT_FALSE(seg.empty());
  fs::resize_file(seg, fs::file_size(seg) - 3);  // the last frame lost its last bytes
  {
    auto buf = open();
    EXPECT_EQ(buf->stats().corrupt_frames, 1u);
    EXPECT_EQ(buf->stats().events, 20u);  // the torn frame is not counted as held
    EXPECT_EQ(buf->stats().frames_replayed, 2u);
    ASSERT_EQ(buf->append(makeBatch(100, 5), 10), DiskBuffer::Append::kOk);
    ASSERT_EQ(buf->append(makeBatch(200, 5), 11), DiskBuffer::Append::kOk);
    // Nothing is delivered: all of it must come back after the next restart, in order.
  }
  auto buf = open();
  EXPECT_EQ(buf->stats().corrupt_frames, 1u);  // counted once per open, never grows by replays
  auto expected = concat(concat(eventRange(0, 20), eventRange(100, 5)), eventRange(200, 5));
  EXPECT_EQ(drain(*buf), expected);
  buf->collect();
  EXPECT_TRUE(buf->empty());
  EXPECT_EQ(buf->stats().bytes, 0u);
}

TEST_F(DiskBufferTest, TailTornInsideTheFrameHeaderIsDropped) {
  uint64_t two_frames = 0;
  {
    auto buf = open();
    for (int i = 0; i < 2; ++i) buf->append(makeBatch(i * 10, 10), i);
    buf->sync();
    two_frames = fs::file_size(onlyFullSegment(dir_));
    buf->append(makeBatch(20, 10), 2);
    buf->sync();
  }
  fs::path seg = onlyFullSegment(dir_);
  fs::resize_file(seg, two_frames + 12);  // 12 of the third frame's 32 header bytes
  auto buf = open();
  EXPECT_EQ(buf->stats().corrupt_frames, 1u);
  EXPECT_EQ(drain(*buf), eventRange(0, 20));
}

TEST_F(DiskBufferTest, ReplayKeepsAppendOrderAcrossSegmentsAndRestarts) {
  // Small segments: every few frames start a new file.
  {
    auto buf = open(/*max_bytes=*/1 << 30, /*segment=*/300);
    for (int i = 0; i < 12; ++i)
      ASSERT_EQ(buf->append(makeBatch(i * 20, 20), i), DiskBuffer::Append::kOk);
    size_t segments = 0;
    for (auto& e : fs::directory_iterator(dir_)) segments += e.path().extension() == ".seg";
    ASSERT_GT(segments, 3u);
    // Deliver the first four frames in order and the sixth out of order, then crash.
    std::vector<AckToken> acks;
    for (int i = 0; i < 6; ++i) {
      auto b = buf->next();
      ASSERT_TRUE(b);
      EXPECT_EQ(messages(*b).front(), "event " + std::to_string(i * 20));
      acks.push_back(b->takeAck());
    }
    for (int i : {0, 1, 2, 3, 5}) acks[i].resolve(AckStatus::kDelivered);
    buf->collect();
  }
  {
    auto buf = open(1 << 30, 300);
    EXPECT_EQ(buf->stats().frames_replayed, 8u);  // frames 5..12: the sixth is after a gap
    // Half of them handed out again, then another crash before collect() saved anything.
    for (int i = 0; i < 4; ++i) {
      auto b = buf->next();
      ASSERT_TRUE(b);
      EXPECT_EQ(messages(*b).front(), "event " + std::to_string((4 + i) * 20));
    }
  }
  auto buf = open(1 << 30, 300);
  EXPECT_EQ(drain(*buf), eventRange(80, 160));
  buf->collect();
  EXPECT_TRUE(buf->empty());
}

TEST_F(DiskBufferTest, ReplaysInOrderAndForgetsWhatWasDelivered) {
  auto buf = open();
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(buf->append(makeBatch(i * 10, 10), i), DiskBuffer::Append::kOk);
  EXPECT_EQ(buf->stats().events, 50u);
  std::vector<AckToken> acks;
  for (int i = 0; i < 5; ++i) {
    auto b = buf->next();
    ASSERT_TRUE(b);
    EXPECT_EQ(messages(*b).front(), "event " + std::to_string(i * 10));
    acks.push_back(b->takeAck());
  }
  EXPECT_FALSE(buf->next());
  acks[0].resolve(AckStatus::kDelivered);
  acks[1].resolve(AckStatus::kDelivered);
  acks[3].resolve(AckStatus::kDelivered);  // out of order: done only up to 2
  buf->collect();
  EXPECT_EQ(buf->stats().events, 30u);
  acks.clear();  // frames 3 and 5 were never delivered (token dropped = errored)
  buf.reset();
  auto again = open();
  std::vector<std::string> replayed;
  while (auto b = again->next()) {
    for (auto& m : messages(*b)) replayed.push_back(m);
    b->ack().resolve(AckStatus::kDelivered);
  }
  ASSERT_EQ(replayed.size(), 30u);  // frames 3, 4 (delivered but after a gap) and 5
  EXPECT_EQ(replayed.front(), "event 20");
  EXPECT_EQ(again->stats().frames_replayed, 3u);
  again->collect();
  EXPECT_TRUE(again->empty());
  again.reset();
  auto third = open();
  EXPECT_FALSE(third->next());  // nothing repeats once delivered and collected
}

TEST_F(DiskBufferTest, CorruptFrameIsSkippedAndCounted) {
  {
    auto buf = open();
    for (int i = 0; i < 3; ++i) buf->append(makeBatch(i * 10, 10), i);
    buf->sync();
  }
  fs::path seg;
  for (auto& e : fs::directory_iterator(dir_)) {
    if (e.path().extension() == ".seg" && fs::file_size(e.path()) > 0) seg = e.path();
  }
  auto size = fs::file_size(seg);
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 2));  // inside the second frame
    char c;
    f.read(&c, 1);
    f.seekp(static_cast<std::streamoff>(size / 2));
    c ^= 0x5a;
    f.write(&c, 1);
  }
  auto buf = open();
  std::vector<std::string> got;
  while (auto b = buf->next()) {
    for (auto& m : messages(*b)) got.push_back(m);
  }
  EXPECT_EQ(got.size(), 20u);
  EXPECT_EQ(got.front(), "event 0");
  EXPECT_EQ(got.back(), "event 29");
  EXPECT_EQ(buf->stats().corrupt_frames, 1u);
}

TEST_F(DiskBufferTest, TornTailAfterACrashIsDropped) {
  {
    auto buf = open();
    for (int i = 0; i < 2; ++i) buf->append(makeBatch(i * 10, 10), i);
  }
  fs::path seg;
  for (auto& e : fs::directory_iterator(dir_)) {
    if (e.path().extension() == ".seg" && fs::file_size(e.path()) > 0) seg = e.path();
  }
  fs::resize_file(seg, fs::file_size(seg) - 7);
  auto buf = open();
  int batches = 0;
  while (buf->next()) ++batches;
  EXPECT_EQ(batches, 1);
  EXPECT_EQ(buf->stats().corrupt_frames, 1u);
}

TEST_F(DiskBufferTest, FullWhenOverItsBoundAndSegmentsRollAndGo) {
  auto buf = open(/*max_bytes=*/4096, /*segment=*/512);
  int ok = 0;
  DiskBuffer::Append r;
  while ((r = buf->append(makeBatch(ok * 50, 50), ok)) == DiskBuffer::Append::kOk) ++ok;
  EXPECT_EQ(r, DiskBuffer::Append::kFull);
  EXPECT_GT(ok, 2);
  size_t segments = 0;
  for (auto& e : fs::directory_iterator(dir_)) segments += e.path().extension() == ".seg";
  EXPECT_GT(segments, 2u);
  while (auto b = buf->next()) b->ack().resolve(AckStatus::kDelivered);
  buf->collect();
  EXPECT_EQ(buf->append(makeBatch(0, 50), 0), DiskBuffer::Append::kOk);
  size_t left = 0;
  for (auto& e : fs::directory_iterator(dir_)) left += e.path().extension() == ".seg";
  EXPECT_LE(left, 2u);  // finished segments were deleted
}

}  // namespace
}  // namespace logship

namespace logship {
namespace {

std::shared_ptr<const KeyRing> keyRing(const fs::path& file, const std::string& lines) {
  std::ofstream(file) << lines;
  auto ring = std::make_shared<KeyRing>();
  std::string error;
  EXPECT_TRUE(KeyRing::load(file.string(), ring.get(), &error)) << error;
  return ring;
}

TEST_F(DiskBufferTest, EncryptedFramesReplayAcrossAKeyRotationAndNeverWithoutTheKey) {
  const fs::path keys = dir_.string() + ".keys";
  const std::string k1 = "k1:" + std::string(64, '1') + "\n";
  const std::string k2 = "k2:" + std::string(64, '2') + "\n";
  auto withKeys = [&](std::shared_ptr<const KeyRing> ring) {
    return std::make_unique<DiskBuffer>(DiskBuffer::Options{dir_.string(), 1 << 30, 32 << 20, ring});
  };
  std::string error;
  {
    auto b = withKeys(keyRing(keys, k1));
    ASSERT_TRUE(b->open(&error)) << error;
    ASSERT_EQ(b->append(makeBatch(0, 3), 1), DiskBuffer::Append::kOk);
    ASSERT_TRUE(b->sync());
  }
  {
    auto b = withKeys(keyRing(keys, k2 + k1));  // rotated: k2 writes, k1 still reads
    ASSERT_TRUE(b->open(&error)) << error;
    ASSERT_EQ(b->append(makeBatch(3, 2), 2), DiskBuffer::Append::kOk);
    ASSERT_TRUE(b->sync());
  }
  std::string on_disk;
  for (auto& f : fs::directory_iterator(dir_)) {
    if (f.path().extension() == ".seg") {
      std::ifstream in(f.path(), std::ios::binary);
      on_disk += std::string((std::istreambuf_iterator<char>(in)), {});
    }
  }
  EXPECT_EQ(on_disk.find("event"), std::string::npos) << "plaintext at rest";
  {
    auto b = withKeys(nullptr);
    EXPECT_FALSE(b->open(&error));
    EXPECT_NE(error.find("encrypted with key 'k"), std::string::npos) << error;
  }
  auto b = withKeys(keyRing(keys, k2 + k1));
  ASSERT_TRUE(b->open(&error)) << error;
  std::vector<std::string> got;
  while (auto batch = b->next()) {
    for (const auto& m : messages(*batch)) got.push_back(m);
    batch->ack().resolve(AckStatus::kDelivered);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"event 0", "event 1", "event 2", "event 3", "event 4"}));
  EXPECT_EQ(b->stats().corrupt_frames, 0u);
  fs::remove(keys);
}

}  // namespace
}  // namespace logship
