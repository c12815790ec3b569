#include "agent/support/files.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace logship {

std::optional<std::string> readWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return std::move(text).str();
}

bool readSecretFile(const std::string& path, SecretForm form, std::string& secret,
                    std::string& error) {
  std::optional<std::string> text = readWholeFile(path);
  if (!text) {
    error = "cannot read secret file " + path + ": " + std::strerror(errno);
    return false;
  }
  secret = std::move(*text);
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) {
    error = "secret file " + path + " is empty";
    return false;
  }
  if (form == SecretForm::kLine && secret.find_first_of("\r\n") != std::string::npos) {
    error = "secret file " + path + " holds more than one line";
    secret.clear();
    return false;
  }
  return true;
}

}  // namespace logship
