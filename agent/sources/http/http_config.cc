#include "agent/sources/http/http_config.h"

#include "agent/sources/http/http_source.h"

namespace logship {

const OptionTable<HttpSourceTlsConfig>& HttpSourceTlsConfig::options() {
  static const OptionTable<HttpSourceTlsConfig> table = [] {
    OptionTable<HttpSourceTlsConfig> t;
    t.required("cert_file", &HttpSourceTlsConfig::cert_file, "Certificate chain (PEM).")
        .required("key_file", &HttpSourceTlsConfig::key_file, "Private key (PEM).")
        .optional("ca_file", &HttpSourceTlsConfig::ca_file,
                  "CAs (PEM) that sign client certificates.")
        .optional("verify_client", &HttpSourceTlsConfig::verify_client,
                  "Require a client certificate signed by a CA of ca_file.")
        .check([](const HttpSourceTlsConfig& c, const ConfigNode& node, Diagnostics& diag) {
          if (c.verify_client && c.ca_file.empty()) {
            diag.error(node.location(), "verify_client needs 'ca_file'");
          }
        });
    return t;
  }();
  return table;
}

const OptionTable<HttpSourceAuthConfig>& HttpSourceAuthConfig::options() {
  static const OptionTable<HttpSourceAuthConfig> table = [] {
    OptionTable<HttpSourceAuthConfig> t;
    t.required("token_file", &HttpSourceAuthConfig::token_file,
               "File holding the bearer token clients must send.");
    return t;
  }();
  return table;
}

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
               "JSON object is kept as its message, flagged and counted.")
        .optional("tls", &HttpSourceConfig::tls,
                  "{cert_file, key_file, ca_file, verify_client: false}: serve HTTPS.")
        .optional("auth", &HttpSourceConfig::auth,
                  "{token_file}: requests need `Authorization: Bearer <token>` (401 without).")
        .optional("max_body_bytes", &HttpSourceConfig::max_body_bytes,
                  "Largest body, also after Content-Encoding (gzip, deflate, zstd, snappy) is "
                  "undone; larger ones are answered 413.")
        .optional("max_connections", &HttpSourceConfig::max_connections,
                  "Connections served at once; further clients wait to be accepted.")
        .optional("idle_timeout", &HttpSourceConfig::idle_timeout,
                  "A connection silent this long (between or within requests) is closed.")
        .optional("keep_alive", &HttpSourceConfig::keep_alive,
                  "Keep connections open for further requests.")
        .optional("label_fields", &HttpSourceConfig::label_fields,
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
          if (c.max_body_bytes.bytes < 1) {
            diag.error(node["max_body_bytes"].location(), "max_body_bytes must be positive");
          }
          if (c.max_connections < 1) {
            diag.error(node["max_connections"].location(), "max_connections must be at least 1");
          }
          if (c.idle_timeout.count() <= 0) {
            diag.error(node["idle_timeout"].location(), "idle_timeout must be positive");
          }
          if (c.tls.defined()) HttpSourceTlsConfig::options().parse(c.tls, diag, {});
          if (c.auth.defined()) HttpSourceAuthConfig::options().parse(c.auth, diag, {});
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
