#include "agent/sources/file/file_config.h"

#include "agent/sources/file/file_source.h"
#include "agent/sources/file/line_assembler.h"

namespace logship {

const OptionTable<FileSourceConfig>& FileSourceConfig::options() {
  static const OptionTable<FileSourceConfig> table = [] {
    OptionTable<FileSourceConfig> t;
    t.required("include", &FileSourceConfig::include,
               "Glob patterns of files to read, e.g. [/var/log/auth.log*].")
        .optional("exclude", &FileSourceConfig::exclude,
                  "Glob patterns matched against the full path of files to skip, e.g. [\"*.gz\"].")
        .oneOf("start_at", &FileSourceConfig::start_at, {"beginning", "end"},
               "Where to start in a file never seen before.")
        .optional("max_line_bytes", &FileSourceConfig::max_line_bytes,
                  "Longer lines are truncated to this size, flagged and counted.")
        .optional("batch_bytes", &FileSourceConfig::batch_bytes,
                  "Bytes read from one file into one batch at most.")
        .optional("poll_interval", &FileSourceConfig::poll_interval,
                  "How often files at their end are checked for new data without inotify (with "
                  "inotify, a safety sweep runs every 5s or this interval, whichever is longer).")
        .optional("glob_interval", &FileSourceConfig::glob_interval,
                  "How often the include patterns are expanded again to find new files.")
        .optional("idle_flush", &FileSourceConfig::idle_flush,
                  "A last line without a newline is shipped after this long without growth.")
        .optional("fingerprint_bytes", &FileSourceConfig::fingerprint_bytes,
                  "Bytes at the start of a file hashed, with device and inode, into its identity.")
        .optional("checkpoint_interval", &FileSourceConfig::checkpoint_interval,
                  "How often acknowledged positions are saved under data_dir (also at shutdown).")
        .optional("rotate_wait", &FileSourceConfig::rotate_wait,
                  "How long a deleted or rotated-away file is kept open after its end was read.")
        .optional("copy_wait", &FileSourceConfig::copy_wait,
                  "How long a new file that starts like a watched one (or so far holds only its "
                  "start, or nothing) waits to be recognised as its copytruncate copy before it "
                  "is read as a file of its own.")
        .oneOf("format", &FileSourceConfig::format, {"lines", "cri"},
               "lines: one event per line; cri: container runtime lines (Kubernetes), partial "
               "lines joined, pod metadata taken from /var/log/pods/ paths.")
        .optional("multiline", &FileSourceConfig::multiline,
                  "Join lines into one event: {start: RE2 | continue: RE2, timeout: 1s, "
                  "max_lines: 500, max_bytes: 1MiB}.")
        .check([](const FileSourceConfig& c, const ConfigNode& node, Diagnostics& diag) {
          if (c.multiline.defined()) {
            MultilineConfig m;
            readMultiline(c.multiline, m, diag);
          }
          if (c.include.empty()) diag.error(node["include"].location(), "include is empty");
          for (const std::string& p : c.include) {
            if (p.empty() || p.front() != '/') {
              diag.error(node["include"].location(),
                         "include pattern '" + p + "' must be an absolute path");
            }
          }
          if (c.max_line_bytes.bytes < 16) {
            diag.error(node["max_line_bytes"].location(), "max_line_bytes must be at least 16");
          }
          if (c.fingerprint_bytes.bytes < 16 || c.fingerprint_bytes.bytes > 65536) {
            diag.error(node["fingerprint_bytes"].location(),
                       "fingerprint_bytes must be between 16 and 65536");
          }
          if (c.batch_bytes.bytes < 4096) {
            diag.error(node["batch_bytes"].location(), "batch_bytes must be at least 4KiB");
          }
        });
    return t;
  }();
  return table;
}

void registerFileSource(Registry& registry) {
  registry.addSource<FileSourceConfig, FileSource>(
      "file", "Reads lines from files matched by globs and follows them as they grow.");
}

}  // namespace logship
