#include "pipelines/scrub_pii/scrub_pii_config.h"

#include "pipelines/scrub_pii/scrub_pii.h"

namespace logship {

const OptionTable<ScrubPiiConfig>& ScrubPiiConfig::options() {
  static const OptionTable<ScrubPiiConfig> table = [] {
    OptionTable<ScrubPiiConfig> t;
    t.optional("rules", &ScrubPiiConfig::rules,
               "Rules to apply: built-in names (email, ipv4, ipv6, card, ssn, phone, jwt, secret) "
               "or {name, pattern (RE2; group 1 is replaced when present), action}. Default: "
               "every built-in.")
        .oneOf("action", &ScrubPiiConfig::action, {"redact", "mask", "hash", "keep"},
               "What rules without their own action do: redact to [REDACTED:rule], mask (keep "
               "a little, e.g. the last 4 card digits or the /24), hash (HMAC-SHA256, stable "
               "across hosts and restarts) or keep (count only).")
        .optional("key_file", &ScrubPiiConfig::key_file,
                  "File holding the HMAC key (its bytes, trailing newline removed); required by "
                  "hash.")
        .optional("fields", &ScrubPiiConfig::fields,
                  "Narrows the scan to these fields, besides message and event.original (the raw "
                  "line a parser keeps); a name covers the fields under it ([user] covers "
                  "user.phone). Default: every string value of the event, at any depth, arrays "
                  "and the batch's shared fields (host.name, log.file.path) included.")
        .optional("exclude_fields", &ScrubPiiConfig::exclude_fields,
                  "Fields never scanned, each with the fields under it, e.g. [trace.id].")
        .optional("secret_keys", &ScrubPiiConfig::secret_keys,
                  "With the secret rule: a value under a key one of whose segments ends with one "
                  "of these names (any case, '_' and '-' ignored: db_password, X-Api-Key, "
                  "accessToken) is replaced whole, whatever its shape, by the secret rule's "
                  "action, as a field and in key=value, key: value and \"key\": \"value\" text. A "
                  "list replaces the default one; [] turns this off.")
        .optional("hash_length", &ScrubPiiConfig::hash_length,
                  "Hex characters of the HMAC kept in hashed values (8-64).")
        .check([](const ScrubPiiConfig& c, const ConfigNode& node, Diagnostics& diag) {
          ScrubPii::scrubberOptions(c, node, diag);
        });
    return t;
  }();
  return table;
}

void registerScrubPii(Registry& registry) {
  registry.addTransform<ScrubPiiConfig, ScrubPii>(
      "scrub_pii", "Redacts, masks or hashes personal data and secrets in events.");
}

}  // namespace logship
