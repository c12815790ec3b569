#include "agent/core/tls_server.h"

#include <stdexcept>

namespace logship {

const OptionTable<TlsServerConfig>& TlsServerConfig::options() {
  static const OptionTable<TlsServerConfig> table = [] {
    OptionTable<TlsServerConfig> t;
    t.required("cert_file", &TlsServerConfig::cert_file, "Server certificate chain (PEM).")
        .required("key_file", &TlsServerConfig::key_file, "Server private key (PEM).")
        .optional("ca_file", &TlsServerConfig::ca_file,
                  "CAs (PEM) that client certificates must chain to.")
        .optional("verify_client", &TlsServerConfig::verify_client,
                  "Require a client certificate signed by ca_file (mutual TLS).")
        .check([](const TlsServerConfig& c, const ConfigNode& node, Diagnostics& diag) {
          if (c.verify_client && c.ca_file.empty()) {
            diag.error(node.location(), "'verify_client' needs 'ca_file'");
          }
        });
    return t;
  }();
  return table;
}

std::unique_ptr<boost::asio::ssl::context> makeTlsServerContext(const TlsServerConfig& config) {
  namespace ssl = boost::asio::ssl;
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use);
  boost::system::error_code ec;
  auto load = [&](const std::string& what, const std::string& file) {
    if (ec) throw std::runtime_error("tls: cannot load " + what + " " + file + ": " + ec.message());
  };
  context->use_certificate_chain_file(config.cert_file, ec);
  load("cert_file", config.cert_file);
  context->use_private_key_file(config.key_file, ssl::context::pem, ec);
  load("key_file", config.key_file);
  if (!config.ca_file.empty()) {
    context->load_verify_file(config.ca_file, ec);
    load("ca_file", config.ca_file);
  }
  if (config.verify_client) {
    context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return context;
}

}  // namespace logship
