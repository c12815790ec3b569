#include "agent/core/metrics.h"

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace logship {

using prometheus::BuildCounter;
using prometheus::BuildGauge;

class ComponentMetricsImpl final : public ComponentMetrics {
 public:
  ComponentMetricsImpl(Metrics& m, prometheus::Labels labels)
      : metrics_(m),
        labels_(std::move(labels)),
        received_events_(m.received_events_.Add(labels_)),
        received_bytes_(m.received_bytes_.Add(labels_)),
        sent_events_(m.sent_events_.Add(labels_)),
        sent_bytes_(m.sent_bytes_.Add(labels_)) {}

  void received(uint64_t events, uint64_t bytes) override {
    received_events_.Increment(static_cast<double>(events));
    received_bytes_.Increment(static_cast<double>(bytes));
  }
  void sent(uint64_t events, uint64_t bytes) override {
    sent_events_.Increment(static_cast<double>(events));
    sent_bytes_.Increment(static_cast<double>(bytes));
  }
  void discarded(std::string_view reason, uint64_t events) override {
    labelled(metrics_.discarded_events_, reason).Increment(static_cast<double>(events));
  }
  void error(std::string_view reason) override { labelled(metrics_.errors_, reason).Increment(); }

 private:
  prometheus::Counter& labelled(prometheus::Family<prometheus::Counter>& family,
                                std::string_view reason) {
    prometheus::Labels labels = labels_;
    labels["reason"] = std::string(reason);
    return family.Add(labels);  // the family caches one child per label set
  }

  Metrics& metrics_;
  prometheus::Labels labels_;
  prometheus::Counter& received_events_;
  prometheus::Counter& received_bytes_;
  prometheus::Counter& sent_events_;
  prometheus::Counter& sent_bytes_;
};

namespace {

// Process CPU, memory and descriptors, read from /proc at scrape time.
class ProcessCollector final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> out;
    long ticks = sysconf(_SC_CLK_TCK);
    long page = sysconf(_SC_PAGESIZE);
    std::ifstream stat("/proc/self/stat");
    std::string content((std::istreambuf_iterator<char>(stat)), {});
    size_t close = content.rfind(')');
    if (close != std::string::npos) {
      std::istringstream fields(content.substr(close + 2));
      std::string f;
      std::vector<std::string> v;
      while (fields >> f) v.push_back(f);
      // Fields after the command name start at index 3 (state); utime=14, stime=15, rss=24.
      if (v.size() > 21) {
        double cpu = (std::stod(v[11]) + std::stod(v[12])) / static_cast<double>(ticks);
        double rss = std::stod(v[21]) * static_cast<double>(page);
        out.push_back(family("logship_process_cpu_seconds_total",
                             "User and system CPU time of the agent.", prometheus::MetricType::Counter, cpu));
        out.push_back(family("logship_process_resident_memory_bytes",
                             "Resident memory of the agent.", prometheus::MetricType::Gauge, rss));
      }
    }
    static const double start = [] {
      return static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
    }();
    out.push_back(family("logship_process_start_time_seconds", "When the agent started (Unix time).",
                         prometheus::MetricType::Gauge, start));
    return out;
  }

 private:
  static prometheus::MetricFamily family(const char* name, const char* help,
                                         prometheus::MetricType type, double value) {
    prometheus::MetricFamily f;
    f.name = name;
    f.help = help;
    f.type = type;
    prometheus::ClientMetric m;
    if (type == prometheus::MetricType::Counter) {
      m.counter.value = value;
    } else {
      m.gauge.value = value;
    }
    f.metric.push_back(m);
    return f;
  }
};

}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      received_events_(BuildCounter()
                           .Name("logship_component_received_events_total")
                           .Help("Events a component received.")
                           .Register(*registry_)),
      received_bytes_(BuildCounter()
                          .Name("logship_component_received_bytes_total")
                          .Help("Bytes of raw input a component received.")
                          .Register(*registry_)),
      sent_events_(BuildCounter()
                       .Name("logship_component_sent_events_total")
                       .Help("Events a component passed on or delivered.")
                       .Register(*registry_)),
      sent_bytes_(BuildCounter()
                      .Name("logship_component_sent_bytes_total")
                      .Help("Bytes a component wrote to its destination.")
                      .Register(*registry_)),
      discarded_events_(BuildCounter()
                            .Name("logship_component_discarded_events_total")
                            .Help("Events dropped, rejected or flagged, by reason.")
                            .Register(*registry_)),
      errors_(BuildCounter()
                  .Name("logship_component_errors_total")
                  .Help("Errors a component met, by reason.")
                  .Register(*registry_)),
      queue_bytes_(BuildGauge()
                       .Name("logship_output_queue_bytes")
                       .Help("Bytes of batches routed to an output and not yet acknowledged.")
                       .Register(*registry_)),
      acks_(BuildCounter()
                .Name("logship_output_batches_total")
                .Help("Batches an output finished, by status.")
                .Register(*registry_)) {
  static ProcessCollector process;
  collectables_.push_back(std::shared_ptr<prometheus::Collectable>(&process, [](auto*) {}));
}

std::unique_ptr<ComponentMetrics> Metrics::forComponent(const std::string& id, ComponentKind kind,
                                                        const std::string& type) {
  return std::make_unique<ComponentMetricsImpl>(
      *this, prometheus::Labels{{"component_id", id},
                                {"component_kind", toString(kind)},
                                {"component_type", type}});
}

prometheus::Gauge& Metrics::outputQueueBytes(const std::string& id) {
  return queue_bytes_.Add({{"component_id", id}});
}

prometheus::Counter& Metrics::outputAcks(const std::string& id, const char* status) {
  return acks_.Add({{"component_id", id}, {"status", status}});
}

std::string Metrics::render() {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  for (auto& c : collectables_) {
    auto more = c->Collect();
    families.insert(families.end(), more.begin(), more.end());
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace logship
