// A small HTTP client over cpp-httplib for the uploader and the tests: one
// keep-alive connection to one origin, errors as values.
#ifndef FTCONFIG_COMPANION_TELEMETRY_HTTP_H_
#define FTCONFIG_COMPANION_TELEMETRY_HTTP_H_

#include <map>
#include <memory>
#include <string>

#include "ftconfig/result.h"

namespace ftconfig::telemetry {

struct Url {
  std::string origin;  // scheme://host[:port]
  std::string path;    // starts with '/'; "/" when the URL had none
};
// http:// or https:// URLs only; errors name `field`.
Result<Url> ParseUrl(const std::string& url, const std::string& field);

struct HttpResponse {
  int status = 0;                              // 0: no response (see error)
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string error;                           // transport error when status == 0
};

class HttpClient {
 public:
  // `origin` as in Url::origin. Timeouts in seconds.
  explicit HttpClient(const std::string& origin, int connect_timeout_s = 5, int read_timeout_s = 30);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // `bearer` empty: no Authorization header.
  HttpResponse Post(const std::string& path, const std::string& body, const std::string& content_type,
                    const std::string& bearer = "");
  HttpResponse Get(const std::string& path, const std::string& bearer = "");
  // Any method with extra headers (tests: CORS preflight and Origin).
  HttpResponse Send(const std::string& method, const std::string& path,
                    const std::map<std::string, std::string>& headers, const std::string& body = "",
                    const std::string& content_type = "");

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ftconfig::telemetry

#endif  // FTCONFIG_COMPANION_TELEMETRY_HTTP_H_
