#pragma once

#include <chrono>
#include <string>

#include "agent/api/config.h"
#include "agent/core/http_receiver.h"
#include "agent/core/listener.h"  // ServerTlsConfig, the `tls` option

namespace logship {

// `auth: {token_file}` of a source served by an HttpReceiver.
struct HttpReceiverAuthConfig {
  std::string token_file;
  static const OptionTable<HttpReceiverAuthConfig>& options();
};

// Options every source served by an HttpReceiver takes besides its address. Source config
// structs derive from this and call addHttpReceiverOptions() on their option table.
struct HttpReceiverOptions {
  ConfigNode tls;
  ConfigNode auth;
  ByteSize max_body_bytes{10u << 20};
  int64_t max_connections = 256;
  Duration idle_timeout = std::chrono::seconds(60);
  bool keep_alive = true;
};

// Checks the options of addHttpReceiverOptions(), tls and auth included.
void checkHttpReceiverOptions(const HttpReceiverOptions& options, const ConfigNode& node,
                              Diagnostics& diag);

template <class C>
void addHttpReceiverOptions(OptionTable<C>& t) {
  t.template optional<ConfigNode>("tls", &C::tls,
                                  "{cert_file, key_file, ca_file, verify_client: false}: serve "
                                  "HTTPS.")
      .template optional<ConfigNode>("auth", &C::auth,
                                     "{token_file}: requests need `Authorization: Bearer "
                                     "<token>` (401 without).")
      .template optional<ByteSize>("max_body_bytes", &C::max_body_bytes,
                                   "Largest body, also after Content-Encoding (gzip, deflate, "
                                   "zstd, snappy) is undone; larger ones are answered 413.")
      .template optional<int64_t>("max_connections", &C::max_connections,
                                  "Connections served at once; further clients wait to be "
                                  "accepted.")
      .template optional<Duration>("idle_timeout", &C::idle_timeout,
                                   "A connection silent this long (between or within requests) "
                                   "is closed.")
      .template optional<bool>("keep_alive", &C::keep_alive,
                               "Keep connections open for further requests.")
      .check([](const C& c, const ConfigNode& node, Diagnostics& diag) {
        checkHttpReceiverOptions(c, node, diag);
      });
}

// The receiver's settings from checked options (name, address and token aside), and the file
// the token is read from at start ("" for none).
HttpReceiverSettings httpReceiverSettings(const HttpReceiverOptions& options,
                                          std::string* token_file);

}  // namespace logship
