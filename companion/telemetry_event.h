// Telemetry events: validation and normalization of one event against the
// event schema of docs/telemetry.md (what the notebook writes and the browser
// exports). The same function runs in `telemetry record`, `telemetry import`
// and the collector, so a stored event is byte-identical everywhere.
#ifndef FTCONFIG_COMPANION_TELEMETRY_EVENT_H_
#define FTCONFIG_COMPANION_TELEMETRY_EVENT_H_

#include <string>
#include <vector>

#include "ftconfig/catalog.h"  // json
#include "ftconfig/result.h"

namespace ftconfig::telemetry {

// The newest event schema version this build accepts.
constexpr int kEventSchemaVersion = 1;

struct Event {
  std::string event_id;
  std::string type;         // the "event" field: run_start, run_complete, feedback, ...
  int schema_version = kEventSchemaVersion;
  std::string timestamp;    // as written by the producer (ISO 8601)
  std::string fingerprint;  // recommendation fingerprint; empty when the event has none
  json body;                // the normalized event
  std::string compact;      // body.dump(): the bytes stored and uploaded
};

// Checks `j` against the schema. Error::field is the offending field's name
// (dotted for nested fields). Normalization is idempotent:
// ValidateEvent(ValidateEvent(j)->body)->body == ValidateEvent(j)->body.
Result<Event> ValidateEvent(const json& j);

// Every value of the "event" field the schema knows.
const std::vector<std::string>& EventTypes();

// A random (version 4) UUID, lower-case.
std::string NewEventId();
// Now, UTC, ISO 8601 with milliseconds: 2025-01-31T12:34:56.789Z.
std::string NowIso8601();

// `ftconfig telemetry record`: the types it records, the flags that set
// fields, and the defaults it fills in (event_id, timestamp, schema_version).
const std::vector<std::string>& RecordTypes();
struct RecordFlag {
  const char* flag;
  const char* field;  // dotted for nested fields
  enum Kind { kString, kNumber, kInteger } kind;
  const char* help;
};
const std::vector<RecordFlag>& RecordFlags();
// `type` as on the command line (run-start); the event is run_start.
Result<json> FillRecordDefaults(json event, const std::string& type, const std::string& engine_version);

}  // namespace ftconfig::telemetry

#endif  // FTCONFIG_COMPANION_TELEMETRY_EVENT_H_
