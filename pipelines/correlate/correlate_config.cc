#include "pipelines/correlate/correlate_config.h"

#include "pipelines/correlate/correlate.h"

namespace logship {

const OptionTable<CorrelateConfig>& CorrelateConfig::options() {
  static const OptionTable<CorrelateConfig> table = [] {
    OptionTable<CorrelateConfig> t;
    t.optional("fields", &CorrelateConfig::fields,
               "Fields holding a correlation id, read in order; a W3C traceparent value gives its "
               "trace id.")
        .optional("trace_fields", &CorrelateConfig::trace_fields,
                  "Fields holding a trace id (32 hex digits), read in order, for `trace.id` when "
                  "the event has none; else a traceparent's trace id.")
        .optional("span_fields", &CorrelateConfig::span_fields,
                  "Fields holding a span id (16 hex digits), read in order, for `span.id` when "
                  "the event has none; else the parent id of the trace's traceparent.")
        .optional("traceparent", &CorrelateConfig::traceparent,
                  "Look for a W3C traceparent (00-<32 hex trace id>-<16 hex>-<2 hex>) in the "
                  "message.")
        .optional("patterns", &CorrelateConfig::patterns,
                  "RE2 patterns with one capture group, tried on the message in order; the group "
                  "is the id.")
        .optional("session_processes", &CorrelateConfig::session_processes,
                  "process.name prefix -> id prefix: lines of these processes without an id get "
                  "one from host.name and process.pid, shared by every line of one login.")
        .optional("generate", &CorrelateConfig::generate,
                  "Give the remaining events a fresh UUIDv7.")
        .optional("overwrite", &CorrelateConfig::overwrite,
                  "Replace a correlation id an earlier stage set.");
    return t;
  }();
  return table;
}

void registerCorrelate(Registry& registry) {
  registry.addTransform<CorrelateConfig, Correlate>(
      "correlate",
      "Sets correlation_id from trace context, request-id fields, patterns, sshd/PAM sessions or "
      "a new UUIDv7; keeps trace.id and span.id.");
}

}  // namespace logship
