// `ftconfig telemetry upload`: drains the store's outbox to a collector in
// batches. An event leaves the outbox only once the receiver has answered for
// it (stored, or already had it), and the receiver dedupes by event id, so a
// crash, a dropped connection or a restarted receiver neither loses nor
// duplicates an event: at worst a batch is sent twice and the second copy is
// counted as a duplicate.
#ifndef FTCONFIG_COMPANION_TELEMETRY_UPLOAD_H_
#define FTCONFIG_COMPANION_TELEMETRY_UPLOAD_H_

#include <cstdint>
#include <string>

#include "ftconfig/result.h"
#include "telemetry_store.h"

namespace ftconfig::telemetry {

struct UploadOptions {
  std::string url;            // collector URL; a bare origin gets kIngestPath
  std::string token;          // bearer token
  std::size_t batch = 500;    // events per request (halved on 413)
  int max_retries = 8;        // consecutive failed attempts before giving up
  int retry_base_ms = 500;    // first backoff; doubles per attempt, with jitter
  int retry_max_ms = 30000;   // backoff cap
  int timeout_s = 30;         // connect / read timeout of one request
  bool progress = true;       // progress lines on stderr
};

struct UploadReport {
  std::int64_t sent = 0;        // stored by the receiver
  std::int64_t duplicates = 0;  // the receiver already had them
  std::int64_t rejected = 0;    // refused for good (kept in the outbox as 'rejected')
  std::int64_t remaining = 0;   // still pending in the outbox
  std::int64_t batches = 0;
  std::int64_t requests = 0;
  std::int64_t retries = 0;
  double elapsed_s = 0;
  // Empty when the outbox was drained; otherwise why the upload stopped.
  std::string failure_code;     // "unauthorized", "unreachable", "protocol"
  std::string failure;
};

// Errors: bad options or an unusable store. Delivery problems are reported in
// UploadReport::failure*.
Result<UploadReport> Upload(Store& store, const UploadOptions& options);

}  // namespace ftconfig::telemetry

#endif  // FTCONFIG_COMPANION_TELEMETRY_UPLOAD_H_
