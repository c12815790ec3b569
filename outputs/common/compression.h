#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace logship {

enum class Compression { kNone, kGzip, kZstd };

// The Content-Encoding token of `c` ("" for none).
std::string_view contentEncoding(Compression c);
bool parseCompression(std::string_view name, Compression* out);

// Reusable compressors: each keeps its library context between calls, so compressing request
// bodies does not set up zlib or zstd state every time. Returns false if the library failed.
class Compressor {
 public:
  Compressor();
  ~Compressor();
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;

  bool gzip(std::string_view in, std::string& out, int level = 1);
  bool zstd(std::string_view in, std::string& out, int level = 1);
  bool compress(Compression c, std::string_view in, std::string& out);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Snappy block format (not framed), as Loki's protobuf push expects. The input may come in pieces,
// which are compressed as one text without first being joined.
void snappyCompress(std::span<const std::string_view> pieces, std::string& out);
bool gunzip(std::string_view in, std::string& out);

}  // namespace logship
