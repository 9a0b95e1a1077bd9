// The telemetry store: one SQLite file (WAL) holding events, keyed and
// deduplicated by event id, and the outbox of events still to upload.
//
// Used by `ftconfig telemetry record|import|upload|status` (the local store)
// and by `ftconfig collect` (the receiver's own store). The schema is
// versioned: the schema_version table lists the migrations applied, and Open()
// applies the missing ones in order. See docs/telemetry.md, "Companion".
#ifndef FTCONFIG_COMPANION_TELEMETRY_STORE_H_
#define FTCONFIG_COMPANION_TELEMETRY_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ftconfig/result.h"
#include "telemetry_event.h"
#include "telemetry_plausibility.h"

struct sqlite3;

namespace ftconfig::telemetry {
class PgStore;
}

namespace ftconfig::telemetry {

// The store schema version this build writes (not the event schema version).
constexpr int kStoreSchemaVersion = 2;

// $FTCONFIG_TELEMETRY_STORE, else $DATABASE_URL when it is a postgres:// or
// postgresql:// URL (a team's PostgreSQL, telemetry_store_pg.h), else
// $XDG_DATA_HOME/ftconfig/telemetry.db, else ~/.local/share/ftconfig/telemetry.db.
std::string DefaultStorePath();

enum class InsertStatus {
  kStored,     // new event id: stored (and queued for upload when asked)
  kDuplicate,  // the id is already stored with the same content: nothing changed
  kConflict,   // the id is already stored with different content: kept the first
  kQuarantined,  // implausible (telemetry_plausibility.h): kept apart, never trained on
};
const char* ToString(InsertStatus s);

struct OutboxItem {
  std::int64_t seq = 0;
  std::string event_id;
  std::string body;  // the stored event, compact JSON
  int attempts = 0;
};

struct StoreStats {
  int store_schema_version = 0;
  std::int64_t events = 0;
  std::map<std::string, std::int64_t> events_by_type;
  std::int64_t outbox_pending = 0;
  std::int64_t outbox_rejected = 0;
  std::int64_t uploaded = 0;
  std::int64_t quarantined = 0;
  std::map<std::string, std::int64_t> quarantined_by_rule;
};

// One quarantined event and why.
struct QuarantinedEvent {
  std::string event_id, type, source, received_at, rule, field, reason;
};

class Store {
 public:
  // Opens (creating it and its folder when missing) and migrates the store.
  // A postgres:// or postgresql:// URL opens that PostgreSQL database instead
  // (same tables and semantics). Errors name `field` (the flag that gave the path).
  static Result<std::unique_ptr<Store>> Open(const std::string& path, const std::string& field = "--store");
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const { return path_; }
  // The plausibility rules Insert() applies (default: PlausibilityRules{}).
  void SetPlausibilityRules(PlausibilityRules rules) { rules_ = std::move(rules); }

  // Inserts `events` in one transaction: all of them or, on a storage error,
  // none. `source` says where they came from ("record", "import:FILE",
  // "collect:TOKEN"). With `enqueue`, newly stored events join the outbox.
  // Every new event passes CheckPlausibility() first; one that fails goes to
  // the quarantine table (kQuarantined, `verdicts` says why when given).
  Result<std::vector<InsertStatus>> Insert(const std::vector<Event>& events, const std::string& source, bool enqueue,
                                           std::vector<Verdict>* verdicts = nullptr);
  // The newest quarantined events (at most `limit`).
  Result<std::vector<QuarantinedEvent>> Quarantined(std::size_t limit);
  // Stored events after sequence number `cursor`, oldest first, at most
  // `limit`: (seq, body). For `telemetry export --since`.
  Result<std::vector<std::pair<std::int64_t, std::string>>> EventsSince(std::int64_t cursor, std::size_t limit);

  // Pending outbox entries, oldest first, at most `limit`.
  Result<std::vector<OutboxItem>> PendingBatch(std::size_t limit);
  // The receiver has the events (stored or already had them): leave the outbox.
  Result<bool> Acknowledge(const std::vector<std::string>& event_ids);
  // The receiver refused these events for good: keep them out of later
  // batches (state 'rejected', with the reason), never delete them.
  Result<bool> MarkRejected(const std::vector<std::pair<std::string, std::string>>& id_and_reason);
  // Counts a failed delivery attempt for these events.
  Result<bool> CountAttempt(const std::vector<std::string>& event_ids, const std::string& error);
  // Puts rejected outbox entries back to pending (after the receiver is fixed).
  Result<std::int64_t> RequeueRejected();

  // Durability of later commits. Full (the default): every commit reaches
  // the disk before it returns. Off: commits survive a killed process but an
  // OS crash or power loss may undo the last ones, until Checkpoint().
  Result<bool> SetFullSync(bool full);
  // Makes every commit so far durable (syncs the write-ahead log).
  Result<bool> Checkpoint();

  Result<std::int64_t> PendingCount();
  Result<StoreStats> Stats();
  // The stored bodies of the events of these types, in insertion order.
  Result<std::vector<json>> EventsOfTypes(const std::vector<std::string>& types);

 private:
  Store() = default;
  Result<bool> Exec(const std::string& sql);
  Result<bool> Migrate();
  Error Fail(const std::string& what) const;

  std::string path_;
  std::string field_;
  sqlite3* db_ = nullptr;
  PlausibilityRules rules_;
  std::unique_ptr<PgStore> pg_;  // set when opened on a PostgreSQL URL: every call goes there
};

}  // namespace ftconfig::telemetry

#endif  // FTCONFIG_COMPANION_TELEMETRY_STORE_H_
