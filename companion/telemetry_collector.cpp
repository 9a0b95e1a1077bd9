#include "telemetry_collector.h"

#include <httplib.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "ftconfig/json_text.h"
#include "http_guard.h"
#include "telemetry_event.h"

namespace ftconfig::telemetry {

namespace {

using Clock = std::chrono::steady_clock;

std::string ErrorJson(const std::string& code, const std::string& field, const std::string& message) {
  return json{{"error", {{"code", code}, {"field", field}, {"message", message}}}}.dump();
}

// Token bucket per token name.
class RateLimiter {
 public:
  RateLimiter(double rps, double burst) : rps_(rps), burst_(std::max(1.0, burst)) {}
  // 0 when the request may go ahead, else whole seconds to wait.
  int Take(const std::string& key) {
    if (rps_ <= 0) return 0;
    std::lock_guard<std::mutex> lock(mu_);
    auto now = Clock::now();
    auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst_, now});
    Bucket& b = it->second;
    if (!fresh) {
      double dt = std::chrono::duration<double>(now - b.last).count();
      b.tokens = std::min(burst_, b.tokens + dt * rps_);
      b.last = now;
    }
    if (b.tokens >= 1.0) {
      b.tokens -= 1.0;
      return 0;
    }
    return std::max(1, static_cast<int>(std::ceil((1.0 - b.tokens) / rps_)));
  }

 private:
  struct Bucket {
    double tokens;
    Clock::time_point last;
  };
  double rps_, burst_;
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;
};

// Prometheus text exposition of what the collector did.
class Metrics {
 public:
  void Events(std::uint64_t accepted, std::uint64_t duplicate, const std::map<std::string, std::uint64_t>& rejected) {
    std::lock_guard<std::mutex> lock(mu_);
    accepted_ += accepted;
    duplicate_ += duplicate;
    for (const auto& [reason, n] : rejected) rejected_events_[reason] += n;
  }
  void Request(const std::string& path, int status, double seconds, bool timed) {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string p = path == kIngestPath || path == "/health" || path == "/metrics" ? path : "other";
    requests_[{p, status}]++;
    if (status >= 400 && p == kIngestPath) rejected_requests_[RequestReason(status)]++;
    if (!timed || p != kIngestPath) return;
    for (size_t i = 0; i < kBounds.size(); ++i)
      if (seconds <= kBounds[i]) buckets_[i]++;
    sum_ += seconds;
    count_++;
  }
  std::string Render(double uptime_s) {
    std::lock_guard<std::mutex> lock(mu_);
    std::ostringstream o;
    o << "# HELP ftconfig_collect_events_accepted_total Events stored (new event ids).\n"
      << "# TYPE ftconfig_collect_events_accepted_total counter\n"
      << "ftconfig_collect_events_accepted_total " << accepted_ << "\n"
      << "# HELP ftconfig_collect_events_duplicate_total Events whose id was already stored with the same content.\n"
      << "# TYPE ftconfig_collect_events_duplicate_total counter\n"
      << "ftconfig_collect_events_duplicate_total " << duplicate_ << "\n"
      << "# HELP ftconfig_collect_events_rejected_total Events refused, by reason (the per-event error code).\n"
      << "# TYPE ftconfig_collect_events_rejected_total counter\n";
    for (const auto& [reason, n] : rejected_events_)
      o << "ftconfig_collect_events_rejected_total{reason=\"" << reason << "\"} " << n << "\n";
    o << "# HELP ftconfig_collect_requests_rejected_total Ingest requests refused as a whole, by reason.\n"
      << "# TYPE ftconfig_collect_requests_rejected_total counter\n";
    for (const auto& [reason, n] : rejected_requests_)
      o << "ftconfig_collect_requests_rejected_total{reason=\"" << reason << "\"} " << n << "\n";
    o << "# HELP ftconfig_collect_requests_total HTTP requests answered, by path and status code.\n"
      << "# TYPE ftconfig_collect_requests_total counter\n";
    for (const auto& [key, n] : requests_)
      o << "ftconfig_collect_requests_total{path=\"" << key.first << "\",code=\"" << key.second << "\"} " << n << "\n";
    o << "# HELP ftconfig_collect_request_duration_seconds Ingest request latency, request parsed to response written.\n"
      << "# TYPE ftconfig_collect_request_duration_seconds histogram\n";
    for (size_t i = 0; i < kBounds.size(); ++i)
      o << "ftconfig_collect_request_duration_seconds_bucket{le=\"" << kBounds[i] << "\"} " << buckets_[i] << "\n";
    o << "ftconfig_collect_request_duration_seconds_bucket{le=\"+Inf\"} " << count_ << "\n"
      << "ftconfig_collect_request_duration_seconds_sum " << sum_ << "\n"
      << "ftconfig_collect_request_duration_seconds_count " << count_ << "\n"
      << "# HELP ftconfig_collect_uptime_seconds Seconds since the collector started.\n"
      << "# TYPE ftconfig_collect_uptime_seconds gauge\n"
      << "ftconfig_collect_uptime_seconds " << uptime_s << "\n";
    return o.str();
  }

 private:
  static std::string RequestReason(int status) {
    switch (status) {
      case 400: return "bad_request";
      case 401: return "unauthorized";
      case 408: return "request_timeout";
      case 411: return "length_required";
      case 413: return "too_large";
      case 415: return "unsupported_encoding";
      case 429: return "rate_limited";
      case 503: return "store_unavailable";
      default: return "http_" + std::to_string(status);
    }
  }
  static constexpr std::array<double, 12> kBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                     0.1,   0.25,   0.5,   1,    2.5,   10};
  std::mutex mu_;
  std::uint64_t accepted_ = 0, duplicate_ = 0;
  std::map<std::string, std::uint64_t> rejected_events_, rejected_requests_;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;
  std::array<std::uint64_t, 12> buckets_{};
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

// Start of the request this server thread is handling (set before routing).
thread_local Clock::time_point t_request_start;
thread_local bool t_request_timed = false;

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// The name of the token the request carries, or empty when it carries none
// that is known.
std::string Authenticate(const httplib::Request& req, const std::map<std::string, std::string>& tokens) {
  std::string auth = req.get_header_value("Authorization");
  const std::string prefix = "Bearer ";
  if (auth.size() <= prefix.size() || auth.compare(0, prefix.size(), prefix) != 0) return "";
  std::string presented = auth.substr(prefix.size());
  std::string name;
  for (const auto& [token, token_name] : tokens)  // no early exit: same work whichever matches
    if (ConstantTimeEquals(presented, token)) name = token_name;
  return name;
}

}  // namespace

// {"events": [...]}, a JSON array of events, one event object, or JSON lines.
Result<ParsedBody> ParseIngestBody(const std::string& body) {
  ParsedBody p;
  if (body.find_first_not_of(" \t\r\n") == std::string::npos)
    return Error{ErrorCode::kInvalidJson, "body", "the request body is empty; send {\"events\": [...]}"};
  json doc = json::parse(body, nullptr, false);
  if (!doc.is_discarded()) {
    if (doc.is_object() && doc.contains("events")) {
      if (!doc["events"].is_array())
        return Error{ErrorCode::kInvalidType, "events", "\"events\" must be an array of event objects"};
      for (auto& e : doc["events"]) p.items.push_back(std::move(e));
    } else if (doc.is_array()) {
      for (auto& e : doc) p.items.push_back(std::move(e));
    } else if (doc.is_object()) {
      p.items.push_back(std::move(doc));
    } else {
      return Error{ErrorCode::kInvalidType, "body", "expected {\"events\": [...]}, an array of events or one event"};
    }
    p.parse_errors.resize(p.items.size());
    if (p.items.empty()) return Error{ErrorCode::kMissingField, "events", "the request holds no events"};
    return p;
  }
  // JSON lines: every non-blank line is one event.
  std::istringstream in(body);
  std::string line;
  int line_no = 0;
  bool any = false;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json e = json::parse(line, nullptr, false);
    if (e.is_discarded()) {
      p.items.emplace_back(nullptr);
      p.parse_errors.push_back(Error{ErrorCode::kInvalidJson, "line " + std::to_string(line_no),
                                     "line " + std::to_string(line_no) + " is not valid JSON"});
    } else {
      any = true;
      p.items.push_back(std::move(e));
      p.parse_errors.emplace_back(std::nullopt);
    }
  }
  if (!any)
    return Error{ErrorCode::kInvalidJson, "body",
                 "the request body is not JSON: send {\"events\": [...]}, an array, one event or JSON lines"};
  return p;
}

namespace {


bool EqualsIgnoreCase(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Requests refused on their headers alone, before any body byte is read:
// bodies anywhere but the ingest path, compressed bodies (no inflating),
// Content-Length missing, malformed or above the limit. The connection is
// closed after the answer (the body stays unread).
httplib::Server::HandlerResponse RefuseBeforeBody(const httplib::Request& req, httplib::Response& res,
                                                  std::size_t limit) {
  auto refuse = [&](int status, const std::string& code, const std::string& field, const std::string& message) {
    res.status = status;
    res.set_content(ErrorJson(code, field, message), "application/json");
    GuardedServer::CloseAfterAnswer(res);
    return httplib::Server::HandlerResponse::Handled;
  };
  const std::string& m = req.method;
  if (m != "POST" && m != "PUT" && m != "PATCH" && m != "DELETE" && m != "PRI")
    return httplib::Server::HandlerResponse::Unhandled;
  if (m != "POST" || req.path != kIngestPath)
    return refuse(404, "not_found", "path",
                  std::string("unknown path; POST ") + kIngestPath + ", GET /health or GET /metrics");
  const std::string encoding = req.get_header_value("Content-Encoding");
  if (!encoding.empty() && !EqualsIgnoreCase(encoding, "identity"))
    return refuse(415, "unsupported_encoding", "Content-Encoding",
                  "compressed bodies (" + encoding.substr(0, 32) + ") are not accepted: send the JSON uncompressed");
  const bool has_te = req.has_header("Transfer-Encoding"), has_length = req.has_header("Content-Length");
  if (has_te && !EqualsIgnoreCase(req.get_header_value("Transfer-Encoding"), "chunked"))
    return refuse(400, "invalid_value", "Transfer-Encoding", "only \"Transfer-Encoding: chunked\" is accepted");
  if (has_te && has_length)
    return refuse(400, "invalid_value", "Content-Length", "send Content-Length or chunked transfer encoding, not both");
  if (!has_te && !has_length)
    return refuse(411, "length_required", "Content-Length", "send Content-Length or chunked transfer encoding");
  if (has_te) return httplib::Server::HandlerResponse::Unhandled;
  const std::string length = req.get_header_value("Content-Length");
  if (length.empty() || length.size() > 18 || length.find_first_not_of("0123456789") != std::string::npos)
    return refuse(400, "invalid_value", "Content-Length", "Content-Length must be a byte count");
  if (std::stoull(length) > limit)
    return refuse(413, "too_large", "body",
                  "the request body exceeds " + std::to_string(limit) + " bytes: send smaller batches");
  return httplib::Server::HandlerResponse::Unhandled;
}

// The ingest body, read through httplib (which undoes chunked transfer
// encoding) and never beyond `limit` bytes. `status` 0 when read, else the
// HTTP status to answer (413 too large, 408 too slow, 400 cut short).
struct Body {
  std::string text;
  int status = 0;
};
Body ReadBody(const httplib::ContentReader& read, std::size_t limit) {
  Body b;
  bool too_large = false;
  bool ok = read([&](const char* data, size_t n) {
    if (b.text.size() + n > limit) {
      too_large = true;
      return false;
    }
    b.text.append(data, n);
    return true;
  });
  if (too_large) b.status = 413;
  else if (!ok) b.status = GuardedServer::DeadlinePassed() ? 408 : 400;
  return b;
}

// CORS: the headers every answer to an allowed origin carries.
void AddCors(const std::vector<std::string>& allow, const httplib::Request& req, httplib::Response& res) {
  if (allow.empty() || res.has_header("Access-Control-Allow-Origin")) return;
  std::string origin = AllowedOrigin(allow, req.get_header_value("Origin"));
  if (origin.empty()) return;
  res.set_header("Access-Control-Allow-Origin", origin);
  res.set_header("Vary", "Origin");
  res.set_header("Access-Control-Expose-Headers", "Retry-After, WWW-Authenticate");
}

}  // namespace

std::string AllowedOrigin(const std::vector<std::string>& allow_origins, const std::string& origin) {
  if (origin.empty()) return "";
  for (const auto& a : allow_origins) {
    if (a == "*") return "*";
    if (a.size() == origin.size() &&
        std::equal(a.begin(), a.end(), origin.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); }))
      return origin;
  }
  return "";
}

Result<std::string> ParseAllowOrigin(const std::string& value, const std::string& field) {
  if (value == "*") return value;
  auto bad = [&] {
    return Error{ErrorCode::kInvalidValue, field,
                 "\"" + value + "\" is not an origin: give scheme://host[:port] (e.g. https://user.github.io, "
                 "http://127.0.0.1:8080) or * for any"};
  };
  size_t sep = value.find("://");
  if (sep == std::string::npos || sep == 0 || sep + 3 >= value.size()) return bad();
  std::string scheme = value.substr(0, sep);
  if (scheme != "http" && scheme != "https") return bad();
  std::string rest = value.substr(sep + 3);
  if (rest.find_first_of("/?#@ ") != std::string::npos) return bad();
  return value;
}

Result<std::pair<std::string, int>> ParseListen(const std::string& listen, const std::string& field) {
  size_t colon = listen.rfind(':');
  auto bad = [&] {
    return Error{ErrorCode::kInvalidValue, field, "\"" + listen + "\" is not HOST:PORT (e.g. 127.0.0.1:8787; PORT 0 picks a free one)"};
  };
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) return bad();
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string port_text = listen.substr(colon + 1);
  if (port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos) return bad();
  int port = std::stoi(port_text);
  if (port > 65535) return bad();
  return std::make_pair(host, port);
}

Result<std::map<std::string, std::string>> ParseTokens(const std::string& text, const std::string& source,
                                                       const std::string& field) {
  std::map<std::string, std::string> tokens;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string s; words >> s;) w.push_back(s);
    if (w.empty() || w[0][0] == '#') continue;
    std::string where = source + ":" + std::to_string(line_no);
    if (w.size() > 2)
      return Error{ErrorCode::kInvalidValue, field, where + ": expected \"TOKEN\" or \"NAME TOKEN\""};
    std::string name = w.size() == 2 ? w[0] : "token" + std::to_string(tokens.size() + 1);
    const std::string& token = w.back();
    if (token.size() < 8) return Error{ErrorCode::kInvalidValue, field, where + ": a token needs at least 8 characters"};
    if (!tokens.emplace(token, name).second)
      return Error{ErrorCode::kInvalidValue, field, where + ": the same token is listed twice"};
  }
  if (tokens.empty()) return Error{ErrorCode::kMissingField, field, source + " lists no token"};
  return tokens;
}

Result<bool> RunCollector(const CollectorOptions& options, Store& store,
                          const std::function<void(int port)>& on_listening) {
  const auto started = Clock::now();
  RateLimiter limiter(options.rate_limit_rps, options.rate_burst);
  Metrics metrics;
  std::mutex store_mu;  // one writer: the store connection is shared by the server threads

  GuardedServer svr(options.limits);
  svr.set_payload_max_length(options.max_body_bytes);
  svr.set_keep_alive_timeout(static_cast<time_t>(options.limits.idle_timeout_s));
  svr.busy_body = ErrorJson("busy", "", "the collector serves " + std::to_string(options.limits.max_connections) +
                                            " connections already; retry");
  svr.on_busy = [&metrics] { metrics.Request("", 503, 0, false); };

  svr.set_pre_routing_handler([&options](const httplib::Request& req, httplib::Response& res) {
    t_request_start = Clock::now();
    t_request_timed = true;
    GuardedServer::HeadersDone();
    return RefuseBeforeBody(req, res, options.max_body_bytes);
  });
  svr.set_logger([&metrics](const httplib::Request& req, const httplib::Response& res) {
    double seconds = std::chrono::duration<double>(Clock::now() - t_request_start).count();
    metrics.Request(req.path, res.status, seconds, t_request_timed);
    t_request_timed = false;
  });
  // Errors httplib answers itself (413 from the size limit, 404) get a JSON body too.
  svr.set_error_handler(httplib::Server::HandlerWithResponse([&options](const httplib::Request& req,
                                                                        httplib::Response& res) {
    AddCors(options.allow_origins, req, res);
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    if (res.status == 413)
      res.set_content(ErrorJson("too_large", "body",
                                "the request body exceeds " + std::to_string(options.max_body_bytes) +
                                    " bytes: send smaller batches"),
                      "application/json");
    else if (res.status == 404)
      res.set_content(ErrorJson("not_found", "path", std::string("unknown path; POST ") + kIngestPath +
                                                         ", GET /health or GET /metrics"),
                      "application/json");
    else
      res.set_content(ErrorJson("http_" + std::to_string(res.status), "", "request refused"), "application/json");
    return httplib::Server::HandlerResponse::Handled;
  }));

  // CORS preflight (browsers ask before a POST with Authorization): allowed
  // origins get the methods and headers the ingest path takes; others 403.
  svr.Options(".*", [&](const httplib::Request& req, httplib::Response& res) {
    std::string origin = AllowedOrigin(options.allow_origins, req.get_header_value("Origin"));
    if (origin.empty()) {
      res.status = 403;
      res.set_content(ErrorJson("forbidden_origin", "Origin",
                                options.allow_origins.empty()
                                    ? "cross-origin requests are off: start the collector with --allow-origin ORIGIN"
                                    : "origin \"" + req.get_header_value("Origin") + "\" is not allowed (--allow-origin)"),
                      "application/json");
      return;
    }
    res.status = 204;
    AddCors(options.allow_origins, req, res);
    res.set_header("Access-Control-Allow-Methods", "POST, GET, OPTIONS");
    res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
    res.set_header("Access-Control-Max-Age", "600");
  });

  svr.Get("/health", [&](const httplib::Request& req, httplib::Response& res) {
    AddCors(options.allow_origins, req, res);
    double up = std::chrono::duration<double>(Clock::now() - started).count();
    res.set_content(json{{"status", "ok"}, {"store_schema_version", kStoreSchemaVersion},
                         {"event_schema_version", kEventSchemaVersion}, {"uptime_s", std::round(up * 10) / 10}}
                        .dump(),
                    "application/json");
  });
  svr.Get("/metrics", [&](const httplib::Request& req, httplib::Response& res) {
    AddCors(options.allow_origins, req, res);
    double up = std::chrono::duration<double>(Clock::now() - started).count();
    res.set_content(metrics.Render(up), "text/plain; version=0.0.4");
  });

  svr.Post(kIngestPath, [&](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& read) {
    AddCors(options.allow_origins, req, res);
    // Auth first: nothing about an unauthenticated request is looked at, its
    // body is not even read.
    GuardedServer::CloseAfterAnswer(res);  // until the body has been read
    std::string token_name = Authenticate(req, options.tokens);
    if (token_name.empty()) {
      res.status = 401;
      res.set_header("WWW-Authenticate", "Bearer realm=\"ftconfig\"");
      res.set_content(ErrorJson("unauthorized", "Authorization",
                                "send \"Authorization: Bearer TOKEN\" with a token the collector knows"),
                      "application/json");
      return;
    }
    if (int wait = limiter.Take(token_name); wait > 0) {
      res.status = 429;
      res.set_header("Retry-After", std::to_string(wait));
      res.set_content(ErrorJson("rate_limited", "Authorization",
                                "too many requests for this token; retry after " + std::to_string(wait) + " s"),
                      "application/json");
      return;
    }
    Body body = ReadBody(read, options.max_body_bytes);
    if (body.status != 0) {
      res.status = body.status;
      res.set_content(body.status == 413   ? ErrorJson("too_large", "body",
                                                       "the request body exceeds " +
                                                           std::to_string(options.max_body_bytes) +
                                                           " bytes: send smaller batches")
                      : body.status == 408 ? ErrorJson("request_timeout", "body", "the request body came too slowly")
                                           : ErrorJson("invalid_json", "body", "the request body was cut short"),
                      "application/json");
      return;
    }
    GuardedServer::CloseAfterAnswer(res, false);  // the body was read: the connection may go on
    auto parsed = ParseIngestBody(body.text);
    if (!parsed.ok()) {
      res.status = 400;
      res.set_content(json{{"error", ErrorObject(parsed.error())}}.dump(), "application/json");
      return;
    }
    ParsedBody& p = parsed.value();
    if (p.items.size() > options.max_events) {
      res.status = 413;
      res.set_content(ErrorJson("too_large", "events",
                                std::to_string(p.items.size()) + " events in one request; at most " +
                                    std::to_string(options.max_events)),
                      "application/json");
      return;
    }
    json results = json::array();
    std::vector<Event> valid;
    std::vector<size_t> valid_index;  // results slot of each valid event
    std::map<std::string, std::uint64_t> rejected_by_reason;
    std::uint64_t accepted = 0, duplicates = 0, rejected = 0;
    auto reject = [&](size_t i, const json& id, const Error& e, const std::string& code = "") {
      json err = ErrorObject(e);
      if (!code.empty()) err["code"] = code;
      results[i] = {{"index", i}, {"event_id", id}, {"status", "rejected"}, {"error", err}};
      rejected_by_reason[err["code"].get<std::string>()]++;
      rejected++;
    };
    for (size_t i = 0; i < p.items.size(); ++i) {
      results.push_back(nullptr);
      const json& item = p.items[i];
      json id = item.is_object() && item.contains("event_id") && item["event_id"].is_string() ? item["event_id"]
                                                                                              : json(nullptr);
      if (p.parse_errors[i]) {
        reject(i, id, *p.parse_errors[i]);
        continue;
      }
      auto ev = ValidateEvent(item);
      if (!ev.ok()) {
        reject(i, id, ev.error());
        continue;
      }
      valid_index.push_back(i);
      valid.push_back(std::move(ev.value()));
    }
    if (!valid.empty()) {
      Result<std::vector<InsertStatus>> st = std::vector<InsertStatus>{};
      {
        std::lock_guard<std::mutex> lock(store_mu);
        st = store.Insert(valid, "collect:" + token_name, /*enqueue=*/false);
      }
      if (!st.ok()) {
        std::cerr << "ftconfig: collect: " << st.error().message << std::endl;
        res.status = 503;
        res.set_header("Retry-After", "1");
        res.set_content(ErrorJson("store_unavailable", "", "the collector could not store the events; retry"),
                        "application/json");
        return;
      }
      for (size_t k = 0; k < valid.size(); ++k) {
        size_t i = valid_index[k];
        const auto s = st.value()[k];
        if (s == InsertStatus::kConflict) {
          Error e{ErrorCode::kInvalidValue, "event_id",
                  "an event with this id and different content is already stored; event ids must be unique"};
          reject(i, valid[k].event_id, e, "conflict");
          continue;
        }
        // A quarantined event is accepted (the sender must not retry it) but
        // kept apart from training (telemetry_plausibility.h).
        (s == InsertStatus::kDuplicate ? duplicates : accepted)++;
        results[i] = {{"index", i}, {"event_id", valid[k].event_id},
                      {"status", s == InsertStatus::kStored        ? "accepted"
                                 : s == InsertStatus::kQuarantined ? "quarantined"
                                                                   : "duplicate"}};
      }
    }
    metrics.Events(accepted, duplicates, rejected_by_reason);
    if (options.respond_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(options.respond_delay_ms));
    res.status = accepted + duplicates > 0 ? 200 : 400;
    res.set_content(json{{"accepted", accepted}, {"duplicates", duplicates}, {"rejected", rejected},
                         {"results", results}}
                        .dump(),
                    "application/json");
  });

  // Signals: blocked in every thread (the server's pool inherits the mask) and
  // taken by one waiter that stops the server.
  sigset_t stop_signals, old_mask;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, &old_mask);
  std::signal(SIGPIPE, SIG_IGN);  // a client that hangs up mid-answer is not fatal

  int port = options.port;
  bool bound = port == 0 ? (port = svr.bind_to_any_port(options.host)) > 0 : svr.bind_to_port(options.host, port);
  if (!bound) {
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    return Error{ErrorCode::kInvalidValue, "--listen",
                 "cannot listen on " + options.host + ":" + std::to_string(options.port) +
                     " (address in use or not local?)"};
  }
  std::atomic<bool> serving{true};
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    if (serving) std::cerr << "ftconfig: collect: stopping on signal " << sig << std::endl;
    svr.stop();
  });
  on_listening(port);
  bool ok = svr.listen_after_bind();
  serving = false;
  pthread_kill(waiter.native_handle(), SIGTERM);  // wakes the waiter if no signal came
  waiter.join();
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  (void)ok;
  return true;
}

}  // namespace ftconfig::telemetry
