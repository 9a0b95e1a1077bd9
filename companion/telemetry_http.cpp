#include "telemetry_http.h"

#include <httplib.h>

#include <cctype>

namespace ftconfig::telemetry {

Result<Url> ParseUrl(const std::string& url, const std::string& field) {
  auto bad = [&](const std::string& why) {
    return Error{ErrorCode::kInvalidValue, field, "\"" + url + "\" is not a usable URL: " + why +
                                                      " (expected http://HOST[:PORT][/PATH] or https://...)"};
  };
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return bad("no scheme");
  std::string scheme = url.substr(0, scheme_end);
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "http" && scheme != "https") return bad("scheme \"" + scheme + "\"");
  size_t host_begin = scheme_end + 3;
  size_t path_begin = url.find('/', host_begin);
  std::string host_port = url.substr(host_begin, path_begin == std::string::npos ? std::string::npos
                                                                                 : path_begin - host_begin);
  if (host_port.empty()) return bad("no host");
  if (host_port.find_first_of("@?# ") != std::string::npos) return bad("credentials, query or spaces in the host");
  Url u;
  u.origin = scheme + "://" + host_port;
  u.path = path_begin == std::string::npos ? "/" : url.substr(path_begin);
  return u;
}

struct HttpClient::Impl {
  httplib::Client client;
  explicit Impl(const std::string& origin) : client(origin) {}
};

HttpClient::HttpClient(const std::string& origin, int connect_timeout_s, int read_timeout_s)
    : impl_(std::make_unique<Impl>(origin)) {
  impl_->client.set_connection_timeout(connect_timeout_s, 0);
  impl_->client.set_read_timeout(read_timeout_s, 0);
  impl_->client.set_write_timeout(read_timeout_s, 0);
  impl_->client.set_keep_alive(true);
}

HttpClient::~HttpClient() = default;

namespace {
HttpResponse Convert(const httplib::Result& r) {
  HttpResponse out;
  if (!r) {
    out.error = httplib::to_string(r.error());
    return out;
  }
  out.status = r->status;
  out.body = r->body;
  for (const auto& [k, v] : r->headers) {
    std::string key = k;
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[key] = v;
  }
  return out;
}

httplib::Headers AuthHeaders(const std::string& bearer) {
  httplib::Headers h;
  if (!bearer.empty()) h.emplace("Authorization", "Bearer " + bearer);
  return h;
}
}  // namespace

HttpResponse HttpClient::Post(const std::string& path, const std::string& body, const std::string& content_type,
                              const std::string& bearer) {
  return Convert(impl_->client.Post(path, AuthHeaders(bearer), body, content_type));
}

HttpResponse HttpClient::Get(const std::string& path, const std::string& bearer) {
  return Convert(impl_->client.Get(path, AuthHeaders(bearer)));
}

HttpResponse HttpClient::Send(const std::string& method, const std::string& path,
                              const std::map<std::string, std::string>& headers, const std::string& body,
                              const std::string& content_type) {
  httplib::Headers h(headers.begin(), headers.end());
  if (method == "OPTIONS") return Convert(impl_->client.Options(path, h));
  if (method == "GET") return Convert(impl_->client.Get(path, h));
  return Convert(impl_->client.Post(path, h, body, content_type));
}

}  // namespace ftconfig::telemetry
