// A real Kafka protocol peer for tests: librdkafka's mock cluster in a process of its own.
//
// usage: kafka_mock_cluster [--brokers N] [--topic NAME:PARTITIONS]...
// Prints "bootstrap HOST:PORT,..." on stdout, then serves until stdin closes or SIGTERM. Commands
// on stdin, one per line, each answered by "ok" or "error: why":
//   topic NAME PARTITIONS          create a topic (replication factor = number of brokers)
//   produce_errors COUNT CODE...   the next COUNT Produce requests fail with the codes, in turn
//   broker_down ID | broker_up ID  take a broker off the network and back
//   rtt ID MS                      delay a broker's responses
#include <librdkafka/rdkafka.h>
// After rdkafka.h, which it relies on.
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

volatile std::sig_atomic_t g_stop = 0;
void onSignal(int) { g_stop = 1; }

std::string handle(rd_kafka_mock_cluster_t* cluster, int brokers, const std::string& line) {
  std::istringstream in(line);
  std::string cmd;
  in >> cmd;
  if (cmd == "topic") {
    std::string name;
    int partitions = 0;
    if (!(in >> name >> partitions) || partitions < 1) return "error: topic NAME PARTITIONS";
    rd_kafka_resp_err_t err =
        rd_kafka_mock_topic_create(cluster, name.c_str(), partitions, brokers);
    return err ? std::string("error: ") + rd_kafka_err2str(err) : "ok";
  }
  if (cmd == "produce_errors") {
    size_t count = 0;
    if (!(in >> count) || count == 0) return "error: produce_errors COUNT CODE...";
    std::vector<rd_kafka_resp_err_t> codes;
    int code;
    while (in >> code) codes.push_back(static_cast<rd_kafka_resp_err_t>(code));
    if (codes.empty()) return "error: produce_errors COUNT CODE...";
    std::vector<rd_kafka_resp_err_t> all;
    for (size_t i = 0; i < count; ++i) all.push_back(codes[i % codes.size()]);
    rd_kafka_mock_push_request_errors_array(cluster, 0 /* Produce */, all.size(), all.data());
    return "ok";
  }
  if (cmd == "broker_down" || cmd == "broker_up") {
    int id = 0;
    if (!(in >> id)) return "error: " + cmd + " ID";
    rd_kafka_resp_err_t err = cmd == "broker_down" ? rd_kafka_mock_broker_set_down(cluster, id)
                                                   : rd_kafka_mock_broker_set_up(cluster, id);
    return err ? std::string("error: ") + rd_kafka_err2str(err) : "ok";
  }
  if (cmd == "rtt") {
    int id = 0, ms = 0;
    if (!(in >> id >> ms)) return "error: rtt ID MS";
    rd_kafka_resp_err_t err = rd_kafka_mock_broker_set_rtt(cluster, id, ms);
    return err ? std::string("error: ") + rd_kafka_err2str(err) : "ok";
  }
  return "error: unknown command '" + cmd + "'";
}

}  // namespace

int main(int argc, char** argv) {
  int brokers = 3;
  std::vector<std::pair<std::string, int>> topics;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--brokers" && i + 1 < argc) {
      brokers = std::atoi(argv[++i]);
    } else if (arg == "--topic" && i + 1 < argc) {
      std::string spec = argv[++i];
      size_t colon = spec.rfind(':');
      if (colon == std::string::npos) {
        topics.emplace_back(spec, 1);
      } else {
        topics.emplace_back(spec.substr(0, colon), std::atoi(spec.c_str() + colon + 1));
      }
    } else {
      std::fprintf(stderr, "usage: %s [--brokers N] [--topic NAME:PARTITIONS]...\n", argv[0]);
      return 2;
    }
  }
  std::signal(SIGTERM, onSignal);
  std::signal(SIGINT, onSignal);

  // The cluster lives on the threads of this (otherwise idle) client handle.
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) {
    std::fprintf(stderr, "rd_kafka_new: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(rk, brokers);
  if (!cluster) {
    std::fprintf(stderr, "cannot create the mock cluster\n");
    return 1;
  }
  for (auto& [name, partitions] : topics) {
    if (rd_kafka_mock_topic_create(cluster, name.c_str(), partitions, brokers)) {
      std::fprintf(stderr, "cannot create topic %s\n", name.c_str());
      return 1;
    }
  }
  std::printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  std::fflush(stdout);

  std::string pending;
  while (!g_stop) {
    pollfd p{STDIN_FILENO, POLLIN, 0};
    int ready = ::poll(&p, 1, 200);
    if (ready <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n <= 0) break;  // stdin closed: the test is over
    pending.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      if (line.empty()) continue;
      std::printf("%s\n", handle(cluster, brokers, line).c_str());
      std::fflush(stdout);
    }
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(rk);
  return 0;
}
