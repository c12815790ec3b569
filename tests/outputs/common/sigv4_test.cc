#include "outputs/common/sigv4.h"

#include <gtest/gtest.h>

#include "agent/support/digest.h"

namespace logship {
namespace {

constexpr const char* kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// AWS's signature-v4 test suite: key AKIDEXAMPLE, service "service", 20150830T123600Z.
SigV4Signature suite(SigV4Request r) {
  r.headers.insert(r.headers.begin(), {"Host", "example.amazonaws.com"});
  r.headers.emplace_back("X-Amz-Date", "20150830T123600Z");
  if (r.payload_sha256.empty()) r.payload_sha256 = kEmptySha256;
  return signV4(r, {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""}, "us-east-1",
                "service", "20150830T123600Z");
}

std::string signatureOf(const std::string& authorization) {
  return authorization.substr(authorization.rfind('=') + 1);
}

TEST(SigV4Test, AwsTestSuite) {
  auto vanilla = suite({"GET", "/", {}, {}, ""});
  EXPECT_EQ(vanilla.canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(vanilla.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(vanilla.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  // get-vanilla-query-order-key-case: sorted by encoded name, upper case first.
  EXPECT_EQ(signatureOf(suite({"GET", "/", {{"Param2", "value2"}, {"Param1", "value1"}}, {}, ""})
                            .authorization),
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
  // get-header-value-trim: values trimmed, inner runs of spaces folded.
  auto trim = suite({"GET", "/", {}, {{"My-Header1", " value1"}, {"My-Header2", "\"a   b   c\""}}, ""});
  EXPECT_NE(trim.canonical_request.find("my-header2:\"a b c\"\n"), std::string::npos);
  EXPECT_EQ(signatureOf(trim.authorization),
            "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");
  // get-header-key-duplicate: one line, values in order.
  auto duplicate = suite(
      {"GET", "/", {}, {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}}, ""});
  EXPECT_NE(duplicate.canonical_request.find("my-header1:value2,value2,value1\n"), std::string::npos);
  EXPECT_EQ(signatureOf(duplicate.authorization),
            "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea");
  EXPECT_EQ(signatureOf(suite({"GET", "/", {{"Param1", "value1"}}, {}, ""}).authorization),
            "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb");
  EXPECT_EQ(
      signatureOf(
          suite({"GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", {}, {}, ""})
              .authorization),
      "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f");
  EXPECT_EQ(signatureOf(suite({"GET", "/", {{"\xE1\x88\xB4", "bar"}}, {}, ""}).authorization),
            "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04");
  EXPECT_EQ(signatureOf(suite({"POST", "/", {}, {}, ""}).authorization),
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
  EXPECT_EQ(signatureOf(suite({"POST",
                               "/",
                               {},
                               {{"Content-Type", "application/x-www-form-urlencoded"}},
                               sha256Hex("Param1=value1")})
                            .authorization),
            "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
}

// The S3 API reference's examples (bucket examplebucket, 20130524T000000Z).
SigV4Signature s3(SigV4Request r) {
  r.headers.insert(r.headers.begin(), {"Host", "examplebucket.s3.amazonaws.com"});
  r.headers.emplace_back("x-amz-date", "20130524T000000Z");
  r.headers.emplace_back("x-amz-content-sha256", r.payload_sha256);
  return signV4(r, {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""},
                "us-east-1", "s3", "20130524T000000Z");
}

TEST(SigV4Test, S3DocumentationExamples) {
  auto get = s3({"GET", "/test.txt", {}, {{"Range", "bytes=0-9"}}, kEmptySha256});
  EXPECT_EQ(get.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(get.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  // PUT "test$file.text": the key is encoded once ($ -> %24).
  auto put = s3({"PUT",
                 "/test$file.text",
                 {},
                 {{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
                 sha256Hex("Welcome to Amazon S3.")});
  EXPECT_EQ(put.canonical_request.substr(0, 23), "PUT\n/test%24file.text\n\n");
  EXPECT_EQ(put.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
  EXPECT_EQ(s3({"GET", "/", {{"lifecycle", ""}}, {}, kEmptySha256}).signature,
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
  EXPECT_EQ(s3({"GET", "/", {{"max-keys", "2"}, {"prefix", "J"}}, {}, kEmptySha256}).signature,
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

// Requests logship itself makes, checked against botocore's S3SigV4Auth (Debian python3-botocore).
TEST(SigV4Test, KeysUploadsAndListings) {
  auto key = s3({"PUT", "/logs/app 1/\xC3\xBC+x$.log", {}, {{"Content-Type", "application/x-ndjson"}},
                 "UNSIGNED-PAYLOAD"});
  EXPECT_NE(key.canonical_request.find("\n/logs/app%201/%C3%BC%2Bx%24.log\n"), std::string::npos);
  EXPECT_EQ(key.signature, "eeeaace3d09dbb0514c95d8cc441a3b6dc6825e6dbce21272656f2fdacf900fc");
  auto part = s3({"PUT", "/logs/big.log", {{"uploadId", "VXBsb2Fk/ID+x="}, {"partNumber", "2"}}, {},
                  "UNSIGNED-PAYLOAD"});
  EXPECT_NE(part.canonical_request.find("\npartNumber=2&uploadId=VXBsb2Fk%2FID%2Bx%3D\n"),
            std::string::npos);
  EXPECT_EQ(part.signature, "6f6c8e5b2e19f6a23997988915c70268bb4bee21305e7eb64d44e162fa201391");
  EXPECT_EQ(s3({"POST",
                "/logs/big.log",
                {{"uploads", ""}},
                {{"x-amz-server-side-encryption", "aws:kms"},
                 {"x-amz-server-side-encryption-aws-kms-key-id",
                  "arn:aws:kms:us-east-1:111122223333:key/abcd"}},
                kEmptySha256})
                .signature,
            "4c7cb3080ca87417d09845aa677bf01c3c53b7dfdf534907aa4fcd6f027d3715");
  EXPECT_EQ(s3({"GET",
                "/",
                {{"list-type", "2"},
                 {"prefix", "logs/2024/"},
                 {"continuation-token", "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="}},
                {},
                kEmptySha256})
                .signature,
            "02e25f2c4d4c5a6a49ff50eb020ed6188d28b61ece123bcdeecc60e1fdb42baf");
}

TEST(SigV4Test, AmzDate) {
  EXPECT_EQ(amzDate(1369353600LL * 1'000'000'000), "20130524T000000Z");
}

}  // namespace
}  // namespace logship
