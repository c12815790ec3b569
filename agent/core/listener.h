#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <string>
#include <string_view>

#include "agent/api/config.h"

namespace logship {

// The host of "host:port" or "[v6]:port", without brackets.
std::string hostOfAddress(std::string_view address);

// "IP:port" or "[v6]:port" as an address and a port; false, with `error` naming the address,
// when it is malformed.
bool parseListenAddress(const std::string& address, boost::asio::ip::address* ip, uint16_t* port,
                        std::string* error);

// Opens, binds and listens `acceptor` on `address` ("IP:port", "[v6]:port"; port 0 picks a free
// one). False, with `error` naming the address, when the address is malformed or taken.
bool listenOn(boost::asio::ip::tcp::acceptor& acceptor, const std::string& address,
              std::string* error);

// A server's TLS settings, `tls: {cert_file, key_file, ca_file, verify_client}` of every network
// source: certificate chain and key (PEM), and with verify_client, clients must present a
// certificate signed by a CA of ca_file (mutual TLS).
struct ServerTlsConfig {
  std::string cert_file;
  std::string key_file;
  std::string ca_file;
  bool verify_client = false;

  static const OptionTable<ServerTlsConfig>& options();
};

// Loads `config` into `context` (TLS 1.2 and later); false with `error` naming the file.
bool loadServerTls(boost::asio::ssl::context& context, const ServerTlsConfig& config,
                   std::string* error);

}  // namespace logship
