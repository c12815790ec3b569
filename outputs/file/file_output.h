#pragma once

#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "outputs/common/ndjson_encoder.h"

namespace logship {

struct FileOutputConfig {
  std::string path;
  std::string format = "ndjson";  // or "text"
  bool fsync = false;
  Duration retry_interval = std::chrono::seconds(1);

  static const OptionTable<FileOutputConfig>& options();
};

// Appends events to a local file: as NDJSON, or with `format: text` each message alone on its line
// (as rsyslog's %rawmsg% or Vector's text codec: the line as read, or as scrub_pii rewrote it). A
// failed write (disk full, file system gone) keeps the batches and retries them in order;
// acknowledgements follow the write (and fsync, if enabled).
class FileOutput final : public Sink {
 public:
  FileOutput(FileOutputConfig config, BuildContext& ctx);
  ~FileOutput() override;

  void start(ComponentContext& context) override;
  void consume(SharedBatch batch, AckToken ack) override;
  std::string destination() const override { return config_.path; }
  void stop() override;
  bool healthy() const override { return healthy_; }
  std::string lastError() const override { return last_error_.get(); }
  // How a written batch is made durable with `fsync: true` (fdatasync); tests observe or fail it.
  using SyncFn = std::function<int(int fd)>;
  void setSync(SyncFn sync) { sync_ = std::move(sync); }

 private:
  bool openFile();
  void flush();
  // Appends the batch to the file, all of it or (after a failed write) none; `size` gets its
  // bytes.
  bool append(const Batch& batch, size_t& size);
  // Fills pieces_ (and buffer_, which pieces may point into) with the batch's lines; returns
  // their size.
  size_t encodeText(const Batch& batch);

  FileOutputConfig config_;
  bool text_;  // format: text
  ComponentContext* context_ = nullptr;
  NdjsonEncoder encoder_;
  std::string buffer_;
  std::vector<std::string_view> pieces_;  // what one write appends, in order
  int fd_ = -1;
  std::deque<std::pair<SharedBatch, AckToken>> pending_;
  std::unique_ptr<boost::asio::steady_timer> retry_timer_;
  bool retry_scheduled_ = false;
  std::atomic<bool> healthy_{true};
  LastError last_error_;
  SyncFn sync_;
};

void registerFileOutput(Registry& registry);

}  // namespace logship
