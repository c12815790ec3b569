#include "agent/sources/file/fingerprint.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace logship {
namespace {

class FileStartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char path[] = "/tmp/logship-file-start-XXXXXX";
    fd_ = ::mkstemp(path);
    ASSERT_GE(fd_, 0);
    ::unlink(path);
    for (int i = 0; i < 100; ++i) content_ += "line " + std::to_string(i) + " of the file\n";
    ASSERT_EQ(::write(fd_, content_.data(), content_.size()),
              static_cast<ssize_t>(content_.size()));
  }
  void TearDown() override { ::close(fd_); }
  Head headOf(size_t length) const {
    return Head{static_cast<uint32_t>(length),
                fnv1a64(std::string_view(content_).substr(0, length))};
  }

  int fd_ = -1;
  std::string content_;
};

TEST_F(FileStartTest, AnswersAsHasHeadForShorterEqualAndLongerHeads) {
  FileStart start;
  ASSERT_TRUE(start.read(fd_, 256));
  EXPECT_EQ(start.head(), headOf(256));
  for (size_t length : {0, 1, 100, 256, 512, 1000}) {
    Head head = headOf(length);
    EXPECT_TRUE(start.has(head)) << length;
    EXPECT_EQ(start.has(head), hasHead(fd_, head)) << length;
    head.hash ^= 1;
    EXPECT_EQ(start.has(head), hasHead(fd_, head)) << length;
  }
  // Longer than the file: no file starts with it.
  Head beyond{static_cast<uint32_t>(content_.size() + 1), 0};
  EXPECT_FALSE(start.has(beyond));
}

TEST_F(FileStartTest, AShortFileHasOnlyHeadsItHoldsWhole) {
  ASSERT_EQ(::ftruncate(fd_, 10), 0);
  FileStart start;
  ASSERT_TRUE(start.read(fd_, 256));
  EXPECT_EQ(start.head(), headOf(10));
  EXPECT_TRUE(start.has(headOf(5)));
  EXPECT_FALSE(start.has(headOf(256)));
}

}  // namespace
}  // namespace logship
