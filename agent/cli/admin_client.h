#pragma once

#include <string>
#include <string_view>

namespace logship {

struct CommonOptions;

// Where a running agent's admin server is and how to reach its control endpoints.
struct AdminEndpoint {
  std::string address;      // host:port
  std::string token;        // the Bearer token, "" for none
  std::string tls_ca_file;  // "": plain HTTP; else HTTPS, trusting this certificate
};

// The admin endpoint of the pipeline `opts` names (its admin section: address, token file, TLS
// certificate), with --address and --token-file applied. False after printing why not.
bool adminEndpointFor(const CommonOptions& opts, AdminEndpoint& endpoint);

struct AdminReply {
  int status = 0;
  std::string body;
};

// `method` `target` on the admin server; throws std::exception when nothing answers.
AdminReply adminRequest(const AdminEndpoint& endpoint, std::string_view method,
                        const std::string& target);
std::string urlEncode(std::string_view text);

}  // namespace logship
