// The telemetry store in PostgreSQL, for teams whose collector outgrows one
// machine: the same tables, migrations and semantics as the SQLite store
// (telemetry_store.h), selected by a postgres:// or postgresql:// URL as the
// store path, or by DATABASE_URL when no store is named (DefaultStorePath).
// Store forwards every call here when it was opened on a URL.
#ifndef FTCONFIG_COMPANION_TELEMETRY_STORE_PG_H_
#define FTCONFIG_COMPANION_TELEMETRY_STORE_PG_H_

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "telemetry_store.h"

struct pg_conn;

namespace ftconfig::telemetry {

// Whether `path` names a PostgreSQL database (postgres:// or postgresql://).
bool IsPostgresUrl(const std::string& path);

// The URL with its password replaced by "***", for messages.
std::string RedactUrl(const std::string& url);

class PgStore {
 public:
  // Connects and migrates. `field` is the flag that gave the URL (errors name it).
  static Result<std::unique_ptr<PgStore>> Open(const std::string& url, const std::string& field);
  ~PgStore();
  PgStore(const PgStore&) = delete;
  PgStore& operator=(const PgStore&) = delete;

  Result<std::vector<InsertStatus>> Insert(const std::vector<Event>& events, const std::string& source, bool enqueue,
                                           const PlausibilityRules& rules, std::vector<Verdict>* verdicts);
  Result<std::vector<QuarantinedEvent>> Quarantined(std::size_t limit);
  Result<std::vector<std::pair<std::int64_t, std::string>>> EventsSince(std::int64_t cursor, std::size_t limit);
  Result<std::vector<OutboxItem>> PendingBatch(std::size_t limit);
  Result<bool> Acknowledge(const std::vector<std::string>& event_ids);
  Result<bool> MarkRejected(const std::vector<std::pair<std::string, std::string>>& id_and_reason);
  Result<bool> CountAttempt(const std::vector<std::string>& event_ids, const std::string& error);
  Result<std::int64_t> RequeueRejected();
  Result<std::int64_t> PendingCount();
  Result<StoreStats> Stats();
  Result<std::vector<json>> EventsOfTypes(const std::vector<std::string>& types);

 private:
  class Rows;  // a query's result
  PgStore() = default;
  Result<Rows> Query(const std::string& sql, const std::vector<std::string>& params = {});
  Result<bool> Exec(const std::string& sql, const std::vector<std::string>& params = {});
  Result<bool> Migrate();
  // Runs `sql` ($1 = the second, $2 = the first of each pair) for every pair, in one transaction.
  Result<bool> UpdateOutbox(const char* sql, const std::vector<std::pair<std::string, std::string>>& id_and_error);
  // Runs `body` inside BEGIN ... COMMIT, rolling back on error.
  template <typename T, typename Fn>
  Result<T> InTransaction(Fn body);
  Error Fail(const std::string& what) const;

  std::string url_;  // redacted
  std::string field_;
  pg_conn* conn_ = nullptr;
  std::mutex mu_;  // one connection: the collector's threads take turns
};

}  // namespace ftconfig::telemetry

#endif  // FTCONFIG_COMPANION_TELEMETRY_STORE_PG_H_
