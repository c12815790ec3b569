#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/api/config.h"
#include "outputs/common/http_config.h"
#include "outputs/common/http_transport.h"
#include "outputs/common/sigv4.h"

namespace logship {

// Where and as whom: what the s3 output, the archive's upload and `archive verify s3://` share.
// `s3: {bucket, endpoint, region, force_path_style, access_key_id, secret_access_key,
// access_key_id_file, secret_access_key_file, session_token, tls}`; keys not given come from the
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN environment variables.
struct S3ConnectionConfig {
  std::string bucket;
  std::string endpoint;  // default https://s3.<region>.amazonaws.com
  std::string region = "us-east-1";
  bool force_path_style = true;
  std::string access_key_id;
  std::string secret_access_key;
  std::string access_key_id_file;
  std::string secret_access_key_file;
  std::string session_token;
  ConfigNode tls;
  Duration connect_timeout = std::chrono::seconds(5);
  Duration request_timeout = std::chrono::seconds(60);
};

template <class C>
void addS3ConnectionOptions(OptionTable<C>& t) {
  t.template required<std::string>("bucket", &C::bucket, "Bucket name (no s3:// and no slash).")
      .template optional<std::string>("endpoint", &C::endpoint,
                                      "S3 endpoint URL (MinIO, Ceph RGW, GCS interop ...); "
                                      "default https://s3.<region>.amazonaws.com.")
      .template optional<std::string>("region", &C::region, "Region the requests are signed for.")
      .template optional<bool>("force_path_style", &C::force_path_style,
                               "Bucket in the path (http://host/bucket/key) rather than the host "
                               "name (http://bucket.host/key); S3-compatible stores need it.")
      .template optional<std::string>("access_key_id", &C::access_key_id,
                                      "Default: $AWS_ACCESS_KEY_ID.")
      .template optional<std::string>("secret_access_key", &C::secret_access_key,
                                      "Default: $AWS_SECRET_ACCESS_KEY; prefer the _file form.")
      .template optional<std::string>("access_key_id_file", &C::access_key_id_file,
                                      "File holding the access key id.")
      .template optional<std::string>("secret_access_key_file", &C::secret_access_key_file,
                                      "File holding the secret access key.")
      .template optional<std::string>("session_token", &C::session_token,
                                      "Temporary credentials' token; default $AWS_SESSION_TOKEN.")
      .template optional<ConfigNode>("tls", &C::tls,
                                     "{ca_file, cert_file, key_file, server_name, verify: true}.")
      .template optional<Duration>("connect_timeout", &C::connect_timeout,
                                   "Limit for resolving, connecting and the TLS handshake.")
      .template optional<Duration>("request_timeout", &C::request_timeout,
                                   "Limit for one request (a whole object or part).");
}

// Validated: the endpoint to connect to (with the bucket in the host name unless path style),
// the credentials read, TLS settings.
struct S3Settings {
  HttpEndpoint endpoint;
  std::string bucket;
  std::string region;
  bool path_style = true;
  SigV4Credentials credentials;
  HttpTlsConfig tls;
  Duration connect_timeout{};
  Duration request_timeout{};
};

// Checks `config` (reading key files and the AWS_* environment); problems go to `diag` at `node`.
bool parseS3Settings(const S3ConnectionConfig& config, const ConfigNode& node, Diagnostics& diag,
                     S3Settings* out);

// What an object is stored with.
struct S3ObjectOptions {
  std::string content_type = "application/x-ndjson";
  std::string content_encoding;
  std::string server_side_encryption;  // AES256 | aws:kms
  std::string kms_key_id;
  std::string storage_class;
  std::string lock_mode;          // GOVERNANCE | COMPLIANCE
  int64_t lock_retain_until = 0;  // ns since the epoch; with lock_mode
};

struct S3Result {
  bool ok = false;
  bool retryable = false;  // no answer, throttling, 5xx: trying again may succeed
  int status = 0;
  std::string code;     // S3's error code (NoSuchKey, AccessDenied ...) or the transport's error
  std::string message;  // for logs: status, code and S3's message, short
  std::string etag;
  std::string body;  // GET
};

struct S3Object {
  std::string key;
  uint64_t size = 0;
  std::string etag;
};

struct S3Listing {
  S3Result result;
  std::vector<S3Object> objects;
  std::string next_token;  // empty when the listing is complete
};

// S3's REST API over an HttpTransport, every request signed with SigV4 at the moment it is sent.
// Callbacks run on the transport's io_context.
class S3Client {
 public:
  using Done = std::function<void(S3Result&&)>;
  using Clock = std::function<int64_t()>;  // ns since the epoch, for x-amz-date

  S3Client(std::shared_ptr<HttpTransport> transport, S3Settings settings, Clock clock = {});

  void putObject(const std::string& key, std::shared_ptr<const std::string> body,
                 const S3ObjectOptions& options, Done done);
  // Multipart: create (result.body holds the upload id), parts (result.etag), complete, abort.
  void createMultipartUpload(const std::string& key, const S3ObjectOptions& options, Done done);
  void uploadPart(const std::string& key, const std::string& upload_id, int part,
                  std::shared_ptr<const std::string> body, bool content_md5, Done done);
  void completeMultipartUpload(const std::string& key, const std::string& upload_id,
                               const std::vector<std::string>& etags, Done done);
  void abortMultipartUpload(const std::string& key, const std::string& upload_id, Done done);
  void getObject(const std::string& key, Done done);
  void listObjects(const std::string& prefix, const std::string& token,
                   std::function<void(S3Listing&&)> done);

  const S3Settings& settings() const { return settings_; }

 private:
  struct Call {
    std::string method;
    std::string key;  // "" for the bucket itself
    std::vector<std::pair<std::string, std::string>> query;
    std::vector<std::pair<std::string, std::string>> headers;
    std::shared_ptr<const std::string> body;
  };
  void send(Call call, std::function<void(HttpResponse&&)> done);

  std::shared_ptr<HttpTransport> transport_;
  S3Settings settings_;
  Clock clock_;
  std::string host_header_;
};

// The result of an S3 response: ok for 2xx (a 200 whose body is an <Error> is a failure, as S3
// can send after a long CompleteMultipartUpload); retryable for no answer, 429, 5xx and
// RequestTimeout.
S3Result s3ResultOf(const HttpResponse& response);

// The text of the first <tag>...</tag> in `xml`, entities decoded; "" when absent.
std::string xmlText(std::string_view xml, std::string_view tag);

// Blocking calls for commands (`logship archive verify s3://...`): an io_context of their own.
class S3BlockingClient {
 public:
  explicit S3BlockingClient(S3Settings settings);
  ~S3BlockingClient();
  bool init(std::string* error);
  S3Result get(const std::string& key);
  // Every object under `prefix`; false with `error` when a listing failed.
  bool list(const std::string& prefix, std::vector<S3Object>* out, std::string* error);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace logship
