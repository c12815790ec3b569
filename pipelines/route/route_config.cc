#include "pipelines/route/route_config.h"

#include "pipelines/route/route.h"

namespace logship {

const OptionTable<RouteConfig>& RouteConfig::options() {
  static const OptionTable<RouteConfig> table = [] {
    OptionTable<RouteConfig> t;
    t.required("routes", &RouteConfig::routes,
               "Map of output name -> condition ({when: ...} or the condition itself). Read an "
               "output as <id>.<name>; events no route matched go to <id>._unmatched. An event "
               "goes to every route it matches.");
    return t;
  }();
  return table;
}

void registerRoute(Registry& registry) {
  registry.addTransform<RouteConfig, Route>(
      "route", "Sends events to named outputs by condition; each event to every matching one.");
}

}  // namespace logship
