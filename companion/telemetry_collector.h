// The receiving end of `telemetry upload`: an HTTP server (cpp-httplib) that
// authenticates bearer tokens, rate-limits per token, bounds request size,
// validates every event and stores the valid ones in its own store. Served by
// `ftconfig collect`; the HTTP API is in docs/telemetry.md, "Companion".
#ifndef FTCONFIG_COMPANION_TELEMETRY_COLLECTOR_H_
#define FTCONFIG_COMPANION_TELEMETRY_COLLECTOR_H_

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ftconfig/result.h"
#include "telemetry_store.h"

namespace ftconfig::telemetry {

constexpr const char* kIngestPath = "/v1/events";

// What one client may hold of the collector (docs/telemetry.md, "Limits").
struct CollectorLimits {
  int max_connections = 64;           // open connections served at once; 503 beyond
  int spare_workers = 8;              // threads that answer the 503s
  double header_timeout_s = 10;       // request line and headers, from their first byte
  double request_timeout_s = 60;      // the whole request, body included
  double idle_timeout_s = 5;          // keep-alive wait for the next request
  std::size_t max_header_bytes = 64 * 1024;
};

struct CollectorOptions {
  std::string host = "127.0.0.1";
  int port = 0;                                 // 0: any free port
  std::map<std::string, std::string> tokens;    // token -> name (for logs and the rate limit)
  double rate_limit_rps = 50;                   // ingest requests per second per token; 0: unlimited
  double rate_burst = 100;                      // bucket size
  std::size_t max_body_bytes = 4u << 20;        // 413 above
  std::size_t max_events = 1000;                // events per request; 413 above
  int respond_delay_ms = 0;                     // testing: wait after storing, before answering
  // Cross-origin (CORS) access for browsers, e.g. the static site uploading
  // its log: origins such as "https://user.github.io" or "*" for any. Empty:
  // no CORS headers, and preflight requests are refused (403).
  std::vector<std::string> allow_origins;
  // Connection cap (503 beyond), header/request deadlines, header bytes.
  CollectorLimits limits;
};

// An ingest request body as events: {"events": [...]}, a JSON array of
// events, one event object, or JSON lines (a line that is not JSON becomes a
// null item with its error). Used by the collector and its fuzz harness.
struct ParsedBody {
  std::vector<json> items;
  std::vector<std::optional<Error>> parse_errors;  // per item
};
Result<ParsedBody> ParseIngestBody(const std::string& body);

// The Access-Control-Allow-Origin value for a request's Origin header, or ""
// when the origin is not allowed (or there is none).
std::string AllowedOrigin(const std::vector<std::string>& allow_origins, const std::string& origin);
// Checks an --allow-origin value: "*" or scheme://host[:port] without a path.
Result<std::string> ParseAllowOrigin(const std::string& value, const std::string& field);

// Parses "HOST:PORT" (PORT 0..65535). Errors name `field`.
Result<std::pair<std::string, int>> ParseListen(const std::string& listen, const std::string& field);

// Reads tokens: one per line, "TOKEN" or "NAME TOKEN"; blank lines and lines
// starting with '#' are skipped. Errors name `field` and file:line.
Result<std::map<std::string, std::string>> ParseTokens(const std::string& text, const std::string& source,
                                                       const std::string& field);

// Serves until SIGINT or SIGTERM. `on_listening` gets the bound port once the
// socket is listening. Returns an error when the address cannot be bound.
Result<bool> RunCollector(const CollectorOptions& options, Store& store,
                          const std::function<void(int port)>& on_listening);

}  // namespace ftconfig::telemetry

#endif  // FTCONFIG_COMPANION_TELEMETRY_COLLECTOR_H_
