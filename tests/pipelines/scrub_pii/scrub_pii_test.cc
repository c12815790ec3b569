#include "pipelines/scrub_pii/scrub_pii.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include "agent/cli/builtin_components.h"

namespace logship {
namespace {

class Capture : public Emitter {
 public:
  void emit(Batch&& batch, std::string_view) override { batches.push_back(std::move(batch)); }
  std::vector<Batch> batches;
};

class ScrubPiiTransformTest : public ::testing::Test {
 protected:
  std::unique_ptr<Transform> build(const std::string& yaml) {
    node_ = ConfigNode(YAML::Load(yaml), std::make_shared<const std::string>("t.yaml"));
    registry_ = std::make_unique<Registry>();
    registerBuiltinComponents(*registry_);
    diag_ = Diagnostics();
    BuildContext ctx{"scrub", global_, diag_, node_};
    return registry_->find(ComponentKind::kTransform, "scrub_pii")->build_transform(ctx);
  }

  Batch batchOf(const std::vector<std::string>& lines) {
    std::string text;
    for (auto& l : lines) text += l + "\n";
    auto raw = std::make_unique<char[]>(text.size());
    std::memcpy(raw.get(), text.data(), text.size());
    Batch b(std::move(raw), text.size(), AckToken());
    size_t at = 0;
    for (auto& l : lines) {
      Event& e = b.events().emplace_back();
      e.message = b.raw().substr(at, l.size());
      at += l.size() + 1;
    }
    return b;
  }

  GlobalConfig global_;
  Diagnostics diag_;
  ConfigNode node_;
  std::unique_ptr<Registry> registry_;
};

TEST_F(ScrubPiiTransformTest, ScrubsMessagesAndChosenFieldsLeavesOthers) {
  auto t = build("{type: scrub_pii, rules: [email, ipv4], fields: [source.ip]}");
  ASSERT_NE(t, nullptr) << (diag_.errors().empty() ? "" : diag_.errors()[0]);
  Batch batch = batchOf({"login by bob@example.com from 10.1.2.3", "block 0xe60b…9b0a imported"});
  batch.addField(batch.events()[0], "source.ip", FieldValue::string("10.1.2.3"));
  batch.addField(batch.events()[0], "user.name", FieldValue::string("bob@example.com"));
  // The raw line a parser keeps holds what the message held: always scrubbed.
  batch.addField(batch.events()[0], "event.original",
                 FieldValue::string("level=info msg=\"login by bob@example.com\""));
  Capture out;
  t->process(batch, out);
  ASSERT_EQ(out.batches.size(), 1u);
  const Batch& b = out.batches[0];
  EXPECT_EQ(b.events()[0].message, "login by [REDACTED:email] from [REDACTED:ipv4]");
  EXPECT_EQ(b.events()[1].message, "block 0xe60b…9b0a imported");
  EXPECT_EQ(b.findField(b.events()[0], "source.ip")->value.string_value, "[REDACTED:ipv4]");
  EXPECT_EQ(b.findField(b.events()[0], "event.original")->value.string_value,
            "level=info msg=\"login by [REDACTED:email]\"");
  // Not listed in fields: left as it is.
  EXPECT_EQ(b.findField(b.events()[0], "user.name")->value.string_value, "bob@example.com");
}

TEST_F(ScrubPiiTransformTest, HashIsStableAcrossInstancesAndNeedsAKey) {
  std::string key = "/tmp/logship-scrub-key-" + std::to_string(getpid());
  std::ofstream(key) << "s3cret-shared-key\n";
  std::string yaml =
      "{type: scrub_pii, rules: [{name: email, action: hash}], key_file: " + key + "}";
  std::string first, second;
  for (std::string* result : {&first, &second}) {
    auto t = build(yaml);
    ASSERT_NE(t, nullptr) << (diag_.errors().empty() ? "" : diag_.errors()[0]);
    Batch batch = batchOf({"user alice@example.org logged in"});
    Capture out;
    t->process(batch, out);
    *result = std::string(out.batches[0].events()[0].message);
  }
  EXPECT_EQ(first, second);
  EXPECT_TRUE(first.starts_with("user [email:")) << first;
  EXPECT_EQ(first.find("alice"), std::string::npos);
  ::unlink(key.c_str());

  EXPECT_EQ(build("{type: scrub_pii, action: hash}"), nullptr);
  ASSERT_EQ(diag_.errors().size(), 1u);
  EXPECT_NE(diag_.errors()[0].find("needs key_file"), std::string::npos) << diag_.errors()[0];
}

TEST_F(ScrubPiiTransformTest, ConfigErrorsNameTheirPlace) {
  EXPECT_EQ(build("{type: scrub_pii, rules: [email, nosuchrule]}"), nullptr);
  ASSERT_FALSE(diag_.errors().empty());
  EXPECT_NE(diag_.errors()[0].find("nosuchrule"), std::string::npos) << diag_.errors()[0];
  EXPECT_EQ(build("{type: scrub_pii, rules: [{name: x, pattern: '(', action: redact}]}"), nullptr);
  EXPECT_TRUE(diag_.errors()[0].starts_with("t.yaml:1:1")) << diag_.errors()[0];
  EXPECT_EQ(build("{type: scrub_pii, rules: [{name: acct, action: zap, pattern: 'A\\d+'}]}"),
            nullptr);
  EXPECT_TRUE(diag_.errors()[0].starts_with("t.yaml:1:48: 'zap' is not one of"))
      << diag_.errors()[0];
}

TEST_F(ScrubPiiTransformTest, CustomRuleReplacesItsGroup) {
  auto t = build("{type: scrub_pii, rules: [{name: account, pattern: 'acct=(\\d+)'}]}");
  ASSERT_NE(t, nullptr) << (diag_.errors().empty() ? "" : diag_.errors()[0]);
  Batch batch = batchOf({"charge acct=12345 ok"});
  Capture out;
  t->process(batch, out);
  EXPECT_EQ(out.batches[0].events()[0].message, "charge acct=[REDACTED:account] ok");
}

// The event of a new user's first try: parse_json, then scrub_pii with its defaults.
constexpr std::string_view kSignup =
    R"({"msg":"user signup","email":"alice.smith@example.com","password":"hunter2-Secret!",)"
    R"("card":"4111 1111 1111 1111","client_ip":"203.0.113.7","user":{"phone":"+1 415 555 0100",)"
    R"("token":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"},)"
    R"("tags":["vip","bob@example.org"],"trace":{"id":"4bf92f3577b34da6a3ce929d0e0e4736"},)"
    R"("block":"0x3c8a1f0e9b5d7c2a4e6f8091b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1",)"
    R"("request_id":"9b2f6a1e-7c4d-4e8b-a5f3-2d1c0b9a8e7f","version":"1.2.3.4","order":"1234 5678 9012 3456",)"
    R"("pin":4321,"verified":true})";

class WholeEventScrubTest : public ScrubPiiTransformTest {
 protected:
  // Runs `json` through parse_json and a scrub_pii built from `options`; returns the scrubbed
  // batch.
  Batch parsedAndScrubbed(std::string_view json, const std::string& options) {
    node_ = ConfigNode(YAML::Load("{type: parse_json}"), std::make_shared<const std::string>("p"));
    Diagnostics diag;
    BuildContext pctx{"parse", global_, diag, node_};
    auto parse = registry()->find(ComponentKind::kTransform, "parse_json")->build_transform(pctx);
    EXPECT_NE(parse, nullptr);
    auto scrub = build("{type: scrub_pii" + (options.empty() ? "" : ", " + options) + "}");
    EXPECT_NE(scrub, nullptr) << (diag_.errors().empty() ? "" : diag_.errors()[0]);
    Batch batch = batchOf({std::string(json)});
    Capture parsed, scrubbed;
    parse->process(batch, parsed);
    scrub->process(parsed.batches.at(0), scrubbed);
    return std::move(scrubbed.batches.at(0));
  }
  Registry* registry() {
    if (!registry_) {
      registry_ = std::make_unique<Registry>();
      registerBuiltinComponents(*registry_);
    }
    return registry_.get();
  }
  static std::string field(const Batch& b, std::string_view key) {
    const Field* f = b.findField(b.events()[0], key);
    if (f == nullptr) return "<missing>";
    return f->value.kind == FieldValue::Kind::kString ? std::string(f->value.string_value)
                                                      : "<not a string>";
  }
};

TEST_F(WholeEventScrubTest, ParsedFieldsAtAnyDepthAreScrubbedDecoysKept) {
  const Batch b = parsedAndScrubbed(kSignup, "");
  EXPECT_EQ(b.events()[0].message, "user signup");
  EXPECT_EQ(field(b, "email"), "[REDACTED:email]");
  EXPECT_EQ(field(b, "password"), "[REDACTED:secret]");
  EXPECT_EQ(field(b, "card"), "[REDACTED:card]");
  EXPECT_EQ(field(b, "client_ip"), "[REDACTED:ipv4]");
  EXPECT_EQ(field(b, "user.phone"), "[REDACTED:phone]");
  EXPECT_EQ(field(b, "user.token"), "[REDACTED:secret]");  // its key names a secret
  EXPECT_EQ(field(b, "tags"), R"(["vip","[REDACTED:email]"])");
  EXPECT_EQ(field(b, "pin"), "<not a string>");  // not a secret's name: a number stays
  const std::string original = field(b, "event.original");
  for (std::string_view leaked : {"alice.smith", "hunter2", "4111 1111", "203.0.113.7", "555 0100",
                                  "bob@example.org", "eyJhbGciOiJIUzI1NiJ9"}) {
    EXPECT_EQ(original.find(leaked), std::string::npos) << leaked << " in " << original;
  }
  // Decoys: a trace id, a block hash, a UUID, a version, a number that fails Luhn.
  EXPECT_EQ(field(b, "trace.id"), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(field(b, "block"),
            "0x3c8a1f0e9b5d7c2a4e6f8091b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1");
  EXPECT_EQ(field(b, "request_id"), "9b2f6a1e-7c4d-4e8b-a5f3-2d1c0b9a8e7f");
  EXPECT_EQ(field(b, "version"), "1.2.3.4");
  EXPECT_EQ(field(b, "order"), "1234 5678 9012 3456");
  EXPECT_NE(original.find("4bf92f3577b34da6a3ce929d0e0e4736"), std::string::npos);
}

TEST_F(WholeEventScrubTest, MaskAndHashWorkOnFieldsAsOnText) {
  const Batch masked = parsedAndScrubbed(kSignup, "action: mask");
  EXPECT_EQ(field(masked, "email"), "a***@example.com");
  EXPECT_EQ(field(masked, "card"), "**** **** **** 1111");
  EXPECT_EQ(field(masked, "client_ip"), "203.0.113.xxx");
  EXPECT_EQ(field(masked, "password"), "***");

  std::string key = "/tmp/logship-scrub-field-key-" + std::to_string(getpid());
  std::ofstream(key) << "field-key\n";
  const Batch hashed = parsedAndScrubbed(kSignup, "action: hash, key_file: " + key);
  // The same address hashes the same in a field and in text.
  auto t = build("{type: scrub_pii, action: hash, key_file: " + key + "}");
  ASSERT_NE(t, nullptr);
  Batch text = batchOf({"mail to alice.smith@example.com"});
  Capture out;
  t->process(text, out);
  ::unlink(key.c_str());
  const std::string email = field(hashed, "email");
  EXPECT_TRUE(email.starts_with("[email:")) << email;
  EXPECT_EQ(std::string(out.batches[0].events()[0].message), "mail to " + email);
  EXPECT_TRUE(field(hashed, "password").starts_with("[secret:"));
  EXPECT_NE(field(hashed, "password"), field(hashed, "user.token"));
}

TEST_F(WholeEventScrubTest, FieldsNarrowExcludeFieldsExempt) {
  const Batch narrowed = parsedAndScrubbed(kSignup, "fields: [user]");
  EXPECT_EQ(field(narrowed, "user.phone"), "[REDACTED:phone]");
  EXPECT_EQ(field(narrowed, "email"), "alice.smith@example.com");  // not listed
  EXPECT_EQ(field(narrowed, "event.original").find("alice.smith"), std::string::npos);

  const Batch exempt = parsedAndScrubbed(kSignup, "exclude_fields: [user, client_ip]");
  EXPECT_EQ(field(exempt, "user.phone"), "+1 415 555 0100");
  EXPECT_EQ(field(exempt, "client_ip"), "203.0.113.7");
  EXPECT_EQ(field(exempt, "email"), "[REDACTED:email]");
}

TEST_F(WholeEventScrubTest, SecretKeyNamesAreConfigurableAndCoverNumbers) {
  const Batch pin = parsedAndScrubbed(kSignup, "secret_keys: [pin, x-api-key]");
  EXPECT_EQ(field(pin, "pin"), "[REDACTED:secret]");
  // The list replaces the default one, in fields and in text alike.
  EXPECT_EQ(field(pin, "password"), "hunter2-Secret!");
  EXPECT_EQ(field(pin, "event.original").find("4321"), std::string::npos);
  EXPECT_EQ(field(pin, "verified"), "<not a string>");
  // Without key names, a value is what its shape says, as a field and in the raw line.
  const Batch off =
      parsedAndScrubbed(R"({"nested":{"cookie":"k-123","Api-Key":"k-456"}})", "secret_keys: []");
  EXPECT_EQ(field(off, "nested.cookie"), "k-123");
  EXPECT_EQ(field(off, "nested.Api-Key"), "k-456");
  EXPECT_NE(off.events()[0].message.find("k-456"), std::string::npos);  // the raw line
  const Batch on = parsedAndScrubbed(
      R"({"db_password":"hunter2","nested":{"Api-Key":"k-123"},"accessToken":"opaque",)"
      R"("session":{"id":"s-1"},"PWD":"/home/alice","pwd":"hunter3","password":{"old":"a","new":"b"}})",
      "");
  EXPECT_EQ(field(on, "db_password"), "[REDACTED:secret]");
  EXPECT_EQ(field(on, "nested.Api-Key"), "[REDACTED:secret]");
  EXPECT_EQ(field(on, "accessToken"), "[REDACTED:secret]");
  EXPECT_EQ(field(on, "session.id"), "[REDACTED:secret]");
  EXPECT_EQ(field(on, "PWD"), "/home/alice");  // a working directory, as sudo logs it
  EXPECT_EQ(field(on, "pwd"), "[REDACTED:secret]");
  EXPECT_EQ(field(on, "password.old"), "[REDACTED:secret]");
  EXPECT_EQ(field(on, "password.new"), "[REDACTED:secret]");
  // A rule list without `secret` leaves key names alone.
  const Batch no_secret_rule = parsedAndScrubbed(R"({"token":"opaque"})", "rules: [email]");
  EXPECT_EQ(field(no_secret_rule, "token"), "opaque");
}

TEST_F(WholeEventScrubTest, SharedFieldsAndMnemonicsInFields) {
  auto t = build("{type: scrub_pii}");
  ASSERT_NE(t, nullptr);
  Batch batch = batchOf({"ok"});
  batch.addSharedString("log.file.path", "/home/bob@example.com/app.log");
  batch.addField(batch.events()[0], "note",
                 FieldValue::string("bottom drive obey lake curtain smoke basket hold race lonely "
                                    "fit walk//Alice"));
  Capture out;
  t->process(batch, out);
  const Batch& b = out.batches[0];
  EXPECT_EQ(b.sharedFields()[0].value.string_value, "/home/[REDACTED:email]/app.log");
  EXPECT_EQ(b.findField(b.events()[0], "note")->value.string_value, "[REDACTED:secret]");
}

TEST_F(WholeEventScrubTest, ScrubbingTwiceChangesNothingMore) {
  std::string key = "/tmp/logship-scrub-twice-key-" + std::to_string(getpid());
  std::ofstream(key) << "k\n";
  auto t = build("{type: scrub_pii, action: hash, key_file: " + key + "}");
  ASSERT_NE(t, nullptr);
  Batch batch = batchOf({"x"});
  batch.addField(batch.events()[0], "password", FieldValue::string("hunter2"));
  Capture once, twice;
  t->process(batch, once);
  const std::string first(
      once.batches[0].findField(once.batches[0].events()[0], "password")->value.string_value);
  t->process(once.batches[0], twice);
  ::unlink(key.c_str());
  EXPECT_EQ(
      twice.batches[0].findField(twice.batches[0].events()[0], "password")->value.string_value,
      first);
}

}  // namespace
}  // namespace logship
