#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "pipelines/common/event_fields.h"
#include "pipelines/common/field_template.h"
#include "pipelines/remap/remap_config.h"

namespace prometheus {
class Counter;
}
namespace re2 {
class RE2;
}

namespace logship {

// Reshapes events with ordered operations: set (constants and {field} templates), rename, copy,
// delete, coerce (int, float, bool, timestamp), lowercase and replace (regex); enough to bring a
// source's own names (user, ip, uid) to ECS (user.name, source.ip, user.id).
class Remap final : public Transform {
 public:
  Remap(RemapConfig config, BuildContext& ctx);
  void start(ComponentContext& context) override;
  void process(Batch& batch, Emitter& out) override;

 private:
  enum class OpKind : uint8_t { kSet, kRename, kCopy, kDelete, kCoerce, kLowercase, kReplace };
  enum class CoerceTo : uint8_t { kInt, kFloat, kBool, kTimestamp };
  struct Op {
    OpKind kind = OpKind::kSet;
    size_t field = 0;  // index into keys_: the field written, or the one changed in place
    std::optional<FieldRef> from;        // copy
    size_t from_key = 0;                 // rename: index into keys_
    std::optional<FieldTemplate> value;  // set
    CoerceTo to = CoerceTo::kInt;
    std::shared_ptr<const re2::RE2> pattern;  // replace
    std::string rewrite;                      // replace: the text put for each match
    bool message = false;                     // replace: in the message, not a field
  };

  // Compiles the operation `name` written as `node`; false when `name` is no operation.
  bool compile(const std::string& name, const ConfigNode& node, const TierNames& tiers,
               Diagnostics& diag);
  size_t key(const std::string& name, const ConfigNode& where, Diagnostics& diag,
             bool writable = true);
  void compileReplace(const ConfigNode& node, Diagnostics& diag);
  void apply(const Op& op, Batch& batch, Event& event, std::vector<std::string_view>& keys,
             uint64_t& coerce_failures);

  std::vector<Op> ops_;
  std::vector<std::string> keys_;  // every field an operation writes, renames or changes
  prometheus::Counter* coerce_failures_ = nullptr;
};

}  // namespace logship
