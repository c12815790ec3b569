#pragma once

#include <string>

namespace logship {

struct AdminReply {
  int status = 0;
  std::string body;
};

// GET http://<address><target> from a running agent's admin server; throws std::exception when
// nothing answers.
AdminReply adminGet(const std::string& address, const std::string& target);
std::string urlEncode(std::string_view text);

}  // namespace logship
