#include "telemetry_store_pg.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <functional>

#include "shared_library.h"

namespace ftconfig::telemetry {

namespace {

// Migrations, as in the SQLite store (telemetry_store.cpp) in PostgreSQL's
// dialect; `run_id` is a column here (SQLite indexes json_extract instead).
struct Migration {
  int version;
  const char* sql;
};

const Migration kPgMigrations[] = {
    {1, R"sql(
CREATE TABLE events (
  seq                  BIGSERIAL PRIMARY KEY,
  event_id             TEXT    NOT NULL UNIQUE,
  type                 TEXT    NOT NULL,
  event_schema_version INTEGER NOT NULL,
  occurred_at          TEXT,
  fingerprint          TEXT,
  source               TEXT    NOT NULL,
  received_at          TEXT    NOT NULL,
  uploaded_at          TEXT,
  run_id               TEXT,
  body                 TEXT    NOT NULL
);
CREATE INDEX events_by_type ON events(type, occurred_at);
CREATE INDEX events_by_fingerprint ON events(fingerprint);
CREATE TABLE outbox (
  seq         BIGSERIAL PRIMARY KEY,
  event_id    TEXT    NOT NULL UNIQUE REFERENCES events(event_id),
  state       TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'rejected')),
  attempts    INTEGER NOT NULL DEFAULT 0,
  last_error  TEXT,
  enqueued_at TEXT    NOT NULL
);
CREATE INDEX outbox_by_state ON outbox(state, seq);
)sql"},
    {2, R"sql(
CREATE TABLE quarantine (
  seq                  BIGSERIAL PRIMARY KEY,
  event_id             TEXT    NOT NULL UNIQUE,
  type                 TEXT    NOT NULL,
  occurred_at          TEXT,
  source               TEXT    NOT NULL,
  received_at          TEXT    NOT NULL,
  rule                 TEXT    NOT NULL,
  field                TEXT,
  reason               TEXT    NOT NULL,
  run_id               TEXT,
  body                 TEXT    NOT NULL
);
CREATE INDEX quarantine_by_rule ON quarantine(rule);
CREATE INDEX events_by_source ON events(source, received_at);
CREATE INDEX quarantine_by_source ON quarantine(source, received_at);
CREATE INDEX events_by_run ON events(type, run_id);
CREATE INDEX quarantine_by_run ON quarantine(type, run_id);
)sql"},
};

// Every write transaction takes this lock first, as SQLite's BEGIN IMMEDIATE
// does: two collectors never interleave the check and the insert of one id.
constexpr const char* kWriteLock = "SELECT pg_advisory_xact_lock(7342170305)";

// The statement's first word, for messages ("INSERT", "CREATE").
std::string Verb(const std::string& sql) {
  const size_t a = sql.find_first_not_of(" \n");
  if (a == std::string::npos) return "statement";
  return sql.substr(a, sql.find_first_of(" \n", a) - a);
}

std::string RunIdOf(const json& body) {
  auto it = body.find("run_id");
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// PostgreSQL's client library, opened by the first PostgreSQL store
// (shared_library.h): the CLI does not link it, so other commands do not load
// it and its ~20 dependencies.
#define FTCONFIG_PQ_FUNCTIONS(X)                                                                  \
  X(PQconnectdb) X(PQstatus) X(PQerrorMessage) X(PQfinish) X(PQexec) X(PQexecParams) X(PQclear) \
  X(PQresultStatus) X(PQntuples) X(PQgetisnull) X(PQgetvalue) X(PQcmdTuples)

FTCONFIG_SHARED_API(Libpq, FTCONFIG_PQ_FUNCTIONS, "libpq.so.5", "a PostgreSQL telemetry store", "libpq5")

// Only after PgStore::Open succeeded (which loads it).
const Libpq& Pq() { return LibpqOnce().value(); }

}  // namespace

bool IsPostgresUrl(const std::string& path) {
  return path.rfind("postgres://", 0) == 0 || path.rfind("postgresql://", 0) == 0;
}

std::string RedactUrl(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t at = url.find('@', scheme == std::string::npos ? 0 : scheme + 3);
  if (scheme == std::string::npos || at == std::string::npos) return url;
  const size_t colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

// A PGresult that clears itself, with typed column access.
class PgStore::Rows {
 public:
  explicit Rows(PGresult* r) : r_(r, Pq().PQclear) {}
  int size() const { return Pq().PQntuples(r_.get()); }
  std::string Text(int row, int col) const {
    return Pq().PQgetisnull(r_.get(), row, col) ? std::string() : std::string(Pq().PQgetvalue(r_.get(), row, col));
  }
  std::int64_t Int(int row, int col) const { return std::strtoll(Pq().PQgetvalue(r_.get(), row, col), nullptr, 10); }
  std::int64_t Affected() const { return std::strtoll(Pq().PQcmdTuples(r_.get()), nullptr, 10); }
  ExecStatusType Status() const { return r_ ? Pq().PQresultStatus(r_.get()) : PGRES_FATAL_ERROR; }

 private:
  std::shared_ptr<PGresult> r_;
};

Error PgStore::Fail(const std::string& what) const {
  std::string detail = conn_ ? Pq().PQerrorMessage(conn_) : "cannot connect";
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
  return Error{ErrorCode::kInvalidValue, field_, "telemetry store \"" + url_ + "\": " + what + ": " + detail};
}

Result<PgStore::Rows> PgStore::Query(const std::string& sql, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  Rows rows(Pq().PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                         values.empty() ? nullptr : values.data(), nullptr, nullptr, 0));
  const ExecStatusType st = rows.Status();
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) return Fail(Verb(sql));
  return rows;
}

Result<bool> PgStore::Exec(const std::string& sql, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  // Without parameters, PQexec: a migration is several statements.
  PGresult* r = values.empty() ? Pq().PQexec(conn_, sql.c_str())
                               : Pq().PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                              values.data(), nullptr, nullptr, 0);
  const ExecStatusType st = Pq().PQresultStatus(r);
  Pq().PQclear(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Fail(Verb(sql));
  return true;
}

template <typename T, typename Fn>
Result<T> PgStore::InTransaction(Fn body) {
  if (auto r = Exec("BEGIN"); !r.ok()) return r.error();
  if (auto r = Exec(kWriteLock); !r.ok()) {
    Exec("ROLLBACK");
    return r.error();
  }
  Result<T> out = body();
  if (!out.ok()) {
    Exec("ROLLBACK");
    return out;
  }
  if (auto r = Exec("COMMIT"); !r.ok()) return r.error();
  return out;
}

Result<std::unique_ptr<PgStore>> PgStore::Open(const std::string& url, const std::string& field) {
  if (!LibpqOnce().ok()) return Error{ErrorCode::kUnsupported, field, LibpqOnce().error().message};
  std::unique_ptr<PgStore> s(new PgStore());
  s->url_ = RedactUrl(url);
  s->field_ = field;
  s->conn_ = Pq().PQconnectdb(url.c_str());
  if (!s->conn_ || Pq().PQstatus(s->conn_) != CONNECTION_OK) return s->Fail("cannot connect");
  if (auto r = s->Exec("SET client_min_messages = warning"); !r.ok()) return r.error();
  if (auto r = s->Migrate(); !r.ok()) return r.error();
  return s;
}

PgStore::~PgStore() {
  if (conn_) Pq().PQfinish(conn_);
}

Result<bool> PgStore::Migrate() {
  if (auto r = Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
      !r.ok())
    return r;
  return InTransaction<bool>([this]() -> Result<bool> {
    auto q = Query("SELECT COALESCE(MAX(version), 0) FROM schema_version");
    if (!q.ok()) return q.error();
    const int current = static_cast<int>(q.value().Int(0, 0));
    if (current > kStoreSchemaVersion)
      return Error{ErrorCode::kUnsupported, field_,
                   "telemetry store \"" + url_ + "\" has schema version " + std::to_string(current) +
                       ", newer than this ftconfig (" + std::to_string(kStoreSchemaVersion) + "): upgrade ftconfig"};
    for (const auto& m : kPgMigrations) {
      if (m.version <= current) continue;
      if (auto r = Exec(m.sql); !r.ok()) return r;
      if (auto r = Exec("INSERT INTO schema_version(version, applied_at) VALUES ($1, $2)",
                        {std::to_string(m.version), NowIso8601()});
          !r.ok())
        return r;
    }
    return true;
  });
}

namespace {
// The store as the plausibility checks see it, inside the insert's transaction.
class PgView : public PlausibilityView {
 public:
  using QueryFn = std::function<std::vector<std::string>(const std::string&, const std::vector<std::string>&)>;
  explicit PgView(QueryFn first_row) : first_row_(std::move(first_row)) {}
  json RunStart(const std::string& run_id) override {
    auto row = first_row_("SELECT body FROM events WHERE type = 'run_start' AND run_id = $1 LIMIT 1", {run_id});
    json out = row.empty() ? json(nullptr) : json::parse(row[0], nullptr, false);
    return out.is_discarded() ? json(nullptr) : out;
  }
  bool HasCompletion(const std::string& run_id) override {
    return !first_row_(
                "SELECT 1 FROM events WHERE type = 'run_complete' AND run_id = $1 UNION ALL "
                "SELECT 1 FROM quarantine WHERE type = 'run_complete' AND run_id = $1 LIMIT 1",
                {run_id})
                .empty();
  }
  std::int64_t ReceivedFrom(const std::string& source, const std::string& since) override {
    auto row = first_row_(
        "SELECT (SELECT COUNT(*) FROM events WHERE source = $1 AND received_at >= $2) + "
        "(SELECT COUNT(*) FROM quarantine WHERE source = $1 AND received_at >= $2)",
        {source, since});
    return row.empty() ? 0 : std::strtoll(row[0].c_str(), nullptr, 10);
  }

 private:
  QueryFn first_row_;
};
}  // namespace

Result<std::vector<InsertStatus>> PgStore::Insert(const std::vector<Event>& events, const std::string& source,
                                                  bool enqueue, const PlausibilityRules& rules,
                                                  std::vector<Verdict>* verdicts) {
  std::lock_guard<std::mutex> lock(mu_);
  if (verdicts) verdicts->assign(events.size(), Verdict{});
  PgView view([this](const std::string& sql, const std::vector<std::string>& params) {
    auto q = Query(sql, params);
    return q.ok() && q.value().size() > 0 ? std::vector<std::string>{q.value().Text(0, 0)} : std::vector<std::string>{};
  });
  return InTransaction<std::vector<InsertStatus>>([&]() -> Result<std::vector<InsertStatus>> {
    std::vector<InsertStatus> out;
    const std::string now = NowIso8601();
    for (size_t i = 0; i < events.size(); ++i) {
      const Event& e = events[i];
      FTCONFIG_ASSIGN_OR_RETURN(known, Query("SELECT body FROM events WHERE event_id = $1", {e.event_id}));
      if (known.size() > 0) {
        out.push_back(known.Text(0, 0) == e.compact ? InsertStatus::kDuplicate : InsertStatus::kConflict);
        continue;
      }
      FTCONFIG_ASSIGN_OR_RETURN(held, Query("SELECT rule, field, reason FROM quarantine WHERE event_id = $1", {e.event_id}));
      if (held.size() > 0) {
        if (verdicts) (*verdicts)[i] = {held.Text(0, 0), held.Text(0, 1), held.Text(0, 2)};
        out.push_back(InsertStatus::kQuarantined);
        continue;
      }
      const std::string run_id = RunIdOf(e.body);
      Verdict v = CheckPlausibility(e, source, rules, view);
      if (!v.plausible()) {
        auto r = Exec("INSERT INTO quarantine(event_id, type, occurred_at, source, received_at, rule, field, reason, "
                      "run_id, body) VALUES ($1, $2, NULLIF($3, ''), $4, $5, $6, NULLIF($7, ''), $8, NULLIF($9, ''), $10) "
                      "ON CONFLICT (event_id) DO NOTHING",
                      {e.event_id, e.type, e.timestamp, source, now, v.rule, v.field, v.reason, run_id, e.compact});
        if (!r.ok()) return r.error();
        if (verdicts) (*verdicts)[i] = v;
        out.push_back(InsertStatus::kQuarantined);
        continue;
      }
      auto r = Exec("INSERT INTO events(event_id, type, event_schema_version, occurred_at, fingerprint, source, "
                    "received_at, run_id, body) VALUES ($1, $2, $3, NULLIF($4, ''), NULLIF($5, ''), $6, $7, "
                    "NULLIF($8, ''), $9) ON CONFLICT (event_id) DO NOTHING",
                    {e.event_id, e.type, std::to_string(e.schema_version), e.timestamp, e.fingerprint, source, now,
                     run_id, e.compact});
      if (!r.ok()) return r.error();
      out.push_back(InsertStatus::kStored);
      if (enqueue) {
        auto q = Exec("INSERT INTO outbox(event_id, enqueued_at) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING",
                      {e.event_id, now});
        if (!q.ok()) return q.error();
      }
    }
    return out;
  });
}

Result<std::vector<QuarantinedEvent>> PgStore::Quarantined(std::size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  FTCONFIG_ASSIGN_OR_RETURN(q, Query("SELECT event_id, type, source, received_at, rule, COALESCE(field, ''), reason "
                                     "FROM quarantine ORDER BY seq DESC LIMIT $1",
                                     {std::to_string(limit)}));
  std::vector<QuarantinedEvent> out;
  for (int i = 0; i < q.size(); ++i)
    out.push_back({q.Text(i, 0), q.Text(i, 1), q.Text(i, 2), q.Text(i, 3), q.Text(i, 4), q.Text(i, 5), q.Text(i, 6)});
  return out;
}

Result<std::vector<std::pair<std::int64_t, std::string>>> PgStore::EventsSince(std::int64_t cursor,
                                                                               std::size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  FTCONFIG_ASSIGN_OR_RETURN(q, Query("SELECT seq, body FROM events WHERE seq > $1 ORDER BY seq LIMIT $2",
                                     {std::to_string(cursor), std::to_string(limit)}));
  std::vector<std::pair<std::int64_t, std::string>> out;
  for (int i = 0; i < q.size(); ++i) out.push_back({q.Int(i, 0), q.Text(i, 1)});
  return out;
}

Result<std::vector<OutboxItem>> PgStore::PendingBatch(std::size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  FTCONFIG_ASSIGN_OR_RETURN(q, Query("SELECT o.seq, o.event_id, e.body, o.attempts FROM outbox o JOIN events e ON "
                                     "e.event_id = o.event_id WHERE o.state = 'pending' ORDER BY o.seq LIMIT $1",
                                     {std::to_string(limit)}));
  std::vector<OutboxItem> out;
  for (int i = 0; i < q.size(); ++i)
    out.push_back({q.Int(i, 0), q.Text(i, 1), q.Text(i, 2), static_cast<int>(q.Int(i, 3))});
  return out;
}

Result<bool> PgStore::Acknowledge(const std::vector<std::string>& event_ids) {
  if (event_ids.empty()) return true;
  std::lock_guard<std::mutex> lock(mu_);
  const std::string now = NowIso8601();
  return InTransaction<bool>([&]() -> Result<bool> {
    for (const auto& id : event_ids) {
      if (auto r = Exec("UPDATE events SET uploaded_at = COALESCE(uploaded_at, $1) WHERE event_id = $2", {now, id});
          !r.ok())
        return r;
      if (auto r = Exec("DELETE FROM outbox WHERE event_id = $1", {id}); !r.ok()) return r;
    }
    return true;
  });
}

Result<bool> PgStore::UpdateOutbox(const char* sql, const std::vector<std::pair<std::string, std::string>>& id_and_error) {
  if (id_and_error.empty()) return true;
  std::lock_guard<std::mutex> lock(mu_);
  return InTransaction<bool>([&]() -> Result<bool> {
    for (const auto& [id, error] : id_and_error)
      if (auto r = Exec(sql, {error, id}); !r.ok()) return r;
    return true;
  });
}

Result<bool> PgStore::MarkRejected(const std::vector<std::pair<std::string, std::string>>& id_and_reason) {
  return UpdateOutbox("UPDATE outbox SET state = 'rejected', attempts = attempts + 1, last_error = $1 WHERE event_id = $2",
                      id_and_reason);
}

Result<bool> PgStore::CountAttempt(const std::vector<std::string>& event_ids, const std::string& error) {
  std::vector<std::pair<std::string, std::string>> items;
  for (const auto& id : event_ids) items.push_back({id, error});
  return UpdateOutbox("UPDATE outbox SET attempts = attempts + 1, last_error = $1 WHERE event_id = $2", items);
}

Result<std::int64_t> PgStore::RequeueRejected() {
  std::lock_guard<std::mutex> lock(mu_);
  FTCONFIG_ASSIGN_OR_RETURN(q, Query("UPDATE outbox SET state = 'pending' WHERE state = 'rejected'"));
  return q.Affected();
}

Result<std::int64_t> PgStore::PendingCount() {
  std::lock_guard<std::mutex> lock(mu_);
  FTCONFIG_ASSIGN_OR_RETURN(q, Query("SELECT COUNT(*) FROM outbox WHERE state = 'pending'"));
  return q.Int(0, 0);
}

Result<std::vector<json>> PgStore::EventsOfTypes(const std::vector<std::string>& types) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<std::int64_t, json>> rows;
  for (const auto& type : types) {
    FTCONFIG_ASSIGN_OR_RETURN(q, Query("SELECT seq, body FROM events WHERE type = $1", {type}));
    for (int i = 0; i < q.size(); ++i) {
      json j = json::parse(q.Text(i, 1), nullptr, false);
      if (!j.is_discarded()) rows.push_back({q.Int(i, 0), std::move(j)});
    }
  }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<json> out;
  out.reserve(rows.size());
  for (auto& r : rows) out.push_back(std::move(r.second));
  return out;
}

Result<StoreStats> PgStore::Stats() {
  std::lock_guard<std::mutex> lock(mu_);
  // One repeatable-read transaction: the counts agree with each other.
  if (auto r = Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); !r.ok()) return r.error();
  auto read = [this]() -> Result<StoreStats> {
    StoreStats st;
    FTCONFIG_ASSIGN_OR_RETURN(v, Query("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
    st.store_schema_version = static_cast<int>(v.Int(0, 0));
    FTCONFIG_ASSIGN_OR_RETURN(by_type, Query("SELECT type, COUNT(*) FROM events GROUP BY type ORDER BY type"));
    for (int i = 0; i < by_type.size(); ++i) {
      st.events_by_type[by_type.Text(i, 0)] = by_type.Int(i, 1);
      st.events += by_type.Int(i, 1);
    }
    FTCONFIG_ASSIGN_OR_RETURN(box, Query("SELECT (SELECT COUNT(*) FROM outbox WHERE state = 'pending'), "
                                         "(SELECT COUNT(*) FROM outbox WHERE state = 'rejected'), "
                                         "(SELECT COUNT(*) FROM events WHERE uploaded_at IS NOT NULL)"));
    st.outbox_pending = box.Int(0, 0);
    st.outbox_rejected = box.Int(0, 1);
    st.uploaded = box.Int(0, 2);
    FTCONFIG_ASSIGN_OR_RETURN(rules, Query("SELECT rule, COUNT(*) FROM quarantine GROUP BY rule ORDER BY rule"));
    for (int i = 0; i < rules.size(); ++i) {
      st.quarantined_by_rule[rules.Text(i, 0)] = rules.Int(i, 1);
      st.quarantined += rules.Int(i, 1);
    }
    return st;
  };
  auto st = read();
  Exec("COMMIT");
  return st;
}

}  // namespace ftconfig::telemetry
