#pragma once

#include <string>
#include <vector>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "pipelines/common/condition.h"
#include "pipelines/route/route_config.h"

namespace logship {

// Splits a batch by condition into named outputs (`<id>.<route>`), plus `<id>._unmatched`. One
// output takes the original batch (its events filtered in place); every other output gets a copy
// of its events carrying a fork of the batch's ack token, so the source's checkpoint passes the
// batch only after every copy was delivered.
class Route final : public Transform {
 public:
  static constexpr std::string_view kUnmatched = "_unmatched";

  Route(RouteConfig config, BuildContext& ctx);
  void process(Batch& batch, Emitter& out) override;
  std::vector<std::string> ports() const override;

 private:
  struct Target {
    std::string name;
    Condition when;
  };
  std::vector<Target> routes_;
};

}  // namespace logship
