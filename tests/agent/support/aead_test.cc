#include "agent/support/aead.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace logship {
namespace {

std::string unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return out;
}

// The AES-256 cases of the GCM specification's test vectors (McGrew and Viega, test cases 13
// and 14): the zero key and IV, with no plaintext and with one zero block.
TEST(Aead, OpensTheGcmSpecificationVectors) {
  const std::string key(32, '\0');
  const std::string iv(12, '\0');
  auto empty = aeadOpen(key, iv + unhex("530f8afbc74536b9a963b4f1c4cb738b"), "");
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(*empty, "");
  auto block = aeadOpen(
      key, iv + unhex("cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919"), "");
  ASSERT_TRUE(block.has_value());
  EXPECT_EQ(*block, std::string(16, '\0'));
}

TEST(Aead, SealedDataOpensOnlyWithItsKeyAndContext) {
  const std::string key = unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  const std::string sealed = aeadSeal(key, "Failed password for root", "audit/1@0");
  EXPECT_EQ(sealed.size(), kAeadNonceBytes + 24 + kAeadTagBytes);
  EXPECT_EQ(sealed.find("password"), std::string::npos);
  EXPECT_NE(aeadSeal(key, "Failed password for root", "audit/1@0"), sealed);  // fresh nonce
  EXPECT_EQ(aeadOpen(key, sealed, "audit/1@0"), "Failed password for root");
  EXPECT_FALSE(aeadOpen(key, sealed, "audit/1@64"));  // moved within the segment
  std::string other = key;
  other[0] ^= 1;
  EXPECT_FALSE(aeadOpen(other, sealed, "audit/1@0"));
  std::string flipped = sealed;
  flipped[kAeadNonceBytes + 3] ^= 1;
  EXPECT_FALSE(aeadOpen(key, flipped, "audit/1@0"));
}

TEST(KeyRing, TheFirstKeyEncryptsEveryKeyDecryptsAndMistakesNameTheirLine) {
  const std::string path = ::testing::TempDir() + "logship-keys-" + std::to_string(getpid());
  std::ofstream(path) << "# rotated 2026-12\n"
                      << "k2:" << std::string(64, 'b') << "\n"
                      << "k1:" << std::string(64, 'a') << "\n";
  KeyRing ring;
  std::string error;
  ASSERT_TRUE(KeyRing::load(path, &ring, &error)) << error;
  EXPECT_EQ(ring.currentId(), "k2");
  ASSERT_NE(ring.key("k1"), nullptr);
  EXPECT_EQ(*ring.key("k1"), std::string(32, '\xaa'));
  EXPECT_EQ(ring.key("k3"), nullptr);
  std::ofstream(path) << "k1:" << std::string(64, 'a') << "\nk2:abcd\n";
  EXPECT_FALSE(KeyRing::load(path, &ring, &error));
  EXPECT_EQ(error, path + ":2: expected ID:HEX with 64 hex digits (openssl rand -hex 32)");
  std::ofstream(path) << "k1:" << std::string(63, 'a') << "z\n";
  EXPECT_FALSE(KeyRing::load(path, &ring, &error));
  EXPECT_EQ(error, path + ":1: the key is not hex");
  ::unlink(path.c_str());
}

}  // namespace
}  // namespace logship
