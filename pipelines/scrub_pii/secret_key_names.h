#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace logship::scrub_pii {

// Field keys that name a secret. scrub_pii replaces a value under such a key whole, whatever its
// shape: "hunter2" under `password` has nothing a pattern could recognise.
class SecretKeyNames {
 public:
  // password, passwd, pwd, passphrase, secret (client_secret...), token (access_token...),
  // api_key (x-api-key...), access_key, secret_key, private_key, authorization, cookie, session,
  // session_id, credentials, mnemonic, seed.
  static const std::vector<std::string>& defaults();

  explicit SecretKeyNames(const std::vector<std::string>& names);

  // The name a segment of the dotted `key` ends with, compared in lower case with '_' and '-'
  // left out, so that `db_password`, `X-Api-Key`, `accessToken` and `user.password.new` all
  // match; empty when none does. Any segment counts: under `password: {old, new}` both values
  // are the secret.
  std::string_view match(std::string_view key) const;

  bool empty() const { return names_.empty(); }

 private:
  static constexpr size_t kMaxName = 32;
  std::vector<std::string> names_;     // normalised
  std::vector<std::string> reversed_;  // normalised, reversed: compared to a segment's end
  std::array<bool, 256> last_byte_{};  // normalised last bytes of the names
};

}  // namespace logship::scrub_pii
