#include "outputs/common/ndjson_encoder.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <random>

#include "agent/support/json_writer.h"
#include "agent/support/utf8.h"

namespace logship {
namespace {

Batch batchOf(std::string_view text) {
  auto raw = std::make_unique<char[]>(text.size());
  std::memcpy(raw.get(), text.data(), text.size());
  return Batch(std::move(raw), text.size(), AckToken());
}

TEST(JsonWriter, EscapesControlsQuotesAndInvalidUtf8) {
  std::string out;
  json::appendString(out, std::string_view("a\"b\\c\n\t\x01\x7f", 9));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\t\\u0001\x7f\"");
  out.clear();
  json::appendString(out, std::string_view("nul\0end", 7));
  EXPECT_EQ(out, "\"nul\\u0000end\"");
  out.clear();
  // Valid multi-byte sequences pass; a lone continuation byte, an overlong form, a truncated
  // sequence and a surrogate each become U+FFFD.
  json::appendString(out, "é〽️ \x80 \xC0\xAF \xE2\x82 \xED\xA0\x80");
  EXPECT_EQ(out, "\"é〽️ \xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD "
                 "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
  out.clear();
  std::string long_ascii(100, 'a');
  long_ascii[70] = '"';
  json::appendString(out, long_ascii);
  EXPECT_EQ(out.size(), 100u + 3);
  EXPECT_EQ(out.substr(70, 3), "a\\\"");
}

// Every byte value at the start, middle and end of random strings up to 80 bytes (across the
// 16-byte blocks), after text already in the output: the same as escaping one byte or sequence at
// a time.
TEST(JsonWriter, StringsMatchBytewiseEscaping) {
  auto reference = [](std::string_view text) {
    std::string out = "\"";
    for (size_t i = 0; i < text.size();) {
      auto c = static_cast<unsigned char>(text[i]);
      if (c >= 0x80) {
        size_t len = utf8SequenceLength(text.data() + i, text.data() + text.size());
        out += len == 0 ? std::string("\xEF\xBF\xBD") : std::string(text.substr(i, len));
        i += len == 0 ? 1 : len;
        continue;
      }
      static const std::map<char, std::string> kShort = {
          {'"', "\\\""}, {'\\', "\\\\"}, {'\n', "\\n"}, {'\r', "\\r"},
          {'\t', "\\t"}, {'\b', "\\b"},  {'\f', "\\f"}};
      if (auto it = kShort.find(static_cast<char>(c)); it != kShort.end()) {
        out += it->second;
      } else if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
      ++i;
    }
    return out + "\"";
  };
  std::mt19937 random(7);
  for (size_t size = 0; size <= 80; ++size) {
    for (int byte = 0; byte < 256; ++byte) {
      for (size_t at : {size_t{0}, size / 2, size > 0 ? size - 1 : 0}) {
        std::string text(size, 'a');
        for (char& c : text) c = static_cast<char>('a' + random() % 26);
        if (size > 0) text[at] = static_cast<char>(byte);
        if (size > 4) text[random() % size] = '"';
        std::string out = "prefix";
        json::appendString(out, text);
        std::string expected = "prefix";
        expected += reference(text);
        ASSERT_EQ(out, expected) << size << " " << byte << " " << at;
      }
    }
  }
  // Dense escapes: quotes and backslashes only (JSON inside a message), and of every kind.
  for (std::string_view alphabet :
       {std::string_view("abcd\"\\"),
        std::string_view("ab\"\\\n\t\x01\x7f\xc3\xa9\xe2\x82\xac\xff")}) {
    for (size_t size = 0; size <= 100; ++size) {
      for (int trial = 0; trial < 40; ++trial) {
        std::string text(size, 'a');
        for (char& c : text) c = alphabet[random() % alphabet.size()];
        std::string out = "prefix";
        json::appendString(out, text);
        ASSERT_EQ(out, "prefix" + reference(text)) << size << " " << trial;
      }
    }
  }
  // Escapes only, and nothing but wide ones: the output outgrows its first estimate.
  std::string out;
  json::appendString(out, std::string(100, '\x01'));
  EXPECT_EQ(out.size(), 100u * 6 + 2);
  out.clear();
  json::appendString(out, std::string(100, '\xff'));
  EXPECT_EQ(out.size(), 100u * 3 + 2);
}

TEST(JsonWriter, Timestamps) {
  std::string out;
  json::appendTimestamp(out, 1'700'000'000'123'456'789);
  EXPECT_EQ(out, "\"2023-11-14T22:13:20.123456789Z\"");
}

TEST(NdjsonEncoder, NestsDottedFieldsAndKeepsTheRawMessage) {
  GlobalConfig global;
  global.tiers = {{"audit", {}, false}, {"app", {}, false}};
  Batch batch = batchOf("Failed password for root\n");
  Event& e = batch.events().emplace_back();
  e.timestamp_ns = 0;
  e.message = batch.raw().substr(0, 24);
  e.offset = 42;
  e.severity = Severity::kHigh;
  e.tier = 0;
  e.correlation_id = "abc";
  batch.addField(e, "event.action", FieldValue::string("ssh_failed_password"));
  batch.addField(e, "event.category", FieldValue::string("authentication"));
  batch.addField(e, "source.port", FieldValue::integer(22));
  batch.addField(e, "geo.lat", FieldValue::real(1.5));
  batch.addField(e, "ok", FieldValue::boolean(false));
  batch.addSharedString("log.file.path", "/var/log/auth.log");
  batch.addSharedString("host.name", "h1");
  std::string out;
  NdjsonEncoder(global).encode(batch, out);
  EXPECT_EQ(out,
            "{\"@timestamp\":\"1970-01-01T00:00:00.000000000Z\",\"correlation_id\":\"abc\","
            "\"event\":{\"action\":\"ssh_failed_password\",\"category\":\"authentication\"},"
            "\"geo\":{\"lat\":1.5},\"host\":{\"name\":\"h1\"},"
            "\"log\":{\"file\":{\"path\":\"/var/log/auth.log\"},\"level\":\"high\",\"offset\":42},"
            "\"message\":\"Failed password for root\",\"ok\":false,"
            "\"source\":{\"port\":22},\"tier\":\"audit\"}\n");
}

TEST(NdjsonEncoder, CachedLayoutsMatchAFreshEncoderForEveryKeySequence) {
  GlobalConfig global;
  global.tiers = {{"app", {}, false}};
  std::string text;
  for (int i = 0; i < 60; ++i) text += "line \"" + std::to_string(i) + "\"\n";
  Batch batch = batchOf(text);
  size_t at = 0;
  for (int i = 0; i < 60; ++i) {
    size_t nl = batch.raw().find('\n', at);
    Event& e = batch.events().emplace_back();
    e.message = batch.raw().substr(at, nl - at);
    e.offset = at;
    e.timestamp_ns = 1'700'000'000'000'000'000 + i % 3;
    at = nl + 1;
    // 24 key sequences, more than the encoder keeps, interleaved: each event must get its own.
    int shape = (i * 7) % 24;
    if (shape & 1) e.tier = 0;
    if (shape & 2) e.severity = Severity::kLow;
    if (shape & 4) e.correlation_id = "c";
    for (int f = 0; f < shape / 8; ++f) {
      batch.addField(e, f ? "event.action" : "source.ip", FieldValue::integer(i));
    }
  }
  batch.addSharedString("log.file.path", "/var/log/a.log");
  NdjsonEncoder shared(global);
  std::string together, apart;
  shared.encode(batch, together);
  for (const Event& e : batch.events()) NdjsonEncoder(global).encodeEvent(batch, e, apart);
  EXPECT_EQ(together, apart);
  EXPECT_EQ(together.find('\0'), std::string::npos);
  // Line 16: no tier, level or correlation id; source.ip and event.action.
  EXPECT_NE(together.find("{\"@timestamp\":\"2023-11-14T22:13:20.000000001Z\","
                          "\"event\":{\"action\":16},\"log\":{\"file\":{\"path\":\"/var/log/a.log\"},"
                          "\"offset\":"),
            std::string::npos)
      << together;
}

TEST(NdjsonEncoder, MoreFieldsThanALayoutIndexesAreRenderedDirectly) {
  GlobalConfig global;
  Batch batch = batchOf("x\n");
  Event& e = batch.events().emplace_back();
  e.message = "x";
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) keys.push_back("k" + std::to_string(1000 + i));
  for (const std::string& k : keys) batch.addField(e, k, FieldValue::integer(7));
  std::string out;
  NdjsonEncoder(global).encode(batch, out);
  EXPECT_EQ(out.find('\0'), std::string::npos);
  EXPECT_NE(out.find("\"k1000\":7,\"k1001\":7"), std::string::npos);
  EXPECT_NE(out.find("\"k1299\":7,\"message\":\"x\"}\n"), std::string::npos)
      << out.substr(out.size() - 80);
}

TEST(NdjsonEncoder, EventFieldsWinOverSharedOnes) {
  GlobalConfig global;
  Batch batch = batchOf("x\n");
  Event& e = batch.events().emplace_back();
  e.message = "x";
  batch.addSharedString("host.name", "shared");
  batch.addField(e, "host.name", FieldValue::string("own"));
  std::string out;
  NdjsonEncoder(global).encode(batch, out);
  EXPECT_NE(out.find("\"host\":{\"name\":\"own\"}"), std::string::npos) << out;
  EXPECT_EQ(out.find("shared"), std::string::npos) << out;
}

TEST(NdjsonEncoder, EachBatchShowsItsOwnSharedFields) {
  // Shared values are rendered once per batch: a batch in the place of one freed, or a batch that
  // gained a field since, must not show what was rendered before.
  GlobalConfig global;
  NdjsonEncoder encoder(global);
  auto encodeOne = [&](const char* host, bool with_path) {
    auto batch = std::make_unique<Batch>(batchOf("x\n"));
    Event& e = batch->events().emplace_back();
    e.message = "x";
    e.offset = 9;
    batch->addSharedString("host.name", host);
    std::string out;
    encoder.encode(*batch, out);
    if (with_path) {
      batch->addSharedString("log.file.path", "/p");
      encoder.encode(*batch, out);
    }
    return out;
  };
  EXPECT_EQ(encodeOne("first", false),
            "{\"@timestamp\":\"1970-01-01T00:00:00.000000000Z\",\"host\":{\"name\":\"first\"},"
            "\"message\":\"x\"}\n");
  EXPECT_EQ(encodeOne("second", true),
            "{\"@timestamp\":\"1970-01-01T00:00:00.000000000Z\",\"host\":{\"name\":\"second\"},"
            "\"message\":\"x\"}\n"
            "{\"@timestamp\":\"1970-01-01T00:00:00.000000000Z\",\"host\":{\"name\":\"second\"},"
            "\"log\":{\"file\":{\"path\":\"/p\"},\"offset\":9},\"message\":\"x\"}\n");
}

}  // namespace
}  // namespace logship
