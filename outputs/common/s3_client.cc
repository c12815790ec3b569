#include "outputs/common/s3_client.h"

#include <openssl/evp.h>

#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <optional>

#include "agent/support/digest.h"
#include "agent/support/files.h"
#include "agent/support/timestamp.h"
#include "outputs/common/http_client.h"

namespace logship {

namespace {

constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::vector<std::string_view> kNoReserved;

std::string contentMd5(std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(body.data(), body.size(), digest, &len, EVP_md5(), nullptr);
  return base64Encode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

std::string decodeEntities(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    static constexpr std::pair<std::string_view, char> kEntities[] = {
        {"&quot;", '"'}, {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&apos;", '\''}};
    bool matched = false;
    for (const auto& [name, c] : kEntities) {
      if (s.substr(i, name.size()) == name) {
        out.push_back(c);
        i += name.size() - 1;
        matched = true;
        break;
      }
    }
    if (!matched) out.push_back('&');
  }
  return out;
}

// The elements named `tag` in order, as raw inner text.
std::vector<std::string_view> xmlElements(std::string_view xml, std::string_view tag) {
  std::vector<std::string_view> out;
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  for (size_t at = xml.find(open); at != std::string_view::npos; at = xml.find(open, at)) {
    const size_t begin = at + open.size();
    const size_t end = xml.find(close, begin);
    if (end == std::string_view::npos) break;
    out.push_back(xml.substr(begin, end - begin));
    at = end + close.size();
  }
  return out;
}

void objectHeaders(const S3ObjectOptions& o, std::vector<std::pair<std::string, std::string>>& h) {
  if (!o.content_type.empty()) h.emplace_back("Content-Type", o.content_type);
  if (!o.content_encoding.empty()) h.emplace_back("Content-Encoding", o.content_encoding);
  if (!o.server_side_encryption.empty()) {
    h.emplace_back("x-amz-server-side-encryption", o.server_side_encryption);
    if (!o.kms_key_id.empty()) {
      h.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", o.kms_key_id);
    }
  }
  if (!o.storage_class.empty()) h.emplace_back("x-amz-storage-class", o.storage_class);
  if (!o.lock_mode.empty()) {
    char when[40];
    const size_t n = timestamp::formatRfc3339Millis(o.lock_retain_until, when);
    h.emplace_back("x-amz-object-lock-mode", o.lock_mode);
    h.emplace_back("x-amz-object-lock-retain-until-date", std::string(when, n));
  }
}

}  // namespace

std::string xmlText(std::string_view xml, std::string_view tag) {
  auto found = xmlElements(xml, tag);
  return found.empty() ? std::string() : decodeEntities(found.front());
}

S3Result s3ResultOf(const HttpResponse& response) {
  S3Result r;
  r.status = response.status;
  r.etag = response.etag;
  const bool error_body = response.body.find("<Error>") != std::string::npos;
  if (response.status >= 200 && response.status < 300 && !error_body) {
    r.ok = true;
    return r;
  }
  if (response.status == 0) {
    r.retryable = true;
    r.code = response.error;
    r.message = "no response: " + response.error;
    return r;
  }
  r.code = xmlText(response.body, "Code");
  const std::string message = xmlText(response.body, "Message");
  r.retryable = response.status == 429 || response.status >= 500 || r.code == "RequestTimeout" ||
                r.code == "SlowDown" || (error_body && response.status < 300);
  r.message = std::to_string(response.status) + (r.code.empty() ? "" : " " + r.code) +
              (message.empty() ? "" : ": " + message.substr(0, 200));
  return r;
}

bool parseS3Settings(const S3ConnectionConfig& c, const ConfigNode& node, Diagnostics& diag,
                     S3Settings* out) {
  const size_t errors = diag.errors().size();
  auto at = [&](const char* key) { return node[key].defined() ? node[key].location() : node.location(); };
  if (c.bucket.empty() || c.bucket.find('/') != std::string::npos ||
      c.bucket.starts_with("s3:")) {
    diag.error(at("bucket"), "bucket takes a bucket name (no s3:// and no slash)");
  }
  const std::string endpoint =
      c.endpoint.empty() ? "https://s3." + c.region + ".amazonaws.com" : c.endpoint;
  std::string error;
  if (!parseEndpoint(endpoint, &out->endpoint, &error)) diag.error(at("endpoint"), error);
  out->bucket = c.bucket;
  out->region = c.region;
  out->path_style = c.force_path_style;
  if (!out->path_style) out->endpoint.host = c.bucket + "." + out->endpoint.host;
  out->connect_timeout = c.connect_timeout;
  out->request_timeout = c.request_timeout;
  if (c.tls.defined()) out->tls = HttpTlsConfig::options().parse(c.tls, diag, kNoReserved);
  // Credentials: the option, its file, or the environment, in that order.
  auto credential = [&](const std::string& value, const std::string& file, const char* file_key,
                        const char* env, std::string& into) {
    if (!value.empty()) {
      into = value;
    } else if (!file.empty()) {
      std::string secret;
      if (readSecretFile(file, SecretForm::kLine, secret, error)) {
        into = secret;
      } else {
        diag.error(at(file_key), error);
      }
    } else if (const char* v = std::getenv(env); v && *v) {
      into = v;
    }
  };
  credential(c.access_key_id, c.access_key_id_file, "access_key_id_file", "AWS_ACCESS_KEY_ID",
             out->credentials.access_key_id);
  credential(c.secret_access_key, c.secret_access_key_file, "secret_access_key_file",
             "AWS_SECRET_ACCESS_KEY", out->credentials.secret_access_key);
  credential(c.session_token, "", "", "AWS_SESSION_TOKEN", out->credentials.session_token);
  if (out->credentials.access_key_id.empty() || out->credentials.secret_access_key.empty()) {
    diag.error(node.location(),
               "no S3 credentials: set access_key_id and secret_access_key (or their _file "
               "forms), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  }
  return diag.errors().size() == errors;
}

S3Client::S3Client(std::shared_ptr<HttpTransport> transport, S3Settings settings, Clock clock)
    : transport_(std::move(transport)), settings_(std::move(settings)), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return timestamp::nowNs(); };
  // As the client sends it: the port only when it is not the scheme's default.
  const HttpEndpoint& e = settings_.endpoint;
  host_header_ = e.host.find(':') != std::string::npos ? "[" + e.host + "]" : e.host;
  if (e.port != (e.tls ? "443" : "80")) host_header_ += ":" + e.port;
}

void S3Client::send(Call call, std::function<void(HttpResponse&&)> done) {
  // Bucket-level calls (listings) name the bucket without a trailing slash.
  std::string path = settings_.endpoint.base_path;
  if (settings_.path_style) path += "/" + settings_.bucket;
  if (!call.key.empty() || !settings_.path_style) path += "/" + call.key;
  const std::string payload_hash =
      call.body && !call.body->empty() ? sha256Hex(*call.body) : std::string(kEmptySha256);
  const std::string date = amzDate(clock_());
  call.headers.emplace_back("x-amz-date", date);
  call.headers.emplace_back("x-amz-content-sha256", payload_hash);
  if (!settings_.credentials.session_token.empty()) {
    call.headers.emplace_back("x-amz-security-token", settings_.credentials.session_token);
  }
  SigV4Request signing{call.method, path, call.query, call.headers, payload_hash};
  signing.headers.emplace_back("Host", host_header_);
  const SigV4Signature signature =
      signV4(signing, settings_.credentials, settings_.region, "s3", date);

  auto request = std::make_shared<HttpRequest>();
  request->method = call.method;
  // The target is relative to the endpoint's base path, which the transport adds.
  std::string target = settings_.path_style ? "/" + uriEncode(settings_.bucket, false) : "";
  if (!call.key.empty() || !settings_.path_style) target += "/" + uriEncode(call.key, true);
  for (size_t i = 0; i < call.query.size(); ++i) {
    target += (i ? "&" : "?") + uriEncode(call.query[i].first, false);
    if (!call.query[i].second.empty() || call.query[i].first != "uploads") {
      target += "=" + uriEncode(call.query[i].second, false);
    }
  }
  request->target = std::move(target);
  request->headers = std::move(call.headers);
  request->headers.emplace_back("Authorization", signature.authorization);
  if (call.body) request->body = *call.body;
  transport_->send(std::move(request), std::move(done));
}

void S3Client::putObject(const std::string& key, std::shared_ptr<const std::string> body,
                         const S3ObjectOptions& options, Done done) {
  Call call{"PUT", key, {}, {}, body};
  objectHeaders(options, call.headers);
  // Object Lock refuses a PUT without an integrity header; it costs little everywhere.
  call.headers.emplace_back("Content-MD5", contentMd5(*body));
  send(std::move(call), [done = std::move(done)](HttpResponse&& r) { done(s3ResultOf(r)); });
}

void S3Client::createMultipartUpload(const std::string& key, const S3ObjectOptions& options,
                                     Done done) {
  Call call{"POST", key, {{"uploads", ""}}, {}, nullptr};
  objectHeaders(options, call.headers);
  send(std::move(call), [done = std::move(done)](HttpResponse&& r) {
    S3Result result = s3ResultOf(r);
    if (result.ok) {
      result.body = xmlText(r.body, "UploadId");
      if (result.body.empty()) {
        result.ok = false;
        result.message = "CreateMultipartUpload answered without an UploadId";
      }
    }
    done(std::move(result));
  });
}

void S3Client::uploadPart(const std::string& key, const std::string& upload_id, int part,
                          std::shared_ptr<const std::string> body, bool content_md5, Done done) {
  Call call{"PUT", key, {{"partNumber", std::to_string(part)}, {"uploadId", upload_id}}, {}, body};
  if (content_md5) call.headers.emplace_back("Content-MD5", contentMd5(*body));
  send(std::move(call), [done = std::move(done)](HttpResponse&& r) {
    S3Result result = s3ResultOf(r);
    if (result.ok && result.etag.empty()) {
      result.ok = false;
      result.retryable = true;
      result.message = "UploadPart answered without an ETag";
    }
    done(std::move(result));
  });
}

void S3Client::completeMultipartUpload(const std::string& key, const std::string& upload_id,
                                       const std::vector<std::string>& etags, Done done) {
  auto body = std::make_shared<std::string>("<CompleteMultipartUpload>");
  for (size_t i = 0; i < etags.size(); ++i) {
    *body += "<Part><ETag>" + etags[i] + "</ETag><PartNumber>" + std::to_string(i + 1) +
             "</PartNumber></Part>";
  }
  *body += "</CompleteMultipartUpload>";
  Call call{"POST", key, {{"uploadId", upload_id}}, {{"Content-Type", "application/xml"}}, body};
  send(std::move(call), [done = std::move(done)](HttpResponse&& r) { done(s3ResultOf(r)); });
}

void S3Client::abortMultipartUpload(const std::string& key, const std::string& upload_id,
                                    Done done) {
  Call call{"DELETE", key, {{"uploadId", upload_id}}, {}, nullptr};
  send(std::move(call), [done = std::move(done)](HttpResponse&& r) { done(s3ResultOf(r)); });
}

void S3Client::getObject(const std::string& key, Done done) {
  send(Call{"GET", key, {}, {}, nullptr}, [done = std::move(done)](HttpResponse&& r) {
    S3Result result = s3ResultOf(r);
    if (result.ok) result.body = std::move(r.body);
    done(std::move(result));
  });
}

void S3Client::listObjects(const std::string& prefix, const std::string& token,
                           std::function<void(S3Listing&&)> done) {
  Call call{"GET", "", {{"list-type", "2"}, {"prefix", prefix}}, {}, nullptr};
  if (!token.empty()) call.query.emplace_back("continuation-token", token);
  send(std::move(call), [done = std::move(done)](HttpResponse&& r) {
    S3Listing listing;
    listing.result = s3ResultOf(r);
    if (listing.result.ok) {
      for (std::string_view contents : xmlElements(r.body, "Contents")) {
        S3Object o;
        o.key = xmlText(contents, "Key");
        o.size = std::strtoull(xmlText(contents, "Size").c_str(), nullptr, 10);
        o.etag = xmlText(contents, "ETag");
        listing.objects.push_back(std::move(o));
      }
      if (xmlText(r.body, "IsTruncated") == "true") {
        listing.next_token = xmlText(r.body, "NextContinuationToken");
      }
    }
    done(std::move(listing));
  });
}

struct S3BlockingClient::Impl {
  boost::asio::io_context io;
  S3Settings settings;
  std::shared_ptr<BeastHttpClient> http;
  std::optional<S3Client> client;
};

S3BlockingClient::S3BlockingClient(S3Settings settings) : impl_(std::make_unique<Impl>()) {
  impl_->settings = std::move(settings);
}

S3BlockingClient::~S3BlockingClient() = default;

bool S3BlockingClient::init(std::string* error) {
  HttpClientSettings http;
  http.endpoint = impl_->settings.endpoint;
  http.tls = impl_->settings.tls;
  http.connect_timeout = impl_->settings.connect_timeout;
  http.request_timeout = impl_->settings.request_timeout;
  http.max_response_bytes = 1u << 30;  // whole segments come back
  impl_->http = std::make_shared<BeastHttpClient>(impl_->io, std::move(http));
  if (!impl_->http->init(error)) return false;
  impl_->client.emplace(impl_->http, impl_->settings);
  return true;
}

S3Result S3BlockingClient::get(const std::string& key) {
  S3Result out;
  impl_->client->getObject(key, [&](S3Result&& r) { out = std::move(r); });
  impl_->io.restart();
  impl_->io.run();
  return out;
}

bool S3BlockingClient::list(const std::string& prefix, std::vector<S3Object>* out,
                            std::string* error) {
  std::string token;
  do {
    S3Listing page;
    impl_->client->listObjects(prefix, token, [&](S3Listing&& l) { page = std::move(l); });
    impl_->io.restart();
    impl_->io.run();
    if (!page.result.ok) {
      *error = "listing s3://" + impl_->settings.bucket + "/" + prefix + ": " + page.result.message;
      return false;
    }
    for (auto& o : page.objects) out->push_back(std::move(o));
    token = page.next_token;
  } while (!token.empty());
  return true;
}

}  // namespace logship
