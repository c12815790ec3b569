#include "outputs/common/compression.h"

#include <snappy-sinksource.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>

namespace logship {

struct Compressor::State {
  z_stream deflate{};
  bool deflate_ready = false;
  int deflate_level = 0;
  ZSTD_CCtx* zstd = nullptr;
  ~State() {
    if (deflate_ready) deflateEnd(&deflate);
    if (zstd != nullptr) ZSTD_freeCCtx(zstd);
  }
};

std::string_view contentEncoding(Compression c) {
  switch (c) {
    case Compression::kGzip:
      return "gzip";
    case Compression::kZstd:
      return "zstd";
    case Compression::kNone:
      break;
  }
  return {};
}

bool parseCompression(std::string_view name, Compression* out) {
  if (name == "none")
    *out = Compression::kNone;
  else if (name == "gzip")
    *out = Compression::kGzip;
  else if (name == "zstd")
    *out = Compression::kZstd;
  else
    return false;
  return true;
}

Compressor::Compressor() : state_(std::make_unique<State>()) {}
Compressor::~Compressor() = default;

bool Compressor::gzip(std::string_view in, std::string& out, int level) {
  z_stream& z = state_->deflate;
  if (!state_->deflate_ready || state_->deflate_level != level) {
    if (state_->deflate_ready) deflateEnd(&z);
    std::memset(&z, 0, sizeof z);
    // 15 window bits + 16: a gzip header and trailer rather than raw zlib.
    if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      state_->deflate_ready = false;
      return false;
    }
    state_->deflate_ready = true;
    state_->deflate_level = level;
  } else if (deflateReset(&z) != Z_OK) {
    return false;
  }
  size_t start = out.size();
  out.resize(start + deflateBound(&z, in.size()) + 32);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data() + start);
  z.avail_out = static_cast<uInt>(out.size() - start);
  int rc = deflate(&z, Z_FINISH);
  if (rc != Z_STREAM_END) {
    out.resize(start);
    return false;
  }
  out.resize(start + z.total_out);
  return true;
}

bool Compressor::zstd(std::string_view in, std::string& out, int level) {
  if (state_->zstd == nullptr) state_->zstd = ZSTD_createCCtx();
  if (state_->zstd == nullptr) return false;
  size_t start = out.size();
  out.resize(start + ZSTD_compressBound(in.size()));
  size_t n = ZSTD_compressCCtx(state_->zstd, out.data() + start, out.size() - start, in.data(),
                               in.size(), level);
  if (ZSTD_isError(n)) {
    out.resize(start);
    return false;
  }
  out.resize(start + n);
  return true;
}

bool Compressor::compress(Compression c, std::string_view in, std::string& out) {
  switch (c) {
    case Compression::kGzip:
      return gzip(in, out);
    case Compression::kZstd:
      return zstd(in, out);
    case Compression::kNone:
      out.append(in);
      return true;
  }
  return false;
}

namespace {

class PiecesSource : public snappy::Source {
 public:
  explicit PiecesSource(std::span<const std::string_view> pieces) : pieces_(pieces) {
    for (std::string_view piece : pieces) left_ += piece.size();
  }
  size_t Available() const override { return left_; }
  const char* Peek(size_t* len) override {
    while (index_ < pieces_.size() && offset_ == pieces_[index_].size()) {
      ++index_;
      offset_ = 0;
    }
    if (index_ == pieces_.size()) {
      *len = 0;
      return nullptr;
    }
    *len = pieces_[index_].size() - offset_;
    return pieces_[index_].data() + offset_;
  }
  void Skip(size_t n) override {
    left_ -= n;
    while (n > 0) {
      size_t here = std::min(n, pieces_[index_].size() - offset_);
      offset_ += here;
      n -= here;
      if (offset_ == pieces_[index_].size()) {
        ++index_;
        offset_ = 0;
      }
    }
  }

 private:
  std::span<const std::string_view> pieces_;
  size_t index_ = 0;
  size_t offset_ = 0;
  size_t left_ = 0;
};

class AppendSink : public snappy::Sink {
 public:
  explicit AppendSink(std::string& out) : out_(out) {}
  void Append(const char* bytes, size_t n) override { out_.append(bytes, n); }

 private:
  std::string& out_;
};

}  // namespace

void snappyCompress(std::span<const std::string_view> pieces, std::string& out) {
  PiecesSource source(pieces);
  out.reserve(out.size() + snappy::MaxCompressedLength(source.Available()));
  AppendSink sink(out);
  snappy::Compress(&source, &sink);
}

bool gunzip(std::string_view in, std::string& out) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 32) != Z_OK) return false;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  char buf[65536];
  int rc;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&z);
      return false;
    }
    out.append(buf, sizeof buf - z.avail_out);
  } while (rc != Z_STREAM_END);
  inflateEnd(&z);
  return true;
}

}  // namespace logship
