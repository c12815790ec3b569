#include "outputs/archive/archive_anchor_source.h"

#include <cstring>

#include "agent/support/files.h"
#include "agent/support/json_writer.h"
#include "agent/support/timestamp.h"
#include "outputs/archive/archive_manifest.h"

namespace logship {

const OptionTable<ArchiveAnchorConfig>& ArchiveAnchorConfig::options() {
  static const OptionTable<ArchiveAnchorConfig> table = [] {
    OptionTable<ArchiveAnchorConfig> t;
    t.required("path", &ArchiveAnchorConfig::path,
               "The archive's root directory (its archive output's path).")
        .optional("interval", &ArchiveAnchorConfig::interval,
                  "How often the manifests are checked for a new chain head.")
        .check([](const ArchiveAnchorConfig& c, const ConfigNode& node, Diagnostics& diag) {
          if (c.interval.count() <= 0) {
            diag.error(node["interval"].location(), "interval must be positive");
          }
        });
    return t;
  }();
  return table;
}

ArchiveAnchorSource::ArchiveAnchorSource(ArchiveAnchorConfig config, BuildContext&)
    : config_(std::move(config)) {}

ArchiveAnchorSource::~ArchiveAnchorSource() = default;

void ArchiveAnchorSource::start(SourceContext& context) {
  context_ = &context;
  timer_ = std::make_unique<boost::asio::steady_timer>(context.io());
  anchorNow();
  schedule();
}

void ArchiveAnchorSource::stop() {
  stopped_ = true;
  if (timer_) timer_->cancel();
}

void ArchiveAnchorSource::schedule() {
  timer_->expires_after(config_.interval);
  timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    anchorNow();
    schedule();
  });
}

size_t ArchiveAnchorSource::anchorNow() {
  struct Head {
    std::string tier;
    size_t records;
    archive::Record last;
  };
  std::vector<Head> heads;
  auto store = archive::directoryStore(config_.path);
  for (const std::string& tier : store->tiers()) {
    std::string text = store->read(tier + "/" + archive::kManifestName).value_or("");
    // Only whole lines: the archive may be appending one right now.
    text.resize(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
    std::vector<archive::Record> records = archive::parseManifest(text, nullptr);
    std::lock_guard lock(mutex_);
    if (records.empty() || anchored_[tier] == records.size()) continue;
    heads.push_back({tier, records.size(), records.back()});
  }
  if (heads.empty()) return 0;
  std::string text;
  std::vector<std::string> lines;
  for (const Head& h : heads) {
    lines.push_back(archive::anchorLine(h.tier, h.records, h.last.chain));
    text += lines.back() + "\n";
  }
  auto raw = std::make_unique_for_overwrite<char[]>(text.size());
  std::memcpy(raw.get(), text.data(), text.size());
  Batch batch(std::move(raw), text.size(), AckToken());
  Arena& arena = batch.arena();
  const int64_t now = timestamp::nowNs();
  size_t at = 0;
  for (size_t i = 0; i < heads.size(); ++i) {
    const Head& h = heads[i];
    Event& e = batch.events().emplace_back();
    e.message = batch.raw().substr(at, lines[i].size());
    e.offset = at;
    e.timestamp_ns = now;
    at += lines[i].size() + 1;
    auto str = [&](std::string_view key, std::string_view value) {
      batch.addField(e, key, FieldValue::string(arena.copy(value)));
    };
    str("event.kind", "archive_anchor");
    str("event.module", "archive");
    str("archive.tier", h.tier);
    batch.addField(e, "archive.records", FieldValue::integer(static_cast<int64_t>(h.records)));
    batch.addField(e, "archive.seq", FieldValue::integer(static_cast<int64_t>(h.last.seq)));
    str("archive.file", h.last.file);
    str("archive.chain", h.last.chain);
    std::lock_guard lock(mutex_);
    anchored_[h.tier] = h.records;
  }
  context_->metrics().received(batch.events().size(), text.size());
  context_->emit(std::move(batch));
  return heads.size();
}

std::string ArchiveAnchorSource::statusJson() const {
  std::string out = "{\"path\":";
  json::appendString(out, config_.path);
  out += ",\"anchored\":{";
  std::lock_guard lock(mutex_);
  bool first = true;
  for (auto& [tier, records] : anchored_) {
    if (!first) out += ',';
    first = false;
    json::appendString(out, tier);
    out += ':' + std::to_string(records);
  }
  return out + "}}";
}

void registerArchiveAnchorSource(Registry& registry) {
  registry.addSource<ArchiveAnchorConfig, ArchiveAnchorSource>(
      "archive_anchors",
      "Emits an archive's chain heads (at start and when a manifest grows) for an output off the "
      "host to record; `logship archive verify --anchors` checks the archive against them.");
}

}  // namespace logship
