#include "agent/cli/commands.h"

#include <signal.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <thread>

#include "agent/cli/builtin_components.h"
#include "agent/core/admin_server.h"
#include "agent/core/log.h"
#include "agent/core/metrics.h"
#include "agent/topology/topology.h"

namespace logship {

PipelineConfig loadConfig(const CommonOptions& opts, Diagnostics& diag) {
  PipelineConfig config =
      opts.config_path.empty()
          ? parsePipelineConfig(kDefaultConfigText, "<embedded conf/default.yaml>", diag)
          : loadPipelineConfig(opts.config_path, diag);
  if (const char* name = std::getenv("LOGSHIP_HOST_NAME"); name && *name) {
    config.global.host_name = name;
  } else {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    config.global.host_name = host;
  }
  return config;
}

void printDiagnostics(const Diagnostics& diag) {
  for (const std::string& w : diag.warnings()) std::cerr << "warning: " << w << "\n";
  for (const std::string& e : diag.errors()) std::cerr << e << "\n";
}

namespace {

std::unique_ptr<Topology> buildTopology(const CommonOptions& opts, Registry& registry) {
  Diagnostics diag;
  PipelineConfig config = loadConfig(opts, diag);
  // Built even after load errors, so one run reports every problem.
  std::unique_ptr<Topology> topology = Topology::build(std::move(config), registry, diag);
  printDiagnostics(diag);
  if (!diag.ok()) {
    std::cerr << diag.errors().size() << (diag.errors().size() == 1 ? " error" : " errors")
              << " in the configuration\n";
    return nullptr;
  }
  return topology;
}

}  // namespace

int validateCommand(const CommonOptions& opts) {
  Registry registry;
  registerBuiltinComponents(registry);
  auto topology = buildTopology(opts, registry);
  if (!topology) return 1;
  std::cout << "configuration is valid: " << topology->config().components.size()
            << " components\n";
  return 0;
}

int referenceCommand(const CommonOptions&) {
  Registry registry;
  registerBuiltinComponents(registry);
  for (ComponentKind kind :
       {ComponentKind::kSource, ComponentKind::kTransform, ComponentKind::kOutput}) {
    std::cout << "## " << toString(kind) << "s\n\n";
    for (const ComponentFactory* f : registry.all()) {
      if (f->kind != kind) continue;
      std::cout << "### `" << f->type << "`\n\n" << f->summary << "\n\n";
      if (f->options.empty()) {
        std::cout << "No options.\n\n";
        continue;
      }
      std::cout << "| option | type | default | description |\n|---|---|---|---|\n";
      for (const OptionDoc& o : f->options) {
        std::cout << "| `" << o.key << "` | " << o.type << " | "
                  << (o.required ? "required" : o.default_value) << " | " << o.doc << " |\n";
      }
      std::cout << "\n";
    }
  }
  return 0;
}

int runCommand(const CommonOptions& opts) {
  // Signals are taken synchronously by this thread only; every other thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  Registry registry;
  registerBuiltinComponents(registry);
  auto topology = buildTopology(opts, registry);
  if (!topology) return 1;
  const GlobalConfig& global = topology->config().global;

  std::error_code ec;
  std::filesystem::create_directories(global.data_dir, ec);
  if (ec) {
    std::cerr << "logship: cannot create data_dir " << global.data_dir << ": " << ec.message()
              << "\n";
    return 1;
  }

  Metrics metrics;
  std::unique_ptr<AdminServer> admin;
  Topology* running = topology.get();
  if (global.admin_enabled) {
    admin = std::make_unique<AdminServer>(global.admin_address);
    admin->route("/metrics", [&metrics](const AdminServer::Request&) {
      return AdminServer::Response{200, "text/plain; version=0.0.4; charset=utf-8",
                                   metrics.render()};
    });
    admin->route("/healthz", [](const AdminServer::Request&) {
      return AdminServer::Response{200, "text/plain; charset=utf-8", "ok\n"};
    });
    admin->route("/readyz", [running](const AdminServer::Request&) {
      bool ready = running->ready();
      return AdminServer::Response{ready ? 200 : 503, "text/plain; charset=utf-8",
                                   ready ? "ready\n" : "not ready\n"};
    });
    admin->route("/status", [running](const AdminServer::Request&) {
      return AdminServer::Response{200, "application/json", running->statusJson() + "\n"};
    });
    try {
      admin->start();
    } catch (const std::exception& e) {
      std::cerr << "logship: " << e.what() << "\n";
      return 1;
    }
  }

  try {
    topology->start(metrics);
  } catch (const std::exception& e) {
    std::cerr << "logship: " << e.what() << "\n";
    topology->shutdown(std::chrono::seconds(1));
    return 1;
  }
  logInfo(std::string("logship ") + LOGSHIP_VERSION + " running " +
          (opts.config_path.empty() ? "the embedded default pipeline" : opts.config_path) +
          "; data_dir " + global.data_dir +
          (admin ? "; admin on http://" + global.admin_address.substr(
                                              0, global.admin_address.rfind(':')) +
                       ":" + std::to_string(admin->port())
                 : std::string()));
  logInfo(topology->describeOutputs());
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
    logInfo(std::string(why) + ": draining (up to " +
            formatDuration(topology->config().shutdown_timeout) + ")");
    drainer = std::thread([&] {
      topology->shutdown(topology->config().shutdown_timeout);
      shutdown_done = true;
    });
  };
  while (!shutdown_done) {
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
    } else if (sig == SIGHUP) {
      logInfo("SIGHUP: configuration reload is not available in this build; ignoring");
    } else if (!shutting_down && topology->allSourcesFinished()) {
      beginShutdown("all sources finished");
    }
  }
  drainer.join();
  if (admin) admin->stop();
  logInfo("stopped");
  return 0;
}

}  // namespace logship
