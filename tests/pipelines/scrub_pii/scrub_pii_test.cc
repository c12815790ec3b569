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
  std::string yaml = "{type: scrub_pii, rules: [{name: email, action: hash}], key_file: " + key + "}";
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
  EXPECT_TRUE(diag_.errors()[0].starts_with("t.yaml:1:48: 'zap' is not one of")) << diag_.errors()[0];
}

TEST_F(ScrubPiiTransformTest, CustomRuleReplacesItsGroup) {
  auto t = build("{type: scrub_pii, rules: [{name: account, pattern: 'acct=(\\d+)'}]}");
  ASSERT_NE(t, nullptr) << (diag_.errors().empty() ? "" : diag_.errors()[0]);
  Batch batch = batchOf({"charge acct=12345 ok"});
  Capture out;
  t->process(batch, out);
  EXPECT_EQ(out.batches[0].events()[0].message, "charge acct=[REDACTED:account] ok");
}

}  // namespace
}  // namespace logship
