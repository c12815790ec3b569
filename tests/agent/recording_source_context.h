#pragma once

// A source context for driving a source through its public API in a test: its io_context runs on
// a thread of its own, and every emitted event is recorded (its message and the string value of
// chosen fields) and then acknowledged as delivered.
#include <prometheus/registry.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/api/component.h"

namespace logship::testing {

class RecordingSourceContext final : public SourceContext {
 public:
  struct Line {
    std::string message;
    std::vector<std::string> fields;  // the values of `field_names`, "" when absent
  };

  RecordingSourceContext(std::string data_dir, std::vector<std::string> field_names)
      : field_names_(std::move(field_names)), work_(io_.get_executor()) {
    global_.data_dir = std::move(data_dir);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~RecordingSourceContext() override {
    work_.reset();
    io_.stop();
    thread_.join();
  }
  std::string_view id() const override { return "recorded"; }
  const GlobalConfig& global() const override { return global_; }
  ComponentMetrics& metrics() override { return metrics_; }
  prometheus::Registry& metricsRegistry() override { return registry_; }
  boost::asio::io_context& io() override { return io_; }
  void emit(Batch&& batch) override {
    std::lock_guard lock(mutex_);
    for (const Event& e : batch.events()) {
      Line line{std::string(e.message), {}};
      for (const std::string& name : field_names_) {
        const Field* f = batch.findField(e, name);
        line.fields.emplace_back(f ? std::string(f->value.string_value) : "");
      }
      lines_.push_back(std::move(line));
    }
  }  // the batch ends here: delivered
  bool downstreamFull() const override { return false; }
  void finished() override {}

  // Runs `fn` on the context's thread and waits for it.
  template <class Fn>
  void run(Fn fn) {
    std::promise<void> done;
    boost::asio::post(io_, [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }
  std::vector<Line> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  std::vector<std::string> messages() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const Line& l : lines_) out.push_back(l.message);
    return out;
  }
  bool saw(const std::string& message) {
    std::lock_guard lock(mutex_);
    for (const Line& l : lines_) {
      if (l.message == message) return true;
    }
    return false;
  }
  // Waits (at most `timeout`) until `message` was emitted.
  bool waitFor(const std::string& message,
               std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!saw(message) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return saw(message);
  }

 private:
  class IgnoredMetrics final : public ComponentMetrics {
   public:
    void received(uint64_t, uint64_t) override {}
    void sent(uint64_t, uint64_t) override {}
    void discarded(std::string_view, uint64_t) override {}
    void error(std::string_view) override {}
  };
  GlobalConfig global_;
  std::vector<std::string> field_names_;
  IgnoredMetrics metrics_;
  prometheus::Registry registry_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<Line> lines_;
};

}  // namespace logship::testing
