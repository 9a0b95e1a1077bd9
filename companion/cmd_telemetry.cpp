// ftconfig telemetry record | import | upload | status: the local telemetry
// store (SQLite) and its outbox. See docs/telemetry.md, "Companion".
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "commands.h"
#include "data_files.h"
#include "ftconfig/json_text.h"
#include "ftconfig/recommend.h"
#include "telemetry_event.h"
#include "telemetry_store.h"
#include "telemetry_store_pg.h"
#include "telemetry_upload.h"

namespace ftconfig::cli {

namespace {

using telemetry::Event;
using telemetry::InsertStatus;
using telemetry::Store;

// Exit code when events were not delivered (receiver unreachable, token
// refused): distinct from 2, which means the command line or input was wrong.
constexpr int kExitNotDelivered = 1;

Result<std::unique_ptr<Store>> OpenStore(const std::string& path, const std::string& data_dir = "") {
  auto store = Store::Open(path.empty() ? telemetry::DefaultStorePath() : path, "--store");
  if (store.ok()) store.value()->SetPlausibilityRules(telemetry::DefaultPlausibilityRules(data_dir));
  return store;
}

// Sets a (possibly dotted) field of `j`.
void SetPath(json& j, const std::string& path, json value) {
  json* cur = &j;
  size_t start = 0;
  for (size_t dot; (dot = path.find('.', start)) != std::string::npos; start = dot + 1) {
    json& next = (*cur)[path.substr(start, dot - start)];
    if (!next.is_object()) next = json::object();
    cur = &next;
  }
  (*cur)[path.substr(start)] = std::move(value);
}

Result<json> FlagValue(const telemetry::RecordFlag& f, const std::string& text) {
  if (f.kind == telemetry::RecordFlag::kString) return json(text);
  json v = json::parse(text, nullptr, false);
  if (v.is_discarded() || !v.is_number() || (f.kind == telemetry::RecordFlag::kInteger && !v.is_number_integer()))
    return Error{ErrorCode::kInvalidType, std::string(f.flag),
                 "\"" + text + "\" is not " + (f.kind == telemetry::RecordFlag::kInteger ? "an integer" : "a number")};
  return v;
}

void PrintLineErrors(const json& errors, std::size_t limit) {
  std::size_t n = 0;
  for (const auto& e : errors) {
    if (n++ == limit) {
      std::cerr << "ftconfig: import: ... and " << errors.size() - limit << " more (all listed on stdout)" << std::endl;
      return;
    }
    std::cerr << "ftconfig: " << e["at"].get<std::string>() << ": "
              << (e["field"].get<std::string>().empty() ? "" : e["field"].get<std::string>() + ": ")
              << e["message"].get<std::string>() << std::endl;
  }
}

void AddRecord(CLI::App& tel, Context& ctx, std::shared_ptr<std::string> store_path) {
  struct Args {
    std::string type;
    std::string input;
    std::vector<std::string> sets;
    bool no_queue = false;
    std::map<std::string, std::string> values;  // flag -> text
  };
  auto a = std::make_shared<Args>();
  auto* rec = tel.add_subcommand("record", "Record one event (run-start, run-complete, feedback) in the local store");
  rec->add_option("type", a->type, "Event type")->required()->check(CLI::IsMember(telemetry::RecordTypes()));
  rec->add_option("event", a->input, "The event as JSON: a file, or - for stdin; flags override its fields");
  for (const auto& f : telemetry::RecordFlags()) {
    rec->add_option(f.flag, a->values[f.flag], f.help)
        ->type_name(f.kind == telemetry::RecordFlag::kString    ? "TEXT"
                    : f.kind == telemetry::RecordFlag::kInteger ? "INT"
                                                                : "NUMBER");
  }
  rec->add_option("--set", a->sets, "FIELD=VALUE for any other field (VALUE as JSON when it parses, else text; "
                                    "dotted FIELD for nested objects)");
  rec->add_option("--store", *store_path, "Telemetry store (a file, or a postgresql:// URL; default: $FTCONFIG_TELEMETRY_STORE, a postgres $DATABASE_URL, or ~/.local/share/ftconfig/telemetry.db)");
  rec->add_flag("--no-queue", a->no_queue, "Store only; do not queue the event for upload");
  rec->callback([&ctx, a, store_path, rec]() {
    ctx.exit_code = RunGuarded([&]() -> int {
      json ev = json::object();
      if (!a->input.empty()) {
        auto text = ReadInput(a->input, "event");
        if (!text.ok()) return ReportError(text.error());
        ev = json::parse(text.value(), nullptr, false);
        if (ev.is_discarded())
          return ReportError({ErrorCode::kInvalidJson, "event", "the event is not valid JSON: " + JsonSyntaxError(text.value())});
        if (!ev.is_object()) return ReportError({ErrorCode::kInvalidType, "event", "the event must be a JSON object"});
      }
      for (const auto& f : telemetry::RecordFlags()) {
        if (rec->count(f.flag) == 0) continue;
        auto v = FlagValue(f, a->values[f.flag]);
        if (!v.ok()) return ReportError(v.error());
        SetPath(ev, f.field, v.value());
      }
      for (const auto& s : a->sets) {
        size_t eq = s.find('=');
        if (eq == std::string::npos || eq == 0)
          return ReportError({ErrorCode::kInvalidValue, "--set", "\"" + s + "\" is not FIELD=VALUE"});
        json v = json::parse(s.substr(eq + 1), nullptr, false);
        SetPath(ev, s.substr(0, eq), v.is_discarded() ? json(s.substr(eq + 1)) : v);
      }
      auto filled = telemetry::FillRecordDefaults(ev, a->type, Engine::Version());
      if (!filled.ok()) return ReportError(filled.error());
      // The model slot and version this CLI serves, unless the event says (canary health).
      if (!filled.value().contains("model_version")) {
        auto served = ServedModel(ctx.models_dir);
        if (served.ok() && !served.value().second.empty()) {
          filled.value()["model_slot"] = served.value().first;
          filled.value()["model_version"] = served.value().second;
        }
      }
      auto valid = telemetry::ValidateEvent(filled.value());
      if (!valid.ok()) return ReportError(valid.error());
      auto store = OpenStore(*store_path, ctx.data_dir);
      if (!store.ok()) return ReportError(store.error());
      std::vector<telemetry::Verdict> verdicts;
      auto st = store.value()->Insert({valid.value()}, "record", !a->no_queue, &verdicts);
      if (!st.ok()) return ReportError(st.error());
      InsertStatus s = st.value()[0];
      if (s == InsertStatus::kQuarantined)
        std::cerr << "ftconfig: telemetry record: quarantined (" << verdicts[0].rule << "): " << verdicts[0].reason
                  << std::endl;
      if (s == InsertStatus::kConflict)
        return ReportError({ErrorCode::kInvalidValue, "event_id",
                            "event " + valid.value().event_id + " is already stored with different content"});
      const json& body = valid.value().body;
      std::cout << json{{"event_id", valid.value().event_id}, {"event", valid.value().type},
                        {"run_id", body.contains("run_id") ? body["run_id"] : json(nullptr)},
                        {"status", telemetry::ToString(s)},
                        {"queued", s == InsertStatus::kStored && !a->no_queue},
                        {"quarantine", s == InsertStatus::kQuarantined
                                           ? json{{"rule", verdicts[0].rule}, {"field", verdicts[0].field},
                                                  {"reason", verdicts[0].reason}}
                                           : json(nullptr)},
                        {"store", store.value()->path()}}
                       .dump()
                << std::endl;
      return 0;
    });
  });
}

void AddImport(CLI::App& tel, Context& ctx, std::shared_ptr<std::string> store_path) {
  struct Args {
    std::vector<std::string> files;
    bool no_queue = false;
    bool all_or_nothing = false;
  };
  auto a = std::make_shared<Args>();
  auto* imp = tel.add_subcommand("import", "Import JSONL events (notebook telemetry file, browser export) into the store");
  imp->add_option("files", a->files, "JSONL files (- for stdin)")->required();
  imp->add_option("--store", *store_path, "Telemetry store (a file, or a postgresql:// URL; default: $FTCONFIG_TELEMETRY_STORE, a postgres $DATABASE_URL, or ~/.local/share/ftconfig/telemetry.db)");
  imp->add_flag("--no-queue", a->no_queue, "Store only; do not queue the events for upload");
  imp->add_flag("--all-or-nothing", a->all_or_nothing, "Store nothing when any line is rejected");
  imp->callback([&ctx, a, store_path]() {
    ctx.exit_code = RunGuarded([&]() -> int {
      auto store = OpenStore(*store_path, ctx.data_dir);
      if (!store.ok()) return ReportError(store.error());
      // Chunks commit without waiting for the disk; one sync at the end makes
      // the whole import durable (a killed import keeps the chunks committed).
      if (auto r = store.value()->SetFullSync(false); !r.ok()) return ReportError(r.error());
      json errors = json::array();
      std::int64_t lines = 0, blank = 0, stored = 0, duplicates = 0, quarantined = 0;
      json quarantine = json::array();  // the first 100, with why
      std::vector<Event> batch;
      std::vector<std::string> batch_at;  // file:line of each batched event
      const std::size_t kChunk = 20000;
      auto flush = [&]() -> Result<bool> {
        if (batch.empty()) return true;
        std::vector<telemetry::Verdict> verdicts;
        auto st = store.value()->Insert(batch, "import", !a->no_queue, &verdicts);
        if (!st.ok()) return st.error();
        for (size_t i = 0; i < batch.size(); ++i) {
          switch (st.value()[i]) {
            case InsertStatus::kStored: ++stored; break;
            case InsertStatus::kDuplicate: ++duplicates; break;
            case InsertStatus::kQuarantined:
              ++quarantined;
              if (quarantine.size() < 100)
                quarantine.push_back({{"at", batch_at[i]}, {"rule", verdicts[i].rule}, {"field", verdicts[i].field},
                                      {"reason", verdicts[i].reason}});
              break;
            case InsertStatus::kConflict:
              errors.push_back({{"at", batch_at[i]}, {"code", "conflict"}, {"field", "event_id"},
                                {"message", "event " + batch[i].event_id +
                                                " is already stored with different content; event ids must be unique"}});
              break;
          }
        }
        batch.clear();
        batch_at.clear();
        return true;
      };
      for (const auto& file : a->files) {
        std::ifstream fin;
        std::istream* in = &std::cin;
        if (file != "-") {
          fin.open(file, std::ios::binary);
          if (!fin) return ReportError({ErrorCode::kInvalidValue, "files", "cannot read file \"" + file + "\""});
          in = &fin;
        }
        std::string line;
        std::int64_t line_no = 0;
        while (std::getline(*in, line)) {
          ++line_no;
          ++lines;
          if (!line.empty() && line.back() == '\r') line.pop_back();
          const std::string at = (file == "-" ? std::string("stdin") : file) + ":" + std::to_string(line_no);
          if (line.find_first_not_of(" \t") == std::string::npos) {
            ++blank;
            continue;
          }
          auto reject = [&](const Error& e) {
            json rejected = ErrorObject(e);
            rejected["at"] = at;
            errors.push_back(std::move(rejected));
          };
          json j = json::parse(line, nullptr, false);
          if (j.is_discarded()) {
            reject({ErrorCode::kInvalidJson, "", "not valid JSON: " + JsonSyntaxError(line)});
            continue;
          }
          auto ev = telemetry::ValidateEvent(j);
          if (!ev.ok()) {
            reject(ev.error());
            continue;
          }
          ev.value().body = json();  // only the compact form is stored
          batch.push_back(std::move(ev.value()));
          batch_at.push_back(at);
          if (!a->all_or_nothing && batch.size() >= kChunk) {
            if (auto r = flush(); !r.ok()) return ReportError(r.error());
          }
        }
      }
      bool refused = a->all_or_nothing && !errors.empty();
      if (!refused) {
        if (auto r = flush(); !r.ok()) return ReportError(r.error());
      }
      if (auto r = store.value()->Checkpoint(); !r.ok()) return ReportError(r.error());
      json out = {{"store", store.value()->path()}, {"files", a->files}, {"lines", lines}, {"blank", blank},
                  {"stored", refused ? 0 : stored}, {"duplicates", duplicates},
                  {"quarantined", quarantined}, {"quarantine", quarantine},
                  {"rejected", errors.size()}, {"queued", a->no_queue || refused ? 0 : stored},
                  {"all_or_nothing_refused", refused}, {"errors", errors}};
      std::cout << out.dump(2) << std::endl;
      PrintLineErrors(errors, 20);
      if (quarantined > 0)
        std::cerr << "ftconfig: import: " << quarantined << " implausible events quarantined (not trained on; "
                  << "ftconfig telemetry status lists why)" << std::endl;
      if (!errors.empty()) {
        std::cerr << "ftconfig: import: " << errors.size() << " of " << (lines - blank) << " lines rejected"
                  << (refused ? "; nothing stored (--all-or-nothing)" : "") << std::endl;
        return 2;
      }
      return 0;
    });
  });
}

void AddUpload(CLI::App& tel, Context& ctx, std::shared_ptr<std::string> store_path) {
  struct Args {
    telemetry::UploadOptions o;
    std::string token_env;
    bool quiet = false;
    bool requeue = false;
  };
  auto a = std::make_shared<Args>();
  auto* up = tel.add_subcommand("upload", "Send the outbox to a collector (batched, retried, idempotent by event id)");
  up->add_option("--to", a->o.url, "Collector URL, e.g. http://127.0.0.1:8787 (POSTs to /v1/events)")->required();
  up->add_option("--token-env", a->token_env, "Environment variable holding the bearer token")->required();
  up->add_option("--store", *store_path, "Telemetry store (a file, or a postgresql:// URL; default: $FTCONFIG_TELEMETRY_STORE, a postgres $DATABASE_URL, or ~/.local/share/ftconfig/telemetry.db)");
  up->add_option("--batch", a->o.batch, "Events per request")->capture_default_str()->check(CLI::Range(1, 100000));
  up->add_option("--max-retries", a->o.max_retries, "Consecutive failed attempts before giving up")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  up->add_option("--retry-base-ms", a->o.retry_base_ms, "First backoff; doubles per failed attempt, with jitter")
      ->capture_default_str()
      ->check(CLI::Range(1, 600000));
  up->add_option("--retry-max-ms", a->o.retry_max_ms, "Longest backoff")->capture_default_str()->check(CLI::Range(1, 3600000));
  up->add_option("--timeout-s", a->o.timeout_s, "Timeout of one request")->capture_default_str()->check(CLI::Range(1, 3600));
  up->add_flag("--quiet", a->quiet, "No progress lines on stderr");
  up->add_flag("--requeue-rejected", a->requeue, "Put events the receiver rejected back in the queue first");
  up->callback([&ctx, a, store_path]() {
    ctx.exit_code = RunGuarded([&]() -> int {
      const char* token = std::getenv(a->token_env.c_str());
      if (!token || !*token)
        return ReportError({ErrorCode::kMissingField, "--token-env",
                            "environment variable " + a->token_env + " is not set or empty"});
      a->o.token = token;
      a->o.progress = !a->quiet;
      auto store = OpenStore(*store_path);
      if (!store.ok()) return ReportError(store.error());
      std::int64_t requeued = 0;
      if (a->requeue) {
        auto r = store.value()->RequeueRejected();
        if (!r.ok()) return ReportError(r.error());
        requeued = r.value();
      }
      auto rep = telemetry::Upload(*store.value(), a->o);
      if (!rep.ok()) return ReportError(rep.error());
      const auto& r = rep.value();
      json out = {{"to", a->o.url},           {"sent", r.sent},         {"duplicates", r.duplicates},
                  {"rejected", r.rejected},   {"remaining", r.remaining}, {"batches", r.batches},
                  {"requests", r.requests},   {"retries", r.retries},   {"requeued", requeued},
                  {"elapsed_s", std::round(r.elapsed_s * 1000) / 1000}};
      if (!r.failure_code.empty()) {
        out["error"] = {{"code", r.failure_code}, {"field", "--to"}, {"message", r.failure}};
        std::cout << out.dump() << std::endl;
        std::cerr << "ftconfig: upload: " << r.failure << "; " << r.remaining
                  << " events stay queued (run upload again)" << std::endl;
        return kExitNotDelivered;
      }
      std::cout << out.dump() << std::endl;
      if (r.rejected > 0)
        std::cerr << "ftconfig: upload: " << r.rejected
                  << " events rejected by the receiver (kept in the store; see above)" << std::endl;
      return 0;
    });
  });
}

void AddStatus(CLI::App& tel, Context& ctx, std::shared_ptr<std::string> store_path) {
  auto format = std::make_shared<std::string>("json");
  auto* st = tel.add_subcommand("status", "Events in the store by type, and the outbox");
  st->add_option("--store", *store_path, "Telemetry store (a file, or a postgresql:// URL; default: $FTCONFIG_TELEMETRY_STORE, a postgres $DATABASE_URL, or ~/.local/share/ftconfig/telemetry.db)");
  st->add_option("--format", *format, "json | text")->check(CLI::IsMember({"json", "text"}));
  st->callback([&ctx, store_path, format]() {
    ctx.exit_code = RunGuarded([&]() -> int {
      auto store = OpenStore(*store_path);
      if (!store.ok()) return ReportError(store.error());
      auto s = store.value()->Stats();
      if (!s.ok()) return ReportError(s.error());
      const auto& v = s.value();
      if (*format == "text") {
        std::cout << "store: " << store.value()->path() << " (schema " << v.store_schema_version << ")\n"
                  << "events: " << v.events << "\n";
        for (const auto& [type, n] : v.events_by_type) std::cout << "  " << type << ": " << n << "\n";
        std::cout << "outbox: " << v.outbox_pending << " pending, " << v.outbox_rejected << " rejected; "
                  << v.uploaded << " uploaded\n";
        std::cout << "quarantined (implausible, never trained on): " << v.quarantined << "\n";
        for (const auto& [rule, n] : v.quarantined_by_rule) std::cout << "  " << rule << ": " << n << "\n";
      } else {
        auto recent = store.value()->Quarantined(20);
        if (!recent.ok()) return ReportError(recent.error());
        json q = json::array();
        for (const auto& e : recent.value())
          q.push_back({{"event_id", e.event_id}, {"event", e.type}, {"source", e.source}, {"received_at", e.received_at},
                       {"rule", e.rule}, {"field", e.field}, {"reason", e.reason}});
        std::cout << json{{"store", store.value()->path()},    {"store_schema_version", v.store_schema_version},
                          {"events", v.events},                {"events_by_type", v.events_by_type},
                          {"outbox_pending", v.outbox_pending}, {"outbox_rejected", v.outbox_rejected},
                          {"uploaded", v.uploaded},            {"quarantined", v.quarantined},
                          {"quarantined_by_rule", v.quarantined_by_rule}, {"quarantine_recent", q}}
                         .dump(2)
                  << std::endl;
      }
      return 0;
    });
  });
}

// ftconfig telemetry export --since CURSOR: the stored events after a cursor
// (the store's sequence number), oldest first, as JSON Lines on stdout; the
// last line is {"cursor": N, "events": K, "more": bool} to pass as the next
// --since (quarantined events are never exported).
void AddExport(CLI::App& tel, Context& ctx, std::shared_ptr<std::string> store_path) {
  struct Args {
    std::int64_t since = 0;
    std::size_t limit = 100000;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = tel.add_subcommand("export", "Print stored events after a cursor as JSON Lines (for CI to pull a store)");
  cmd->add_option("--since", a->since, "Cursor from the previous export's last line (default 0: everything)")
      ->check(CLI::Range(static_cast<std::int64_t>(0), static_cast<std::int64_t>(1) << 62));
  cmd->add_option("--limit", a->limit, "Events at most (default 100000)")->check(CLI::Range(1, 10000000));
  cmd->add_option("--store", *store_path, "Telemetry store (a file, or a postgresql:// URL; default: $FTCONFIG_TELEMETRY_STORE, a postgres $DATABASE_URL, or ~/.local/share/ftconfig/telemetry.db)");
  cmd->callback([&ctx, a, store_path]() {
    ctx.exit_code = RunGuarded([&]() -> int {
      const std::string path = store_path->empty() ? telemetry::DefaultStorePath() : *store_path;
      if (!telemetry::IsPostgresUrl(path) && !std::filesystem::exists(path))
        return ReportError({ErrorCode::kInvalidValue, "--store", "no telemetry store at \"" + path + "\""});
      auto store = OpenStore(path);
      if (!store.ok()) return ReportError(store.error());
      auto rows = store.value()->EventsSince(a->since, a->limit + 1);
      if (!rows.ok()) return ReportError(rows.error());
      const bool more = rows.value().size() > a->limit;
      if (more) rows.value().pop_back();
      std::int64_t cursor = a->since;
      for (const auto& [seq, body] : rows.value()) {
        std::cout << body << "\n";
        cursor = seq;
      }
      std::cout << json{{"cursor", cursor}, {"events", rows.value().size()}, {"more", more}}.dump() << std::endl;
      return 0;
    });
  });
}

}  // namespace

void AddTelemetryCommand(CLI::App& app, Context& ctx) {
  auto* tel = app.add_subcommand("telemetry", "Record, import and upload run telemetry and feedback");
  tel->require_subcommand(1);
  auto store_path = std::make_shared<std::string>();
  AddRecord(*tel, ctx, store_path);
  AddExport(*tel, ctx, store_path);
  AddImport(*tel, ctx, store_path);
  AddUpload(*tel, ctx, store_path);
  AddStatus(*tel, ctx, store_path);
}

}  // namespace ftconfig::cli
