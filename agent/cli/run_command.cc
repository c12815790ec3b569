// `logship run`: the agent's life: start, serve the admin endpoints, reload, drain on signals.
#include <malloc.h>
#include <signal.h>
#include <systemd/sd-daemon.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "agent/cli/builtin_components.h"
#include "agent/cli/commands.h"
#include "agent/core/admin_server.h"
#include "agent/core/journal.h"
#include "agent/core/log.h"
#include "agent/core/metrics.h"
#include "agent/support/digest.h"
#include "agent/support/files.h"
#include "agent/support/json_writer.h"
#include "agent/support/timestamp.h"
#include "agent/topology/topology.h"
#include "outputs/common/ndjson_encoder.h"
#include "pipelines/common/condition.h"

namespace logship {

namespace {

std::string queryParam(const std::string& query, const std::string& name) {
  std::string key = name + "=";
  for (size_t at = 0; at <= query.size();) {
    size_t end = query.find('&', at);
    if (end == std::string::npos) end = query.size();
    std::string_view part(query.data() + at, end - at);
    if (part.starts_with(key)) {
      std::string out;
      for (size_t i = key.size(); i < part.size(); ++i) {
        if (part[i] == '%' && i + 2 < part.size()) {
          out += static_cast<char>(
              std::strtol(std::string(part.substr(i + 1, 2)).c_str(), nullptr, 16));
          i += 2;
        } else {
          out += part[i] == '+' ? ' ' : part[i];
        }
      }
      return out;
    }
    at = end + 1;
  }
  return {};
}

// The admin server's settings from the configuration: the token is read from its file here, at
// start and at every reload (so that a rotated token takes effect with a reload).
bool adminSettingsOf(const AdminSettings& admin, AdminServer::Settings& settings,
                     std::string& error) {
  settings.address = admin.address;
  settings.metrics_public = admin.metrics_public;
  settings.tls_cert_file = admin.tls_cert_file;
  settings.tls_key_file = admin.tls_key_file;
  settings.token.clear();
  return admin.token_file.empty() ||
         readSecretFile(admin.token_file, SecretForm::kLine, settings.token, error);
}

// A condition in /tap's ?when= is compiled on the admin thread: bounded, so a client cannot make
// the agent parse megabytes of YAML.
constexpr size_t kMaxTapConditionBytes = 4096;

// How often the journal takes a snapshot of the counters (also at shutdown).
constexpr auto kJournalInterval = std::chrono::minutes(5);

// The journal is kept as long as the longest tier keeps its archive, and a year at least: a
// report covers what the archive holds.
int64_t journalKeepNs(const GlobalConfig& global) {
  Duration keep = std::chrono::hours(24 * 366);
  for (const TierSpec& t : global.tiers) keep = std::max(keep, t.retention);
  return keep.count();
}

void recordConfig(Journal& journal, const CommonOptions& opts, const char* reason) {
  if (opts.config_path.empty()) {
    journal.recordConfig(timestamp::nowNs(), "<embedded conf/default.yaml>",
                         sha256Hex(kDefaultConfigText), reason);
  } else {
    journal.recordConfig(timestamp::nowNs(), opts.config_path, configDigest(opts.config_path),
                         reason);
  }
}

// The running pipeline, swapped whole by a reload.
class RunningPipeline {
 public:
  RunningPipeline(const CommonOptions& opts, const Registry& registry, Metrics& metrics,
                  Journal& journal, std::unique_ptr<Topology> first)
      : opts_(opts),
        registry_(registry),
        metrics_(metrics),
        journal_(journal),
        topology_(std::move(first)) {}

  // The admin server whose token and metrics_public follow reloads.
  void setAdmin(AdminServer* admin) { admin_ = admin; }

  // `fn` with the running topology to itself (shutdown).
  template <class Fn>
  auto with(Fn fn) {
    std::unique_lock lock(mutex_);
    return fn(*topology_);
  }
  // `fn` with the running topology, beside other readers (the admin endpoints: a tap's long poll
  // must not hold up /readyz); a reload waits for them.
  template <class Fn>
  auto read(Fn fn) {
    std::shared_lock lock(mutex_);
    return fn(*topology_);
  }

  // Reads and validates the configuration again. An invalid one is refused and the running
  // pipeline goes on untouched. A valid one takes over in place: components whose options did not
  // change keep running, the others are replaced without losing or repeating a line (see
  // Topology::takeOver). A change to the global settings or the worker count restarts the whole
  // pipeline instead: the old one drains and saves its positions, the new one starts from them.
  bool reload(std::string* report) {
    Diagnostics diag;
    PipelineConfig config = loadConfig(opts_, diag);
    std::unique_ptr<Topology> next = Topology::build(std::move(config), registry_, diag);
    if (!next) {
      *report =
          "reload refused, the running pipeline goes on: " + std::to_string(diag.errors().size()) +
          " errors";
      for (const std::string& e : diag.errors()) *report += "\n  " + e;
      logWarn(*report);
      return false;
    }
    std::unique_lock lock(mutex_);
    sd_notify(0, "RELOADING=1");
    applyAdminSettings(next->config().global.admin);
    if (next->sameRuntime(*topology_)) {
      const std::string summary = next->takeOver(*topology_, metrics_);
      topology_ = std::move(next);
      recordConfig(journal_, opts_, "reload");
      if (summary.find("; failed to start") != std::string::npos) {
        // The new graph runs, but an output of it does not: its sources wait (nothing is lost,
        // /readyz says 503) until a reload that fixes it.
        *report = "reloaded, but not every output started (their sources wait until a reload "
                  "fixes them): " + summary;
        sd_notify(0, "READY=1\nSTATUS=an output failed to start");
        logError(*report);
        return false;
      }
      *report = "reloaded: " + summary;
      sd_notify(0, "READY=1\nSTATUS=shipping");
      logInfo(*report);
      return true;
    }
    topology_->shutdown(topology_->config().shutdown_timeout);
    try {
      next->start(metrics_);
    } catch (const std::exception& e) {
      // The new pipeline cannot start (a disk buffer cannot open...): bring the old one back.
      *report = std::string("reload failed, restarting the previous pipeline: ") + e.what();
      logError(*report);
      Diagnostics again;
      topology_ = Topology::build(topology_->config(), registry_, again);
      topology_->start(metrics_);
      sd_notify(0, "READY=1");
      return false;
    }
    topology_ = std::move(next);
    sd_notify(0, "READY=1\nSTATUS=shipping");
    *report = "reloaded (global settings changed, whole pipeline restarted): " +
              topology_->describeOutputs();
    logInfo(*report);
    recordConfig(journal_, opts_, "reload");
    return true;
  }

 private:
  void applyAdminSettings(const AdminSettings& next) {
    const AdminSettings& running = topology_->config().global.admin;
    if (next.address != running.address || next.enabled != running.enabled ||
        next.tls_cert_file != running.tls_cert_file || next.tls_key_file != running.tls_key_file) {
      logWarn("reload: a new admin address, enabled or tls setting takes effect after a restart");
    }
    if (admin_ == nullptr) return;
    AdminServer::Settings settings;
    std::string error;
    if (!adminSettingsOf(next, settings, error)) {
      logWarn("reload: the admin token is unchanged: " + error);
      return;
    }
    admin_->setAccess(std::move(settings.token), settings.metrics_public);
  }

  const CommonOptions& opts_;
  const Registry& registry_;
  Metrics& metrics_;
  Journal& journal_;
  std::shared_mutex mutex_;
  std::unique_ptr<Topology> topology_;
  AdminServer* admin_ = nullptr;
};

// Sources read into batch_bytes buffers (512 KiB) that another thread frees once the outputs
// are done. glibc's defaults give such memory back to the kernel (munmap, or madvise at the top
// of a thread's arena) and the next read faults it in page by page again: a fifth of a raw
// pipeline's CPU. Up to 64 MiB free per arena are kept instead; blocks of 16 MiB and more still
// come from mmap and go straight back.
void keepFreedBatchMemory() {
  mallopt(M_MMAP_THRESHOLD, 16 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

}  // namespace

int runCommand(const CommonOptions& opts) {
  // Signals are taken synchronously by this thread only; every other thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  keepFreedBatchMemory();

  Registry registry;
  registerBuiltinComponents(registry);
  std::unique_ptr<Topology> first = buildTopology(opts, registry);
  if (!first) return 1;
  const GlobalConfig global = first->config().global;

  std::error_code ec;
  std::filesystem::create_directories(global.data_dir, ec);
  if (ec) {
    std::cerr << "logship: cannot create data_dir " << global.data_dir << ": " << ec.message()
              << "\n";
    return 1;
  }

  Metrics metrics;
  try {
    first->start(metrics);
  } catch (const std::exception& e) {
    std::cerr << "logship: " << e.what() << "\n";
    first->shutdown(std::chrono::seconds(1));
    return 1;
  }
  std::string outputs = first->describeOutputs();
  Journal journal(global.data_dir + "/journal", metrics.registry());
  journal.prune(timestamp::nowNs(), journalKeepNs(global));
  recordConfig(journal, opts, "start");
  RunningPipeline pipeline(opts, registry, metrics, journal, std::move(first));

  std::unique_ptr<AdminServer> admin;
  if (global.admin.enabled) {
    using Access = AdminServer::Access;
    AdminServer::Settings settings;
    std::string error;
    if (!adminSettingsOf(global.admin, settings, error)) {
      std::cerr << "logship: admin: " << error << "\n";
      pipeline.with([](Topology& t) { return t.shutdown(std::chrono::seconds(1)); });
      return 1;
    }
    admin = std::make_unique<AdminServer>(std::move(settings), &metrics.registry());
    admin->route("/metrics", Access::kMetrics, [&metrics](const AdminServer::Request&) {
      return AdminServer::Response{200, "text/plain; version=0.0.4; charset=utf-8",
                                   metrics.render()};
    });
    admin->route("/healthz", Access::kProbe, [](const AdminServer::Request&) {
      return AdminServer::Response{200, "text/plain; charset=utf-8", "ok\n"};
    });
    admin->route("/readyz", Access::kProbe, [&pipeline](const AdminServer::Request&) {
      bool ready = pipeline.read([](Topology& t) { return t.ready(); });
      return AdminServer::Response{ready ? 200 : 503, "text/plain; charset=utf-8",
                                   ready ? "ready\n" : "not ready\n"};
    });
    admin->route("/status", Access::kControl, [&pipeline](const AdminServer::Request&) {
      return AdminServer::Response{200, "application/json", pipeline.read([](Topology& t) {
                                     return t.statusJson();
                                   }) + "\n"};
    });
    // Long poll: the events `component` emits during `timeout_ms`, or until `limit` of them. Each
    // holds an admin thread: a few at once leave threads for probes and scrapes.
    static constexpr int kMaxTaps = 2;
    static std::atomic<int> active_taps{0};
    admin->route("/tap", Access::kControl, [&pipeline](const AdminServer::Request& req) {
      std::string component = queryParam(req.query, "component");
      uint64_t limit = std::clamp<uint64_t>(
          std::strtoull(queryParam(req.query, "limit").c_str(), nullptr, 10), 1, 10000);
      std::string timeout_text = queryParam(req.query, "timeout_ms");
      auto timeout = std::chrono::milliseconds(std::clamp<int64_t>(
          timeout_text.empty() ? 1000 : std::atoll(timeout_text.c_str()), 1, 5000));
      std::string when = queryParam(req.query, "when");
      if (when.size() > kMaxTapConditionBytes) {
        return AdminServer::Response{
            413, "text/plain",
            "the condition is longer than " + std::to_string(kMaxTapConditionBytes) + " bytes\n"};
      }
      if (active_taps.fetch_add(1) >= kMaxTaps) {
        --active_taps;
        return AdminServer::Response{429, "text/plain",
                                     std::to_string(kMaxTaps) + " taps are open already\n"};
      }
      struct Release {
        std::atomic<int>& taps;
        ~Release() { --taps; }
      } release{active_taps};
      return pipeline.read([&](Topology& t) {
        const GlobalConfig& global = t.config().global;
        std::optional<Condition> condition;
        if (!when.empty()) {
          Diagnostics diag;
          try {
            ConfigNode node(YAML::Load(when), std::make_shared<const std::string>("--when"));
            condition = Condition::compile(node, tierNames(global), diag, &global.lists);
          } catch (const YAML::Exception& e) {
            diag.error(Location{}, e.what());
          }
          if (!condition || !diag.ok()) {
            std::string why = diag.errors().empty() ? "bad condition" : diag.errors()[0];
            return AdminServer::Response{400, "text/plain", why + "\n"};
          }
        }
        NdjsonEncoder encoder(global);
        std::mutex mutex;
        std::condition_variable done;
        std::string out;
        if (t.mayCarryUnscrubbedData(component)) {
          out = std::string(kTapNoticePrefix);
          json::appendString(out, "events of '" + component +
                                      "' have not all passed a scrub_pii: they may hold personal "
                                      "data and secrets in clear");
          out += "}\n";
        }
        uint64_t taken = 0;
        auto handle = t.tap(component, [&](const Batch& batch) {
          std::lock_guard lock(mutex);
          for (const Event& e : batch.events()) {
            if (taken >= limit) break;
            if (condition && !condition->matches(batch, e)) continue;
            encoder.encodeEvent(batch, e, out);
            ++taken;
          }
          if (taken >= limit) done.notify_one();
        });
        if (!handle) {
          return AdminServer::Response{404, "text/plain",
                                       "no source or transform '" + component + "'\n"};
        }
        {
          std::unique_lock lock(mutex);
          done.wait_for(lock, timeout, [&] { return taken >= limit; });
        }
        handle.reset();  // after the lock: a worker may be publishing into it
        return AdminServer::Response{200, "application/x-ndjson", std::move(out)};
      });
    });
    admin->route("/reload", Access::kControl, [&pipeline](const AdminServer::Request& req) {
      if (req.method != "POST") return AdminServer::Response{405, "text/plain", "use POST\n"};
      std::string report;
      bool ok = pipeline.reload(&report);
      return AdminServer::Response{ok ? 200 : 400, "text/plain; charset=utf-8", report + "\n"};
    });
    pipeline.setAdmin(admin.get());
    try {
      admin->start();
    } catch (const std::exception& e) {
      std::cerr << "logship: " << e.what() << "\n";
      pipeline.with([](Topology& t) { return t.shutdown(std::chrono::seconds(1)); });
      return 1;
    }
  }
  logInfo(std::string("logship ") + LOGSHIP_VERSION + " running " +
          (opts.config_path.empty() ? "the embedded default pipeline" : opts.config_path) +
          "; data_dir " + global.data_dir + "; " +
          std::to_string(pipeline.read([](Topology& t) { return t.workerCount(); })) + " workers" +
          (admin ? std::string(global.admin.tls_cert_file.empty() ? "; admin on http://"
                                                                  : "; admin on https://") +
                       global.admin.address.substr(0, global.admin.address.rfind(':')) + ":" +
                       std::to_string(admin->port())
                 : std::string()));
  logInfo(outputs);
  // Under systemd (Type=notify): ready now, and a watchdog ping at half of WatchdogSec.
  sd_notify(0, "READY=1\nSTATUS=shipping");
  uint64_t watchdog_usec = 0;
  bool watchdog = sd_watchdog_enabled(0, &watchdog_usec) > 0;
  auto last_ping = std::chrono::steady_clock::now();

  std::atomic<bool> shutting_down{false};
  std::atomic<bool> shutdown_done{false};
  std::thread drainer;
  auto beginShutdown = [&](const char* why) {
    if (shutting_down.exchange(true)) return;
    sd_notify(0, "STOPPING=1");
    drainer = std::thread([&, why] {
      pipeline.with([why](Topology& t) {
        logInfo(std::string(why) + ": draining (up to " +
                formatDuration(t.config().shutdown_timeout) + ")");
        return t.shutdown(t.config().shutdown_timeout);
      });
      shutdown_done = true;
    });
  };
  auto last_snapshot = std::chrono::steady_clock::now();
  while (!shutdown_done) {
    if (std::chrono::steady_clock::now() - last_snapshot >= kJournalInterval) {
      journal.snapshot(timestamp::nowNs());
      last_snapshot = std::chrono::steady_clock::now();
    }
    timespec tick{0, 100'000'000};
    int sig = sigtimedwait(&signals, nullptr, &tick);
    if (watchdog && std::chrono::steady_clock::now() - last_ping >=
                        std::chrono::microseconds(watchdog_usec / 2)) {
      sd_notify(0, "WATCHDOG=1");
      last_ping = std::chrono::steady_clock::now();
    }
    if (sig == SIGINT || sig == SIGTERM) {
      if (shutting_down) {
        logWarn("second signal: exiting now");
        std::_Exit(128 + sig);
      }
      beginShutdown(sig == SIGINT ? "SIGINT" : "SIGTERM");
    } else if (sig == SIGHUP && !shutting_down) {
      std::string report;
      pipeline.reload(&report);
    } else if (!shutting_down &&
               pipeline.read([](Topology& t) { return t.allSourcesFinished(); })) {
      beginShutdown("all sources finished");
    }
  }
  drainer.join();
  journal.snapshot(timestamp::nowNs());
  if (admin) admin->stop();
  logInfo("stopped");
  return 0;
}

}  // namespace logship
