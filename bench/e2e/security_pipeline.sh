# The security pipeline of compare.sh's security and security-full scenarios, as YAML pieces, for
# the scripts that build it (sourced, not run). Each piece is indented for a top-level section.
# shellcheck shell=bash
# shellcheck disable=SC2034  # used by the scripts that source this

sec_tiers="tiers: {audit: {retention: 7y}, security: {retention: 2y}, app: {retention: 30d}}"

# security-full's parsers and scrubber: the auth log and the JSON app events (sources `auth` and
# `app`), each by its parser, then every scrub rule kind.
sec_parse="  parse_auth: {type: parse_auth, inputs: [auth]}
  parse_json: {type: parse_json, inputs: [app]}"
sec_scrub="  scrub:
    type: scrub_pii
    inputs: [parse_auth, parse_json]
    rules: [email, ipv4, ipv6, card, ssn, phone, jwt, secret]
    action: redact"

# What follows scrub_pii (a transform named `scrub`), ending in `tier`.
sec_after_scrub="  severity: {type: tag_severity, inputs: [scrub]}
  corr: {type: correlate, inputs: [severity]}
  tier:
    type: classify_tier
    inputs: [corr]
    rules:
      - {tier: audit, when: {field: event.category, in: [authentication, iam, session]}}
      - {tier: security, when: {field: log.level, in: [critical, high]}}
    default: app"
