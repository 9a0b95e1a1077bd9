#include "telemetry_store.h"

#include "telemetry_store_pg.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>

namespace ftconfig::telemetry {

namespace {

// Each migration takes the store from version N-1 to N; never edit one that
// has shipped, append a new one.
struct Migration {
  int version;
  const char* sql;
};

const Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE events (
  seq                  INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id             TEXT    NOT NULL UNIQUE,
  type                 TEXT    NOT NULL,
  event_schema_version INTEGER NOT NULL,
  occurred_at          TEXT,
  fingerprint          TEXT,
  source               TEXT    NOT NULL,
  received_at          TEXT    NOT NULL,
  uploaded_at          TEXT,
  body                 TEXT    NOT NULL
);
CREATE INDEX events_by_type ON events(type, occurred_at);
CREATE INDEX events_by_fingerprint ON events(fingerprint);
CREATE TABLE outbox (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
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
  seq                  INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id             TEXT    NOT NULL UNIQUE,
  type                 TEXT    NOT NULL,
  occurred_at          TEXT,
  source               TEXT    NOT NULL,
  received_at          TEXT    NOT NULL,
  rule                 TEXT    NOT NULL,
  field                TEXT,
  reason               TEXT    NOT NULL,
  body                 TEXT    NOT NULL
);
CREATE INDEX quarantine_by_rule ON quarantine(rule);
CREATE INDEX events_by_source ON events(source, received_at);
CREATE INDEX quarantine_by_source ON quarantine(source, received_at);
CREATE INDEX events_by_run ON events(type, json_extract(body, '$.run_id'));
CREATE INDEX quarantine_by_run ON quarantine(type, json_extract(body, '$.run_id'));
)sql"},
};

// A prepared statement that finalizes itself.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return s_; }
  void Text(int i, const std::string& v) { sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT); }
  void TextOrNull(int i, const std::string& v) {
    if (v.empty()) sqlite3_bind_null(s_, i); else Text(i, v);
  }
  void Int(int i, std::int64_t v) { sqlite3_bind_int64(s_, i, v); }
  int Step() { return sqlite3_step(s_); }
  void Reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  std::int64_t ColInt(int i) { return sqlite3_column_int64(s_, i); }
  std::string ColText(int i) {
    const unsigned char* t = sqlite3_column_text(s_, i);
    return t ? std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(s_, i))) : "";
  }

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_ = SQLITE_ERROR;
};

}  // namespace

std::string DefaultStorePath() {
  if (const char* p = std::getenv("FTCONFIG_TELEMETRY_STORE"); p && *p) return p;
  if (const char* u = std::getenv("DATABASE_URL"); u && IsPostgresUrl(u)) return u;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return std::string(x) + "/ftconfig/telemetry.db";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.local/share/ftconfig/telemetry.db";
  return "ftconfig-telemetry.db";
}

const char* ToString(InsertStatus s) {
  switch (s) {
    case InsertStatus::kStored: return "stored";
    case InsertStatus::kDuplicate: return "duplicate";
    case InsertStatus::kConflict: return "conflict";
    case InsertStatus::kQuarantined: return "quarantined";
  }
  return "unknown";
}

Error Store::Fail(const std::string& what) const {
  std::string detail = db_ ? sqlite3_errmsg(db_) : "cannot open";
  return Error{ErrorCode::kInvalidValue, field_, "telemetry store \"" + path_ + "\": " + what + ": " + detail};
}

Result<bool> Store::Exec(const std::string& sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string m = msg ? msg : "error";
    sqlite3_free(msg);
    return Error{ErrorCode::kInvalidValue, field_, "telemetry store \"" + path_ + "\": " + m};
  }
  return true;
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, const std::string& field) {
  std::unique_ptr<Store> s(new Store());
  s->path_ = path;
  s->field_ = field;
  if (path.empty()) return Error{ErrorCode::kInvalidValue, field, "the telemetry store path is empty"};
  if (path.size() > 4096 || path.find('\0') != std::string::npos)
    return Error{ErrorCode::kInvalidValue, field, "the telemetry store path or URL must be at most 4096 characters"};
  if (IsPostgresUrl(path)) {
    s->path_ = RedactUrl(path);
    auto pg = PgStore::Open(path, field);
    if (!pg.ok()) return pg.error();
    s->pg_ = std::move(pg.value());
    return s;
  }
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (sqlite3_open_v2(path.c_str(), &s->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK)
    return s->Fail("cannot open");
  sqlite3_busy_timeout(s->db_, 10000);
  // WAL: readers never block the writer, and a killed writer leaves the last
  // committed state. synchronous=FULL: a commit is on disk before we answer
  // (the collector acknowledges events only after that).
  {
    Stmt wal(s->db_, "PRAGMA journal_mode=WAL");
    if (!wal.ok() || wal.Step() != SQLITE_ROW) return s->Fail("cannot switch to WAL");
    if (wal.ColText(0) != "wal") return s->Fail("WAL journal mode is not available");
  }
  if (auto r = s->Exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"); !r.ok()) return r.error();
  if (auto r = s->Migrate(); !r.ok()) return r.error();
  return s;
}

Store::~Store() {
  if (db_) sqlite3_close_v2(db_);
}

Result<bool> Store::Migrate() {
  if (auto r = Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
      !r.ok())
    return r;
  // BEGIN IMMEDIATE: two processes opening a new store at once migrate once.
  if (auto r = Exec("BEGIN IMMEDIATE"); !r.ok()) return r;
  auto rollback = [this](Error e) -> Result<bool> {
    Exec("ROLLBACK");
    return e;
  };
  int current = 0;
  {
    Stmt q(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
    if (!q.ok() || q.Step() != SQLITE_ROW) return rollback(Fail("cannot read schema_version"));
    current = static_cast<int>(q.ColInt(0));
  }
  if (current > kStoreSchemaVersion)
    return rollback(Error{ErrorCode::kUnsupported, field_,
                          "telemetry store \"" + path_ + "\" has schema version " + std::to_string(current) +
                              ", newer than this ftconfig (" + std::to_string(kStoreSchemaVersion) +
                              "): upgrade ftconfig"});
  for (const auto& m : kMigrations) {
    if (m.version <= current) continue;
    if (auto r = Exec(m.sql); !r.ok()) return rollback(r.error());
    Stmt ins(db_, "INSERT INTO schema_version(version, applied_at) VALUES (?, ?)");
    ins.Int(1, m.version);
    ins.Text(2, NowIso8601());
    if (ins.Step() != SQLITE_DONE) return rollback(Fail("cannot record migration"));
  }
  if (auto r = Exec("COMMIT"); !r.ok()) return rollback(r.error());
  return true;
}

namespace {
// The store as the plausibility checks see it, inside the insert's transaction.
class StoreView : public PlausibilityView {
 public:
  explicit StoreView(sqlite3* db)
      : start_(db, "SELECT body FROM events WHERE type = 'run_start' AND json_extract(body, '$.run_id') = ?1 LIMIT 1"),
        done_(db,
              "SELECT 1 FROM events WHERE type = 'run_complete' AND json_extract(body, '$.run_id') = ?1 UNION ALL "
              "SELECT 1 FROM quarantine WHERE type = 'run_complete' AND json_extract(body, '$.run_id') = ?1 LIMIT 1"),
        from_(db,
              "SELECT (SELECT COUNT(*) FROM events WHERE source = ?1 AND received_at >= ?2) + "
              "(SELECT COUNT(*) FROM quarantine WHERE source = ?1 AND received_at >= ?2)") {}
  bool ok() const { return start_.ok() && done_.ok() && from_.ok(); }
  json RunStart(const std::string& run_id) override {
    start_.Text(1, run_id);
    json out = start_.Step() == SQLITE_ROW ? json::parse(start_.ColText(0), nullptr, false) : json(nullptr);
    start_.Reset();
    return out.is_discarded() ? json(nullptr) : out;
  }
  bool HasCompletion(const std::string& run_id) override {
    done_.Text(1, run_id);
    bool found = done_.Step() == SQLITE_ROW;
    done_.Reset();
    return found;
  }
  std::int64_t ReceivedFrom(const std::string& source, const std::string& since) override {
    from_.Text(1, source);
    from_.Text(2, since);
    std::int64_t n = from_.Step() == SQLITE_ROW ? from_.ColInt(0) : 0;
    from_.Reset();
    return n;
  }

 private:
  Stmt start_, done_, from_;
};
}  // namespace

Result<std::vector<InsertStatus>> Store::Insert(const std::vector<Event>& events, const std::string& source,
                                                bool enqueue, std::vector<Verdict>* verdicts) {
  if (pg_) return pg_->Insert(events, source, enqueue, rules_, verdicts);
  std::vector<InsertStatus> out;
  out.reserve(events.size());
  if (verdicts) verdicts->assign(events.size(), Verdict{});
  if (auto r = Exec("BEGIN IMMEDIATE"); !r.ok()) return r.error();
  auto rollback = [this](Error e) -> Result<std::vector<InsertStatus>> {
    Exec("ROLLBACK");
    return e;
  };
  Stmt ins(db_,
           "INSERT INTO events(event_id, type, event_schema_version, occurred_at, fingerprint, source, received_at, "
           "body) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(event_id) DO NOTHING");
  Stmt get(db_, "SELECT body FROM events WHERE event_id = ?");
  Stmt held(db_, "SELECT rule, field, reason FROM quarantine WHERE event_id = ?");
  Stmt hold(db_,
            "INSERT INTO quarantine(event_id, type, occurred_at, source, received_at, rule, field, reason, body) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(event_id) DO NOTHING");
  Stmt enq(db_, "INSERT INTO outbox(event_id, enqueued_at) VALUES (?, ?) ON CONFLICT(event_id) DO NOTHING");
  StoreView view(db_);
  if (!ins.ok() || !get.ok() || !held.ok() || !hold.ok() || !enq.ok() || !view.ok())
    return rollback(Fail("cannot prepare insert"));
  const std::string now = NowIso8601();
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    const std::string& body = e.compact;
    get.Text(1, e.event_id);
    const bool known = get.Step() == SQLITE_ROW;
    std::string stored = known ? get.ColText(0) : std::string();
    get.Reset();
    if (known) {
      out.push_back(stored == body ? InsertStatus::kDuplicate : InsertStatus::kConflict);
      continue;
    }
    held.Text(1, e.event_id);
    if (held.Step() == SQLITE_ROW) {
      if (verdicts) (*verdicts)[i] = {held.ColText(0), held.ColText(1), held.ColText(2)};
      held.Reset();
      out.push_back(InsertStatus::kQuarantined);
      continue;
    }
    held.Reset();
    Verdict v = CheckPlausibility(e, source, rules_, view);
    if (!v.plausible()) {
      const std::string fields[] = {e.event_id, e.type, e.timestamp, source, now, v.rule, v.field, v.reason, body};
      for (int k = 0; k < 9; ++k) hold.TextOrNull(k + 1, fields[k]);
      if (hold.Step() != SQLITE_DONE) return rollback(Fail("cannot quarantine event " + e.event_id));
      hold.Reset();
      if (verdicts) (*verdicts)[i] = v;
      out.push_back(InsertStatus::kQuarantined);
      continue;
    }
    ins.Text(1, e.event_id);
    ins.Text(2, e.type);
    ins.Int(3, e.schema_version);
    ins.TextOrNull(4, e.timestamp);
    ins.TextOrNull(5, e.fingerprint);
    ins.Text(6, source);
    ins.Text(7, now);
    ins.Text(8, body);
    if (ins.Step() != SQLITE_DONE) return rollback(Fail("cannot insert event " + e.event_id));
    ins.Reset();
    out.push_back(InsertStatus::kStored);
    if (enqueue) {
      enq.Text(1, e.event_id);
      enq.Text(2, now);
      if (enq.Step() != SQLITE_DONE) return rollback(Fail("cannot queue event " + e.event_id));
      enq.Reset();
    }
  }
  if (auto r = Exec("COMMIT"); !r.ok()) return rollback(r.error());
  return out;
}

Result<std::vector<QuarantinedEvent>> Store::Quarantined(std::size_t limit) {
  if (pg_) return pg_->Quarantined(limit);
  Stmt q(db_,
         "SELECT event_id, type, source, received_at, rule, COALESCE(field, ''), reason FROM quarantine "
         "ORDER BY seq DESC LIMIT ?");
  if (!q.ok()) return Fail("cannot read the quarantine");
  q.Int(1, static_cast<std::int64_t>(limit));
  std::vector<QuarantinedEvent> out;
  while (q.Step() == SQLITE_ROW)
    out.push_back({q.ColText(0), q.ColText(1), q.ColText(2), q.ColText(3), q.ColText(4), q.ColText(5), q.ColText(6)});
  return out;
}

Result<std::vector<std::pair<std::int64_t, std::string>>> Store::EventsSince(std::int64_t cursor, std::size_t limit) {
  if (pg_) return pg_->EventsSince(cursor, limit);
  Stmt q(db_, "SELECT seq, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?");
  if (!q.ok()) return Fail("cannot read events");
  q.Int(1, cursor);
  q.Int(2, static_cast<std::int64_t>(limit));
  std::vector<std::pair<std::int64_t, std::string>> out;
  while (q.Step() == SQLITE_ROW) out.push_back({q.ColInt(0), q.ColText(1)});
  return out;
}

Result<std::vector<OutboxItem>> Store::PendingBatch(std::size_t limit) {
  if (pg_) return pg_->PendingBatch(limit);
  Stmt q(db_,
         "SELECT o.seq, o.event_id, e.body, o.attempts FROM outbox o JOIN events e ON e.event_id = o.event_id "
         "WHERE o.state = 'pending' ORDER BY o.seq LIMIT ?");
  if (!q.ok()) return Fail("cannot read the outbox");
  q.Int(1, static_cast<std::int64_t>(limit));
  std::vector<OutboxItem> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW)
    out.push_back({q.ColInt(0), q.ColText(1), q.ColText(2), static_cast<int>(q.ColInt(3))});
  if (rc != SQLITE_DONE) return Fail("cannot read the outbox");
  return out;
}

namespace {
// Runs `per_item` for each item inside one transaction.
template <typename T>
Result<bool> InTransaction(sqlite3* db, const std::vector<T>& items, const char* sql,
                           const std::function<void(Stmt&, const T&)>& bind, const std::function<Error()>& fail) {
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) return fail();
  Stmt s(db, sql);
  bool ok = s.ok();
  for (size_t i = 0; ok && i < items.size(); ++i) {
    bind(s, items[i]);
    ok = s.Step() == SQLITE_DONE;
    s.Reset();
  }
  if (ok && sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK) return true;
  Error e = fail();
  sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  return e;
}
}  // namespace

Result<bool> Store::Acknowledge(const std::vector<std::string>& event_ids) {
  if (pg_) return pg_->Acknowledge(event_ids);
  if (event_ids.empty()) return true;
  const std::string now = NowIso8601();
  // One statement pair per id: mark uploaded, then leave the outbox.
  if (auto r = Exec("BEGIN IMMEDIATE"); !r.ok()) return r;
  Stmt up(db_, "UPDATE events SET uploaded_at = COALESCE(uploaded_at, ?) WHERE event_id = ?");
  Stmt del(db_, "DELETE FROM outbox WHERE event_id = ?");
  bool ok = up.ok() && del.ok();
  for (size_t i = 0; ok && i < event_ids.size(); ++i) {
    up.Text(1, now);
    up.Text(2, event_ids[i]);
    del.Text(1, event_ids[i]);
    ok = up.Step() == SQLITE_DONE && del.Step() == SQLITE_DONE;
    up.Reset();
    del.Reset();
  }
  if (ok) {
    if (auto r = Exec("COMMIT"); r.ok()) return true;
  }
  Error e = Fail("cannot acknowledge uploaded events");
  Exec("ROLLBACK");
  return e;
}

Result<bool> Store::MarkRejected(const std::vector<std::pair<std::string, std::string>>& id_and_reason) {
  if (pg_) return pg_->MarkRejected(id_and_reason);
  if (id_and_reason.empty()) return true;
  using Item = std::pair<std::string, std::string>;
  return InTransaction<Item>(
      db_, id_and_reason,
      "UPDATE outbox SET state = 'rejected', attempts = attempts + 1, last_error = ? WHERE event_id = ?",
      [](Stmt& s, const Item& it) {
        s.Text(1, it.second);
        s.Text(2, it.first);
      },
      [this] { return Fail("cannot mark rejected events"); });
}

Result<bool> Store::CountAttempt(const std::vector<std::string>& event_ids, const std::string& error) {
  if (pg_) return pg_->CountAttempt(event_ids, error);
  if (event_ids.empty()) return true;
  return InTransaction<std::string>(
      db_, event_ids, "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE event_id = ?",
      [&error](Stmt& s, const std::string& id) {
        s.Text(1, error);
        s.Text(2, id);
      },
      [this] { return Fail("cannot count a delivery attempt"); });
}

Result<std::int64_t> Store::RequeueRejected() {
  if (pg_) return pg_->RequeueRejected();
  if (auto r = Exec("UPDATE outbox SET state = 'pending' WHERE state = 'rejected'"); !r.ok()) return r.error();
  return static_cast<std::int64_t>(sqlite3_changes(db_));
}

Result<bool> Store::SetFullSync(bool full) {
  if (pg_) return true;  // PostgreSQL: every commit stays durable (synchronous_commit as the server sets it)
  return Exec(full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
}

Result<bool> Store::Checkpoint() {
  if (pg_) return true;  // a PostgreSQL commit is durable when it returns
  // In WAL mode the log is synced before any checkpoint, complete or not.
  return Exec("PRAGMA wal_checkpoint(PASSIVE)");
}

Result<std::int64_t> Store::PendingCount() {
  if (pg_) return pg_->PendingCount();
  Stmt q(db_, "SELECT COUNT(*) FROM outbox WHERE state = 'pending'");
  if (!q.ok() || q.Step() != SQLITE_ROW) return Fail("cannot read the outbox");
  return q.ColInt(0);
}

Result<std::vector<json>> Store::EventsOfTypes(const std::vector<std::string>& types) {
  if (pg_) return pg_->EventsOfTypes(types);
  std::vector<json> out;
  for (const auto& type : types) {  // few types; the (type, occurred_at) index serves each
    Stmt q(db_, "SELECT seq, body FROM events WHERE type = ?1");
    if (!q.ok()) return Fail("cannot read events");
    q.Text(1, type);
    while (q.Step() == SQLITE_ROW) {
      json j = json::parse(q.ColText(1), nullptr, false);
      if (j.is_discarded()) continue;
      j["_seq"] = q.ColInt(0);
      out.push_back(std::move(j));
    }
  }
  std::sort(out.begin(), out.end(), [](const json& a, const json& b) { return a["_seq"].get<std::int64_t>() < b["_seq"].get<std::int64_t>(); });
  for (auto& j : out) j.erase("_seq");
  return out;
}

Result<StoreStats> Store::Stats() {
  if (pg_) return pg_->Stats();
  StoreStats st;
  // One read transaction: the counts agree with each other.
  if (auto r = Exec("BEGIN"); !r.ok()) return r.error();
  auto done = [this](Result<StoreStats> r) {
    Exec("COMMIT");
    return r;
  };
  {
    Stmt q(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
    if (!q.ok() || q.Step() != SQLITE_ROW) return done(Fail("cannot read schema_version"));
    st.store_schema_version = static_cast<int>(q.ColInt(0));
  }
  {
    Stmt q(db_, "SELECT type, COUNT(*) FROM events GROUP BY type ORDER BY type");
    if (!q.ok()) return done(Fail("cannot count events"));
    while (q.Step() == SQLITE_ROW) {
      st.events_by_type[q.ColText(0)] = q.ColInt(1);
      st.events += q.ColInt(1);
    }
  }
  {
    Stmt q(db_,
           "SELECT (SELECT COUNT(*) FROM outbox WHERE state = 'pending'), "
           "(SELECT COUNT(*) FROM outbox WHERE state = 'rejected'), "
           "(SELECT COUNT(*) FROM events WHERE uploaded_at IS NOT NULL)");
    if (!q.ok() || q.Step() != SQLITE_ROW) return done(Fail("cannot count the outbox"));
    st.outbox_pending = q.ColInt(0);
    st.outbox_rejected = q.ColInt(1);
    st.uploaded = q.ColInt(2);
  }
  {
    Stmt q(db_, "SELECT rule, COUNT(*) FROM quarantine GROUP BY rule ORDER BY rule");
    if (!q.ok()) return done(Fail("cannot count the quarantine"));
    while (q.Step() == SQLITE_ROW) {
      st.quarantined_by_rule[q.ColText(0)] = q.ColInt(1);
      st.quarantined += q.ColInt(1);
    }
  }
  return done(st);
}

}  // namespace ftconfig::telemetry
