#include "outputs/http/http_output_config.h"

#include "outputs/http/http_output.h"

namespace logship {

const OptionTable<GenericHttpConfig>& GenericHttpConfig::options() {
  static const OptionTable<GenericHttpConfig> table = [] {
    OptionTable<GenericHttpConfig> t;
    addHttpOptions(t);
    t.oneOf("encoding", &GenericHttpConfig::encoding, {"ndjson", "json"},
            "ndjson: one event object a line (application/x-ndjson); json: one JSON array of "
            "them (application/json). Objects as the file output writes them.")
        .oneOf("method", &GenericHttpConfig::method, {"POST", "PUT"}, "Request method.");
    return t;
  }();
  return table;
}

void registerHttpOutput(Registry& registry) {
  registry.addOutput<GenericHttpConfig, GenericHttpOutput>(
      "http",
      "Sends batches of events to one URL (the endpoint, path and query included) as NDJSON or "
      "a JSON array; compression auto means none.");
}

}  // namespace logship
