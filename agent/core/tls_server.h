#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "agent/api/config.h"

namespace logship {

// `tls: {cert_file, key_file, ca_file, verify_client}` of a network source: the certificate it
// presents and, with verify_client, the CAs a client certificate must chain to (mutual TLS).
struct TlsServerConfig {
  std::string cert_file;
  std::string key_file;
  std::string ca_file;
  bool verify_client = false;

  static const OptionTable<TlsServerConfig>& options();
};

// A TLS 1.2+ server context for `config`; throws std::runtime_error naming the file it could not
// load, so that a source fails to start with a reason instead of refusing every handshake.
std::unique_ptr<boost::asio::ssl::context> makeTlsServerContext(const TlsServerConfig& config);

}  // namespace logship
