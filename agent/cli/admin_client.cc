#include "agent/cli/admin_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/support/files.h"

namespace logship {

namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

bool adminEndpointFor(const CommonOptions& opts, AdminEndpoint& endpoint) {
  Diagnostics diag;
  PipelineConfig config = loadConfig(opts, diag);
  // Without -c and with --address, the embedded default's admin section is only a fallback.
  if (!diag.ok() && !(opts.config_path.empty() && !opts.address.empty())) {
    printDiagnostics(diag);
    return false;
  }
  const AdminSettings& admin = config.global.admin;
  endpoint.address = opts.address.empty() ? admin.address : opts.address;
  endpoint.tls_ca_file = admin.tls_cert_file;
  const std::string& token_file = opts.token_file.empty() ? admin.token_file : opts.token_file;
  if (!token_file.empty()) {
    std::string error;
    if (!readSecretFile(token_file, SecretForm::kLine, endpoint.token, error)) {
      std::cerr << "logship: " << error << "\n";
      return false;
    }
  }
  return true;
}

namespace {

template <class Stream>
AdminReply exchange(Stream& stream, std::string_view method, const std::string& target,
                    const AdminEndpoint& endpoint, const std::string& host) {
  http::request<http::string_body> req{
      http::string_to_verb(beast::string_view(method.data(), method.size())), target, 11};
  req.set(http::field::host, host);
  if (!endpoint.token.empty()) req.set(http::field::authorization, "Bearer " + endpoint.token);
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  return AdminReply{static_cast<int>(res.result_int()), res.body()};
}

}  // namespace

AdminReply adminRequest(const AdminEndpoint& endpoint, std::string_view method,
                        const std::string& target) {
  const size_t colon = endpoint.address.rfind(':');
  std::string host = endpoint.address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  const std::string port = endpoint.address.substr(colon + 1);
  boost::asio::io_context io;
  beast::tcp_stream tcp_stream(io);
  tcp_stream.expires_after(std::chrono::seconds(30));
  tcp_stream.connect(tcp::resolver(io).resolve(host, port));
  if (endpoint.tls_ca_file.empty()) return exchange(tcp_stream, method, target, endpoint, host);
  // The agent's own certificate is the trust anchor: it names the agent whatever address it is
  // reached by, so the host name is not checked against it.
  ssl::context context(ssl::context::tls_client);
  context.load_verify_file(endpoint.tls_ca_file);
  context.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), context);
  stream.handshake(ssl::stream_base::client);
  return exchange(stream, method, target, endpoint, host);
}

std::string urlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace logship
