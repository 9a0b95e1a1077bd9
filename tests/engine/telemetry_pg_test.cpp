// The telemetry store in PostgreSQL (telemetry_store_pg.h) against a real
// server: FTCONFIG_TEST_DATABASE_URL names it (scripts/test.sh starts the
// local cluster and sets it when it runs as root on a machine that has one).
// Without it the cases are skipped; with it, a server that cannot be reached
// fails them. Each case works in a schema of its own, dropped at the end.
#include <libpq-fe.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "telemetry_store.h"
#include "telemetry_store_pg.h"
#include "test_util.h"

namespace fs = std::filesystem;
using ftconfig::test::RunCli;
using json = nlohmann::json;
namespace tl = ftconfig::telemetry;

namespace {

const char* ServerUrl() {
  const char* u = std::getenv("FTCONFIG_TEST_DATABASE_URL");
  return u && *u ? u : nullptr;
}

struct HasServer {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    boost::test_tools::assertion_result r(ServerUrl() != nullptr);
    r.message() << "FTCONFIG_TEST_DATABASE_URL is not set (scripts/test.sh sets it when a local server runs)";
    return r;
  }
};

// A schema of this test's own; the URL that works in it.
class Schema {
 public:
  explicit Schema(const std::string& tag) : name_("ftc_" + tag + "_" + std::to_string(::getpid())) {
    Run("DROP SCHEMA IF EXISTS " + name_ + " CASCADE; CREATE SCHEMA " + name_);
  }
  ~Schema() { Run("DROP SCHEMA IF EXISTS " + name_ + " CASCADE"); }
  std::string url() const {
    const std::string base = ServerUrl();
    return base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + name_;
  }

 private:
  void Run(const std::string& sql) {
    PGconn* c = PQconnectdb(ServerUrl());
    BOOST_TEST_REQUIRE(PQstatus(c) == CONNECTION_OK, PQerrorMessage(c));
    PGresult* r = PQexec(c, sql.c_str());
    BOOST_TEST(PQresultStatus(r) == PGRES_COMMAND_OK, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
  }
  std::string name_;
};

std::string Uuid(long long i) {
  char b[48];
  std::snprintf(b, sizeof b, "00000000-0000-4000-8000-%012lld", i);
  return b;
}

tl::Event Valid(json e) {
  auto v = tl::ValidateEvent(e);
  BOOST_TEST_REQUIRE(v.ok(), (v.ok() ? "" : v.error().message));
  return v.value();
}

// run_start + run_complete of run `i`, a feedback, and the ids reused.
std::vector<tl::Event> Scenario() {
  auto env = [](const std::string& type, long long id) {
    return json{{"schema_version", 1}, {"event", type}, {"event_id", Uuid(id)},
                {"timestamp", "2026-05-01T12:00:00.000Z"}, {"source", "notebook"},
                {"fingerprint", "1baf7fcff69ec0d4"}};
  };
  json start = env("run_start", 1), done = env("run_complete", 2), again = env("run_complete", 3);
  for (json* e : {&start, &done, &again}) (*e)["run_id"] = Uuid(900), (*e)["engine_version"] = "0.1.0";
  start["recommendation"] = {{"model", "meta-llama/Llama-3.1-8B"}};
  done["outcome"] = again["outcome"] = "success";
  json feedback = env("feedback", 4);
  feedback["rating"] = 5;
  feedback["source"] = "cli";
  json conflict = start;
  conflict["recommendation"]["model"] = "other";
  return {Valid(start), Valid(done), Valid(start), Valid(conflict), Valid(again), Valid(feedback)};
}

// Everything a store says about the scenario, to compare backends.
json Observe(tl::Store& s) {
  json out;
  auto statuses = s.Insert(Scenario(), "import:test", /*enqueue=*/true);
  BOOST_TEST_REQUIRE(statuses.ok(), (statuses.ok() ? "" : statuses.error().message));
  for (auto st : statuses.value()) out["insert"].push_back(tl::ToString(st));
  auto pending = s.PendingBatch(10);
  BOOST_TEST_REQUIRE(pending.ok());
  for (const auto& p : pending.value()) out["pending"].push_back(p.event_id);
  BOOST_TEST_REQUIRE(s.Acknowledge({pending.value()[0].event_id}).ok());
  BOOST_TEST_REQUIRE(s.MarkRejected({{pending.value()[1].event_id, "refused"}}).ok());
  BOOST_TEST_REQUIRE(s.CountAttempt({pending.value()[2].event_id}, "timeout").ok());
  out["pending_after"] = s.PendingCount().value();
  out["requeued"] = s.RequeueRejected().value();
  auto since = s.EventsSince(1, 10);
  BOOST_TEST_REQUIRE(since.ok());
  for (const auto& [seq, body] : since.value()) out["since_1"].push_back(json::parse(body)["event_id"]);
  auto typed = s.EventsOfTypes({"run_complete", "run_start", "feedback"});
  BOOST_TEST_REQUIRE(typed.ok());
  for (const auto& e : typed.value()) out["typed"].push_back(e["event_id"]);
  auto st = s.Stats().value();
  out["stats"] = {{"events", st.events}, {"by_type", st.events_by_type}, {"pending", st.outbox_pending},
                  {"rejected", st.outbox_rejected}, {"uploaded", st.uploaded}, {"quarantined", st.quarantined},
                  {"rules", st.quarantined_by_rule}, {"schema", st.store_schema_version}};
  auto q = s.Quarantined(5).value();
  for (const auto& e : q) out["quarantine"].push_back({e.event_id, e.rule});
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(telemetry_pg, *boost::unit_test::precondition(HasServer()))

BOOST_AUTO_TEST_CASE(postgres_store_behaves_like_the_sqlite_store) {
  Schema schema("same");
  const fs::path file = fs::temp_directory_path() / ("ftconfig-pg-ref-" + std::to_string(::getpid()) + ".db");
  fs::remove(file);
  json expected, got;
  {
    auto lite = tl::Store::Open(file.string());
    BOOST_TEST_REQUIRE(lite.ok());
    expected = Observe(*lite.value());
  }
  {
    auto pg = tl::Store::Open(schema.url());
    BOOST_TEST_REQUIRE(pg.ok(), (pg.ok() ? "" : pg.error().message));
    got = Observe(*pg.value());
  }
  fs::remove(file);
  BOOST_TEST(got == expected, "postgres: " << got.dump() << "\nsqlite:   " << expected.dump());
  BOOST_TEST(expected["insert"] == json({"stored", "stored", "duplicate", "conflict", "quarantined", "stored"}));
  // Opening again migrates nothing and keeps everything.
  auto again = tl::Store::Open(schema.url());
  BOOST_TEST_REQUIRE(again.ok());
  BOOST_TEST(again.value()->Stats().value().events == 3);
}

BOOST_AUTO_TEST_CASE(cli_uses_postgres_for_store_flags_and_database_url) {
  Schema schema("cli");
  const fs::path dir = fs::temp_directory_path() / ("ftconfig-pg-cli-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    std::ofstream f(dir / "events.jsonl");
    auto events = Scenario();
    for (size_t i : {0, 1, 5}) f << events[i].compact << "\n";  // run_start, run_complete, feedback
  }
  const std::string url = "'" + schema.url() + "'";
  auto imp = RunCli("telemetry import " + (dir / "events.jsonl").string() + " --store " + url);
  BOOST_TEST(imp.exit_code == 0, imp.out);
  auto exp = RunCli("telemetry export --since 0 --store " + url);
  BOOST_TEST(exp.exit_code == 0, exp.out);
  BOOST_TEST(exp.out.find(Uuid(2)) != std::string::npos);
  // DATABASE_URL is the default store; messages never show the password.
  const char* saved = std::getenv("FTCONFIG_TELEMETRY_STORE");
  const std::string saved_store = saved ? saved : "";
  ::unsetenv("FTCONFIG_TELEMETRY_STORE");
  ::setenv("DATABASE_URL", schema.url().c_str(), 1);
  auto with_env = RunCli("telemetry status");
  ::unsetenv("DATABASE_URL");
  if (saved) ::setenv("FTCONFIG_TELEMETRY_STORE", saved_store.c_str(), 1);
  BOOST_TEST(with_env.exit_code == 0, with_env.out);
  BOOST_TEST(with_env.out.find("\"events\": 3") != std::string::npos, with_env.out);
  auto bad = RunCli("telemetry status --store 'postgresql://ftconfig:s3cret@127.0.0.1:1/none'");
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(bad.out.find("s3cret") == std::string::npos, bad.out);
  BOOST_TEST(bad.out.find("--store") != std::string::npos, bad.out);
  auto rec = RunCli("recommend --gpu T4 --model llama2-7b --feedback-store " + url);
  BOOST_TEST(rec.exit_code == 0, rec.out);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
