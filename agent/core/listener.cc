#include "agent/core/listener.h"

#include <boost/system/error_code.hpp>

namespace logship {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::string hostOfAddress(std::string_view address) {
  const size_t colon = address.rfind(':');
  std::string host(address.substr(0, colon == std::string_view::npos ? address.size() : colon));
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  return host;
}

bool parseListenAddress(const std::string& address, asio::ip::address* ip, uint16_t* port,
                        std::string* error) {
  const size_t colon = address.rfind(':');
  boost::system::error_code ec;
  *ip = asio::ip::make_address(hostOfAddress(address), ec);
  const std::string port_text = colon == std::string::npos ? "" : address.substr(colon + 1);
  unsigned long number = 0;
  const bool port_ok = !port_text.empty() && port_text.size() <= 5 &&
                       port_text.find_first_not_of("0123456789") == std::string::npos &&
                       (number = std::stoul(port_text)) <= 65535;
  if (ec || !port_ok) {
    *error = "address '" + address + "' must be IP:port";
    return false;
  }
  *port = static_cast<uint16_t>(number);
  return true;
}

bool listenOn(tcp::acceptor& acceptor, const std::string& address, std::string* error) {
  asio::ip::address ip;
  uint16_t port = 0;
  if (!parseListenAddress(address, &ip, &port, error)) return false;
  boost::system::error_code ec;
  const tcp::endpoint endpoint(ip, port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    *error = "cannot listen on " + address + ": " + ec.message();
    boost::system::error_code ignored;
    acceptor.close(ignored);
    return false;
  }
  return true;
}

const OptionTable<ServerTlsConfig>& ServerTlsConfig::options() {
  static const OptionTable<ServerTlsConfig> table = [] {
    OptionTable<ServerTlsConfig> t;
    t.required("cert_file", &ServerTlsConfig::cert_file, "Certificate chain (PEM).")
        .required("key_file", &ServerTlsConfig::key_file, "Private key (PEM).")
        .optional("ca_file", &ServerTlsConfig::ca_file, "CAs (PEM) that sign client certificates.")
        .optional("verify_client", &ServerTlsConfig::verify_client,
                  "Require a client certificate signed by a CA of ca_file.")
        .check([](const ServerTlsConfig& c, const ConfigNode& node, Diagnostics& diag) {
          if (c.verify_client && c.ca_file.empty()) {
            diag.error(node.location(), "verify_client needs 'ca_file'");
          }
        });
    return t;
  }();
  return table;
}

bool loadServerTls(ssl::context& context, const ServerTlsConfig& files, std::string* error) {
  context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  std::string file = files.cert_file;
  context.use_certificate_chain_file(file, ec);
  if (!ec) context.use_private_key_file(file = files.key_file, ssl::context::pem, ec);
  if (!ec && !files.ca_file.empty()) context.load_verify_file(file = files.ca_file, ec);
  if (ec) {
    *error = "cannot load " + file + ": " + ec.message();
    return false;
  }
  if (files.verify_client) {
    context.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return true;
}

}  // namespace logship
