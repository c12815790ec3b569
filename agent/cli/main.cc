// logship: the command line.
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "agent/cli/commands.h"
#include "agent/core/log.h"

namespace {

constexpr const char* kUsage = R"(logship - a log shipping agent

usage: logship <command> [options]

commands:
  run        run the pipeline (the embedded default when no -c is given)
  validate   check a pipeline file or directory and report every error
  status     show what a running agent reads and where it ships (from its admin server)
  tap        print events leaving a source or transform of the running agent, live
  test       run the unit tests of a pipeline configuration
  archive    verify the tamper-evident archive, or print its events
  report     compliance evidence for a period (archive, journal)
  reference  print the configuration reference of every component type
  convert    turn a Promtail, Filebeat or Fluent Bit configuration into a pipeline file

options:
  -c, --config PATH   pipeline file, or directory of *.yaml files merged into one graph
  --log-level LEVEL   debug | info | warn | error (default info)
  -h, --help          help for a command
  --version           print the version
)";

constexpr const char* kRunHelp = R"(usage: logship run [-c PATH] [--log-level LEVEL]

Runs the pipeline until SIGTERM or SIGINT. On the first signal logship stops reading, waits up to
shutdown_timeout (default 10s) for every output to acknowledge what was read, saves its state and
exits 0; a second signal exits at once. Without -c it runs the embedded default pipeline.
)";

constexpr const char* kValidateHelp = R"(usage: logship validate [-c PATH]

Loads and builds the whole pipeline without starting it. Prints every error as
file:line:column: message on stderr and exits 1 if there is any, 0 otherwise.
)";

constexpr const char* kStatusHelp =
    R"(usage: logship status [-c PATH] [--address HOST:PORT] [--token-file FILE] [--json]

Asks the running agent's admin server (the address from the pipeline's admin section, or
--address) for its state and prints every source's files with their read and acknowledged
offsets and lag, and every output's health and queued bytes. The Bearer token comes from the
pipeline's admin.auth.token_file, or --token-file; HTTPS is used when the admin section has tls.
)";

constexpr const char* kArchiveHelp = R"(usage: logship archive verify PATH|s3://BUCKET[/PREFIX] [--key-file FILE] [--anchors FILE]
                              [--endpoint URL] [--region REGION]
       logship archive cat PATH --tier TIER [--since TIME] [--until TIME] [--encryption-key-file FILE]

verify checks every tier's MANIFEST chain (and its HMAC with --key-file) and every segment's
size and SHA-256; it names each segment that was changed, removed, reordered or truncated and
exits 1 if any was. It reads a directory, or the bucket an archive's upload copies to (keys from
AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or --access-key-id-file and
--secret-access-key-file). --anchors FILE checks the chain against the anchors recorded in FILE
(any text holding the archive_anchors source's lines: NDJSON, a Kafka or Loki dump): history
rewritten or cut off since an anchor was taken is named. cat decompresses (and, with the
archive's --encryption-key-file, decrypts) a tier's segments in order and prints their events
(NDJSON), optionally only those with @timestamp between two RFC 3339 times.
)";

constexpr const char* kReportHelp =
    R"(usage: logship report [-c PATH] [--since TIME] [--until TIME] [--format json|html|markdown]

Compliance evidence for a period (default: the last 30 days), from the archive outputs' manifests
and the journal the agent keeps in data_dir: per tier the events and bytes archived, the oldest
and newest event, retention and what it deleted, legal holds; the chain verification of every
archive, locally and in its upload bucket; PII matches per rule; alerts per rule; per output the
events received, delivered, dropped and dead-lettered; the configurations loaded, with their
SHA-256. Exits 1 when an archive fails verification. The JSON schema is in the README.
)";

constexpr const char* kTapHelp =
    R"(usage: logship tap COMPONENT [--limit N] [--when CONDITION] [-c PATH] [--address HOST:PORT] [--token-file FILE]

Prints the events a source or transform of the running agent emits, as NDJSON, as they pass
(until N events, or until interrupted). --when takes a condition as in the pipeline files, e.g.
--when '{field: event.action, equals: ssh_failed_password}'. The token and TLS settings come
from the pipeline's admin section, as for status. When the component's events may not have
passed a scrub_pii, a notice says so on stderr.
)";

constexpr const char* kTestHelp = R"(usage: logship test TESTS.yaml [-c PIPELINE]

Runs pipeline unit tests without starting sources or outputs. TESTS.yaml:
  config: pipeline.yaml            # relative to TESTS.yaml (or -c, or the embedded default)
  tests:
    - name: a failed ssh login is an authentication failure
      input: {source: auth, lines: ["Jun 14 15:16:01 combo sshd[9]: Failed password ..."]}
      expect:
        component: parse             # the source or transform whose output is checked
        events:                      # one map per event it emits, in order (or count: N)
          - {event.action: ssh_failed_password, source.ip: 1.2.3.4, log.level: ~}
A value of ~ expects the field to be absent. Prints one line per test and exits 1 on a failure.
)";

constexpr const char* kReferenceHelp = R"(usage: logship reference

Prints the options of every source, transform and output type as Markdown.
)";

constexpr const char* kConvertHelp =
    R"(usage: logship convert --from promtail|filebeat|fluent-bit FILE [-o OUT]

Writes the logship pipeline that does what FILE (a promtail.yaml, a filebeat.yml, or a Fluent Bit
configuration in its YAML or classic format) does, to OUT or stdout; comments name the part of FILE
each component came from. Everything that could not be translated, or was translated with a
difference, is listed on stderr as file:line:column: why. Exits 0 when everything was translated,
1 when something was not, 2 when FILE cannot be read or parsed.
)";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version" || args[0] == "version") {
    std::cout << "logship " << LOGSHIP_VERSION << "\n";
    return 0;
  }
  std::string command = args[0];
  const char* help = command == "run"         ? kRunHelp
                     : command == "validate"  ? kValidateHelp
                     : command == "status"    ? kStatusHelp
                     : command == "archive"   ? kArchiveHelp
                     : command == "report"    ? kReportHelp
                     : command == "tap"       ? kTapHelp
                     : command == "test"      ? kTestHelp
                     : command == "reference" ? kReferenceHelp
                     : command == "convert"   ? kConvertHelp
                                              : nullptr;
  if (help == nullptr) {
    std::cerr << "logship: unknown command '" << command << "'\n\n" << kUsage;
    return 2;
  }
  logship::CommonOptions opts;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      std::cout << help;
      return 0;
    } else if ((a == "-c" || a == "--config") && i + 1 < args.size()) {
      opts.config_path = args[++i];
    } else if ((command == "archive" || command == "report" || command == "convert") &&
               a.starts_with("--") && i + 1 < args.size()) {
      opts.args.push_back(a.substr(2));  // their options are read by the command
      opts.args.push_back(args[++i]);
    } else if (command == "convert" && a == "-o" && i + 1 < args.size()) {
      opts.args.push_back("output");
      opts.args.push_back(args[++i]);
    } else if (a == "--address" && i + 1 < args.size()) {
      opts.address = args[++i];
    } else if (a == "--token-file" && i + 1 < args.size()) {
      opts.token_file = args[++i];
    } else if (a == "--limit" && i + 1 < args.size()) {
      opts.limit = std::strtoull(args[++i].c_str(), nullptr, 10);
    } else if (a == "--when" && i + 1 < args.size()) {
      opts.when = args[++i];
    } else if (a == "--json") {
      opts.json = true;
    } else if (a.starts_with("--config=")) {
      opts.config_path = a.substr(9);
    } else if (a == "--log-level" && i + 1 < args.size()) {
      std::string level = args[++i];
      using logship::LogLevel;
      if (level == "debug") {
        logship::setLogLevel(LogLevel::kDebug);
      } else if (level == "info") {
        logship::setLogLevel(LogLevel::kInfo);
      } else if (level == "warn") {
        logship::setLogLevel(LogLevel::kWarn);
      } else if (level == "error") {
        logship::setLogLevel(LogLevel::kError);
      } else {
        std::cerr << "logship: unknown log level '" << level << "'\n";
        return 2;
      }
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "logship " << command << ": unknown option '" << a << "'\n\n" << help;
      return 2;
    } else {
      opts.args.push_back(a);
    }
  }
  if (command == "run") return logship::runCommand(opts);
  if (command == "validate") return logship::validateCommand(opts);
  if (command == "status") return logship::statusCommand(opts);
  if (command == "archive") return logship::archiveCommand(opts);
  if (command == "report") return logship::reportCommand(opts);
  if (command == "tap") return logship::tapCommand(opts);
  if (command == "test") return logship::testCommand(opts);
  if (command == "convert") return logship::convertCommand(opts);
  return logship::referenceCommand(opts);
}
