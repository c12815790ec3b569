#include "agent/sources/http/http_config.h"

#include "agent/sources/http/http_source.h"

namespace logship {

const OptionTable<HttpSourceConfig>& HttpSourceConfig::options() {
  static const OptionTable<HttpSourceConfig> table = [] {
    OptionTable<HttpSourceConfig> t;
    t.required("address", &HttpSourceConfig::address,
               "IP:port to listen on (0.0.0.0:8080, [::]:3100).")
        .optional("path", &HttpSourceConfig::path,
                  "The path plain data is POSTed to; empty accepts every path. Loki's push API "
                  "is served at /loki/api/v1/push as well.")
        .oneOf("format", &HttpSourceConfig::format, {"auto", "ndjson", "json", "text"},
               "How plain bodies are read. auto: by Content-Type (application/x-ndjson: one "
               "JSON object a line; application/json: an object or an array of objects; "
               "text/plain or none: one event a line, the line its message; others 415). JSON "
               "members become fields as the kafka source restores them; a line that is no "
               "JSON object is kept as its message, flagged and counted.");
    addHttpReceiverOptions(t);
    t.optional("label_fields", &HttpSourceConfig::label_fields,
               "Loki label -> field it becomes (`{host: host.name, level: log.level}`, the "
               "loki output's `labels` turned around); other labels become `labels.<name>`.")
        .oneOf("loki_line_format", &HttpSourceConfig::loki_line_format, {"message", "json"},
               "A Loki entry's line: the message as it is, or (json, as the loki output's "
               "line_format: json writes it) a JSON object whose members become fields.")
        .check([](const HttpSourceConfig& c, const ConfigNode& node, Diagnostics& diag) {
          if (c.path == kLokiPushPath) {
            diag.error(node["path"].location(), "the Loki push path is served already");
          } else if (!c.path.empty() && c.path.front() != '/') {
            diag.error(node["path"].location(), "path must start with /");
          }
        });
    return t;
  }();
  return table;
}

void registerHttpSource(Registry& registry) {
  registry.addSource<HttpSourceConfig, HttpSource>(
      "http",
      "Receives logs POSTed as NDJSON, JSON or text lines, and Loki pushes (protobuf or JSON). A "
      "request is answered 2xx only once every output delivered its events or synced them to a "
      "disk buffer; 503 with Retry-After when an output failed them, 429 while an output is "
      "full: send those again.");
}

}  // namespace logship
