// Model governance (registry v2, promote / rollback / status, atomic writes)
// and retraining (triggers, calibration). See docs/retraining.md.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "calibration_fit.h"
#include "data_files.h"
#include "ftconfig/estimate.h"
#include "model_registry.h"
#include "retrain.h"
#include "telemetry_plausibility.h"
#include "test_util.h"
#include "train_data.h"

namespace fs = std::filesystem;
using ftconfig::test::RunCli;
using json = nlohmann::json;
namespace cli = ftconfig::cli;

namespace {

std::string ModelsDir() { return fs::path(FTCONFIG_DATA_DIR).parent_path().string() + "/models"; }

// The file of one artifact ("reranker", "hp_predictor") of the shipped
// registry's production version.
std::string ProductionArtifact(const std::string& kind) {
  json reg = json::parse(ftconfig::test::ReadFile(ModelsDir() + "/registry.json"));
  const std::string prod = reg["aliases"]["production"].get<std::string>();
  for (const auto& v : reg["versions"])
    if (v["version"] == prod) return ModelsDir() + "/" + v["artifacts"][kind]["path"].get<std::string>();
  throw std::runtime_error("no production version in models/registry.json");
}

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& tag) {
    path = fs::temp_directory_path() / ("ftconfig-gov-" + tag + "-" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& rel) const { return (path / rel).string(); }
};

void WriteFile(const std::string& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

json Gates(bool passed) {
  return {{"evaluated", true},
          {"passed", passed},
          {"results",
           {{{"name", "ndcg"}, {"passed", passed}, {"detail", passed ? "ok" : "NDCG@5 0.20 < reference 0.36 - 0.01"}},
            {{"name", "served_oom"}, {"passed", true}, {"detail", "0 violations"}}}}};
}

// A registry with the shipped artifacts under three versions: A in
// production, B a candidate whose gates passed, C one whose gates failed.
std::string MakeRegistry(const TempDir& d, const std::string& production_created_at = "2026-11-01T00:00:00Z") {
  json arts = {{"reranker", {{"path", ModelsDir() + "/reranker.json"}}},
               {"hp_predictor", {{"path", ModelsDir() + "/hp_predictor.json"}}}};
  json reg = {{"format_version", 2},
              {"aliases", {{"production", "A"}, {"canary", nullptr}}},
              {"canary_fraction", 0},
              {"versions",
               {{{"version", "A"}, {"stage", "production"}, {"created_at", production_created_at}, {"artifacts", arts}, {"gates", Gates(true)}},
                {{"version", "B"}, {"stage", "candidate"}, {"artifacts", arts}, {"gates", Gates(true)}},
                {{"version", "C"}, {"stage", "candidate"}, {"artifacts", arts}, {"gates", Gates(false)}}}},
              {"history", {{{"at", "2026-11-01T00:00:00Z"}, {"action", "register"}, {"version", "A"}, {"to", "production"}, {"reason", "seed"}}}}};
  std::string p = d / "registry.json";
  WriteFile(p, reg.dump(1));
  return p;
}

json Status(const std::string& reg) {
  auto r = RunCli("status --registry " + reg);
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  return json::parse(r.out);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(governance)

BOOST_AUTO_TEST_CASE(shipped_registry_is_v2_with_a_gated_production_version) {
  auto reg = cli::ModelRegistry::Load(ModelsDir() + "/registry.json");
  BOOST_TEST_REQUIRE(reg.ok(), (reg.ok() ? "" : reg.error().message));
  BOOST_TEST(reg.value().source_format_version() == 2);
  std::string prod = reg.value().Alias("production");
  BOOST_TEST_REQUIRE(!prod.empty());
  BOOST_TEST(cli::GatesPassed(*reg.value().Find(prod)));
  json s = reg.value().Status(/*verify=*/true);
  BOOST_TEST(s["artifacts_ok"] == true, s.dump());
  // Every artifact's digest and version match the file.
  for (const auto& [kind, a] : reg.value().Find(prod)->at("artifacts").items()) {
    std::string text = ftconfig::test::ReadFile(ModelsDir() + "/" + a["path"].get<std::string>());
    BOOST_TEST(a["sha256"] == cli::Sha256Hex(text), kind);
    BOOST_TEST(a["version"] == json::parse(text)["version"], kind);
  }
}

BOOST_AUTO_TEST_CASE(v1_registry_fixture_still_loads_for_the_engine_and_the_cli) {
  const std::string dir = std::string(FTCONFIG_TEST_FIXTURES) + "/registry-v1";
  auto reg = cli::ModelRegistry::Load(dir + "/registry.json");
  BOOST_TEST_REQUIRE(reg.ok(), (reg.ok() ? "" : reg.error().message));
  BOOST_TEST(reg.value().source_format_version() == 1);
  auto slot = reg.value().Resolve("production");
  BOOST_TEST_REQUIRE(slot.ok());
  BOOST_TEST(fs::exists(slot.value().reranker_path));
  BOOST_TEST(fs::exists(slot.value().hp_predictor_path));
  auto data = cli::ReadEngineData(FTCONFIG_DATA_DIR, dir);
  BOOST_TEST_REQUIRE(data.ok(), (data.ok() ? "" : data.error().message));
  BOOST_TEST(!data.value().reranker_json.empty());
  BOOST_TEST(!data.value().hp_predictor_json.empty());
  auto r = RunCli("--models-dir " + dir +
                  " recommend --gpu T4 --model meta-llama/Llama-3.1-8B --adapter qlora --strategy hybrid_ml");
  BOOST_TEST(r.exit_code == 0, r.out);
  // The fixture names the first shipped artifacts (now the archived v1 version).
  BOOST_TEST(data.value().reranker_json == ftconfig::test::ReadFile(ModelsDir() + "/reranker.json"));
  // The shipped v2 registry serves its production version's artifacts.
  auto v2 = cli::ReadEngineData(FTCONFIG_DATA_DIR, ModelsDir());
  BOOST_TEST_REQUIRE(v2.ok());
  BOOST_TEST(v2.value().reranker_json == ftconfig::test::ReadFile(ProductionArtifact("reranker")));
}

BOOST_AUTO_TEST_CASE(a_failing_gate_blocks_promotion_and_the_order_is_enforced) {
  TempDir d("gate");
  std::string reg = MakeRegistry(d);
  const std::string before = ftconfig::test::ReadFile(reg);
  auto r = RunCli("promote C --to staging --reason try --registry " + reg);
  BOOST_TEST(r.exit_code == 1, r.out);
  BOOST_TEST(r.out.find("\"refused\"") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("release gates failed") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("ndcg") != std::string::npos, r.out);
  BOOST_TEST(ftconfig::test::ReadFile(reg) == before);  // nothing written
  r = RunCli("promote B --to canary --reason skip --registry " + reg);
  BOOST_TEST(r.exit_code == 1, r.out);
  BOOST_TEST(r.out.find("only a staging version") != std::string::npos, r.out);
  r = RunCli("promote B --to production --reason skip --registry " + reg);
  BOOST_TEST(r.exit_code == 1, r.out);
  // Bad input: exit 2 naming the field.
  r = RunCli("promote Z --to staging --reason x --registry " + reg);
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.out.find("\"VERSION\"") != std::string::npos, r.out);
  r = RunCli("promote B --to staging --reason '' --registry " + reg);
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.out.find("--reason") != std::string::npos, r.out);
  r = RunCli("promote B --to staging --fraction 0.5 --reason x --registry " + reg);
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.out.find("--fraction") != std::string::npos, r.out);
  BOOST_TEST(ftconfig::test::ReadFile(reg) == before);
}

BOOST_AUTO_TEST_CASE(promotion_path_canary_and_rollback_restore_the_previous_production) {
  TempDir d("flow");
  std::string reg = MakeRegistry(d);
  auto r = RunCli("promote B --to staging --reason 'gates passed' --registry " + reg);
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  r = RunCli("promote B --to canary --fraction 0.25 --reason 'try on a quarter' --registry " + reg);
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  json s = Status(reg);
  BOOST_TEST(s["aliases"]["canary"] == "B");
  BOOST_TEST(s["canary_fraction"] == 0.25);
  // The CLI serves the canary slot when asked, production otherwise.
  auto canary = RunCli("--models-dir " + d.path.string() + " status --format text");
  BOOST_TEST(canary.out.find("canary: B (serves 25.0% of clients)") != std::string::npos, canary.out);
  r = RunCli("promote B --to production --reason 'canary healthy' --registry " + reg);
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  s = Status(reg);
  BOOST_TEST(s["aliases"]["production"] == "B");
  BOOST_TEST(s["aliases"]["canary"].is_null());
  BOOST_TEST(s["canary_fraction"] == 0.0);
  auto stage = [&](const std::string& v) {
    for (const auto& e : s["versions"])
      if (e["version"] == v) return e["stage"].get<std::string>();
    return std::string();
  };
  BOOST_TEST(stage("A") == "archived");
  BOOST_TEST(stage("B") == "production");

  r = RunCli("rollback --reason 'p99 OOM reports' --registry " + reg);
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  s = Status(reg);
  BOOST_TEST(s["aliases"]["production"] == "A");
  BOOST_TEST(stage("A") == "production");
  BOOST_TEST(stage("B") == "rejected");
  const json& last = s["history"].back();
  BOOST_TEST(last["action"] == "rollback");
  BOOST_TEST(last["rolled_back"] == "B");
  BOOST_TEST(last["reason"] == "p99 OOM reports");
  // Nothing earlier than A: a second rollback is refused as bad input.
  r = RunCli("rollback --registry " + reg);
  BOOST_TEST(r.exit_code == 2, r.out);
  // Every transition is in the history, with a time and a reason.
  auto full = cli::ModelRegistry::Load(reg);
  BOOST_TEST_REQUIRE(full.ok());
  BOOST_TEST(full.value().doc()["history"].size() == 5u);
  for (const auto& h : full.value().doc()["history"]) {
    BOOST_TEST(h["at"].is_string());
    BOOST_TEST(h["reason"].is_string());
  }
}

BOOST_AUTO_TEST_CASE(rollback_canary_only_withdraws_the_canary) {
  TempDir d("canary");
  std::string reg = MakeRegistry(d);
  BOOST_TEST_REQUIRE(RunCli("promote B --to staging --reason x --registry " + reg).exit_code == 0);
  BOOST_TEST_REQUIRE(RunCli("promote B --to canary --reason x --registry " + reg).exit_code == 0);
  BOOST_TEST(Status(reg)["canary_fraction"] == 0.1);  // the default fraction
  auto r = RunCli("rollback --canary --reason 'bad ratings' --registry " + reg);
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  json s = Status(reg);
  BOOST_TEST(s["aliases"]["production"] == "A");
  BOOST_TEST(s["aliases"]["canary"].is_null());
}

BOOST_AUTO_TEST_CASE(a_registry_write_killed_before_its_rename_leaves_a_valid_registry) {
  TempDir d("kill");
  std::string reg = MakeRegistry(d);
  BOOST_TEST_REQUIRE(RunCli("promote B --to staging --reason x --registry " + reg).exit_code == 0);
  const std::string before = ftconfig::test::ReadFile(reg);
  pid_t pid = fork();
  BOOST_TEST_REQUIRE(pid >= 0);
  if (pid == 0) {
    setenv("FTCONFIG_TEST_REGISTRY_WRITE_DELAY_MS", "10000", 1);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    execl(FTCONFIG_CLI, FTCONFIG_CLI, "promote", "B", "--to", "canary", "--reason", "killed", "--registry",
          reg.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait until the temporary file is complete (written and fsynced), then kill.
  bool seen = false;
  for (int i = 0; i < 200 && !seen; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    for (const auto& e : fs::directory_iterator(d.path))
      if (e.path().filename().string().rfind(".registry.json.tmp.", 0) == 0 && fs::file_size(e.path()) > 0) seen = true;
  }
  BOOST_TEST(seen);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  BOOST_TEST(WIFSIGNALED(status));
  // The registry is the complete previous one, and loads.
  BOOST_TEST(ftconfig::test::ReadFile(reg) == before);
  auto loaded = cli::ModelRegistry::Load(reg);
  BOOST_TEST_REQUIRE(loaded.ok());
  BOOST_TEST(loaded.value().Alias("canary").empty());
  // The next write succeeds (the lock died with the process).
  auto r = RunCli("promote B --to canary --reason again --registry " + reg);
  BOOST_TEST(r.exit_code == 0, r.out);
  BOOST_TEST(Status(reg)["aliases"]["canary"] == "B");
}

BOOST_AUTO_TEST_CASE(malformed_registries_are_bad_input_naming_the_file_and_key) {
  TempDir d("bad");
  std::string reg = d / "registry.json";
  WriteFile(reg, "{\"format_version\": 2, \"versions\": [{\"version\": \"A\", \"stage\": \"prod\", \"artifacts\": {}}]}");
  auto r = RunCli("status --registry " + reg);
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.out.find("versions[0].stage") != std::string::npos, r.out);
  BOOST_TEST(r.out.find(reg) != std::string::npos, r.out);
  WriteFile(reg, "not json");
  r = RunCli("promote A --to staging --reason x --registry " + reg);
  BOOST_TEST(r.exit_code == 2, r.out);
  WriteFile(reg, "{\"format_version\": 3}");
  r = RunCli("status --registry " + reg);
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.out.find("unsupported") != std::string::npos, r.out);
  r = RunCli("status --registry " + (d / "missing.json"));
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.out.find("--registry") != std::string::npos, r.out);
  // Wrong types inside a version: an error naming the key, not an exception.
  const std::string artifacts = "\"artifacts\": {\"reranker\": {\"path\": \"r.json\"}}";
  for (auto [version, key] : std::vector<std::pair<std::string, std::string>>{
           {"{\"version\": \"A\", \"stage\": 3, " + artifacts + "}", "versions[0].stage"},
           {"{\"version\": \"A\", \"stage\": \"staging\", " + artifacts + ", \"gates\": {\"evaluated\": \"yes\"}}",
            "versions[0].gates.evaluated"},
           {"{\"version\": \"A\", \"stage\": \"staging\", " + artifacts +
                ", \"gates\": {\"evaluated\": true, \"passed\": false, \"results\": [{\"name\": 1}]}}",
            "versions[0].gates.results[0].name"}}) {
    WriteFile(reg, "{\"format_version\": 2, \"versions\": [" + version + "]}");
    r = RunCli("status --registry " + reg);
    BOOST_TEST(r.exit_code == 2, r.out);
    BOOST_TEST(r.out.find(key) != std::string::npos, r.out);
    r = RunCli("promote A --to canary --reason x --registry " + reg);
    BOOST_TEST(r.exit_code == 2, r.out);
  }
}

BOOST_AUTO_TEST_CASE(a_refused_version_entry_leaves_the_registry_as_it_was) {
  TempDir d("add");
  auto reg = cli::ModelRegistry::Load(MakeRegistry(d));
  BOOST_TEST_REQUIRE(reg.ok());
  const json before = reg.value().Status(false);
  for (const json& entry : {json{{"version", "D"}, {"artifacts", json::object()}},
                            json{{"version", "D"}, {"stage", "prod"}, {"artifacts", {{"reranker", {{"path", "r.json"}}}}}},
                            json{{"version", 7}}, json("D")}) {
    auto added = reg.value().AddVersion(entry, "test");
    BOOST_TEST(!added.ok(), entry.dump());
    BOOST_TEST(!reg.value().Find("D"));
    BOOST_TEST(reg.value().Status(false) == before, entry.dump());
  }
  auto added = reg.value().AddVersion({{"version", "D"}, {"artifacts", {{"reranker", {{"path", "r.json"}}}}}}, "test");
  BOOST_TEST(added.ok());
  BOOST_TEST(reg.value().Find("D"));
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------

namespace {

std::string Uuid(long long i) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012lld", i);
  return buf;
}

json Recommendation(int variant, const std::string& model = "meta-llama/Llama-3.1-8B", double params_b = 8.03) {
  return {{"model", model},
          {"model_params_b", params_b},
          {"task_type", "instruction_following"},
          {"adapter_type", "qlora"},
          {"gpu", {{"id", variant % 2 ? "a10g" : "t4"}, {"name", variant % 2 ? "A10G" : "T4"}, {"count", 1}}},
          {"hyperparameters",
           {{"adapter_type", "qlora"},
            {"learning_rate", 2e-4},
            {"batch_size_per_device", 1 + variant % 3},
            {"gradient_accumulation_steps", 8},
            {"max_seq_length", 512 * (1 + variant % 2)},
            {"optimizer", "paged_adamw_8bit"},
            {"precision", "fp16"},
            {"gradient_checkpointing", true},
            {"lora_r", 16},
            {"lora_alpha", 32},
            {"lora_dropout", 0.05},
            {"lora_target", "all-linear"}}}};
}

// `n` runs whose measured peak is memory_factor x the model's estimate and
// whose throughput is tps_factor x the time model's; every `oom_every`-th one
// ends in OOM (0: none). Returns the JSONL of run_start + run_complete events.
std::string SyntheticRuns(int n, double memory_factor, double tps_factor, int oom_every, int id_base,
                          const std::string& model = "meta-llama/Llama-3.1-8B", double params_b = 8.03) {
  auto catalog = cli::LoadCatalog(FTCONFIG_DATA_DIR);
  if (!catalog.ok()) throw std::runtime_error(catalog.error().message);
  std::string out;
  for (int i = 0; i < n; ++i) {
    cli::MeasuredRun probe;
    probe.start = {{"recommendation", Recommendation(i, model, params_b)}};
    probe.complete = {{"peak_memory_reserved_bytes", 1}};
    cli::Reestimate(&probe, catalog.value(), ftconfig::Calibration{});
    if (!probe.estimated_gb || !probe.estimated_tps) throw std::runtime_error("no estimate: " + probe.reestimate_error);
    const std::string run = Uuid(500000 + id_base + i);
    char ts[40];
    std::snprintf(ts, sizeof ts, "2026-11-%02dT10:%02d:00Z", 10 + i / 60, i % 60);
    json start = {{"schema_version", 1}, {"event", "run_start"}, {"event_id", Uuid(id_base + 2 * i)},
                  {"run_id", run}, {"timestamp", ts}, {"engine_version", "0.1.0"}, {"fingerprint", "1baf7fcff69ec0d4"},
                  {"source", "notebook"}, {"recommendation", Recommendation(i, model, params_b)}};
    bool oom = oom_every > 0 && i % oom_every == 0;
    json complete = {{"schema_version", 1}, {"event", "run_complete"}, {"event_id", Uuid(id_base + 2 * i + 1)},
                     {"run_id", run}, {"timestamp", ts}, {"engine_version", "0.1.0"},
                     {"fingerprint", "1baf7fcff69ec0d4"}, {"source", "notebook"},
                     {"outcome", oom ? "oom" : "success"}, {"wall_time_s", 1000}, {"train_time_s", 900},
                     {"peak_memory_reserved_bytes", static_cast<long long>(*probe.estimated_gb * memory_factor * 1e9)},
                     {"tokens_per_sec", *probe.estimated_tps * tps_factor}, {"global_step", 100}};
    out += start.dump() + "\n" + complete.dump() + "\n";
  }
  return out;
}

std::string MakeStore(const TempDir& d, const std::string& name, const std::string& jsonl) {
  std::string file = d / (name + ".jsonl");
  std::string store = d / (name + ".db");
  WriteFile(file, jsonl);
  auto r = RunCli("telemetry import " + file + " --store " + store + " --no-queue");
  if (r.exit_code != 0) throw std::runtime_error("import failed: " + r.out);
  return store;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(retrain)

BOOST_AUTO_TEST_CASE(check_stays_quiet_without_drift) {
  TempDir d("quiet");
  std::string reg = MakeRegistry(d, "2026-11-01T00:00:00Z");
  std::string store = MakeStore(d, "ok", SyntheticRuns(20, 1.05, 0.95, 0, 1000));
  std::string summary = d / "summary.md";
  auto r = RunCli("retrain check --store " + store + " --registry " + reg +
                  " --min-new-runs 50 --now 2026-11-20T00:00:00Z --summary " + summary);
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  json j = json::parse(r.out);
  BOOST_TEST(j["trigger"] == false);
  BOOST_TEST(j["runs"]["new"] == 20);
  BOOST_TEST(j["checks"]["memory_drift"]["median_abs_error"].get<double>() < 0.06);
  BOOST_TEST(j["checks"]["time_drift"]["median_abs_error"].get<double>() < 0.06);
  BOOST_TEST(j["checks"]["oom_rate"]["value"] == 0.0);
  std::string md = ftconfig::test::ReadFile(summary);
  BOOST_TEST(md.find("no trigger") != std::string::npos, md);
}

BOOST_AUTO_TEST_CASE(check_triggers_on_synthetic_drift_each_kind) {
  TempDir d("drift");
  std::string reg = MakeRegistry(d, "2026-11-01T00:00:00Z");
  const std::string common = " --registry " + reg + " --now 2026-11-20T00:00:00Z --summary " + (d / "s.md");
  // Memory: measured peaks 40% above the model.
  std::string store = MakeStore(d, "mem", SyntheticRuns(20, 1.4, 1.0, 0, 2000));
  auto r = RunCli("retrain check --store " + store + common);
  BOOST_TEST_REQUIRE(r.exit_code == 10, r.out);
  json j = json::parse(r.out);
  BOOST_TEST(j["checks"]["memory_drift"]["triggered"] == true);
  BOOST_TEST(j["checks"]["time_drift"]["triggered"] == false);
  // The overall drift, and the same per context (the family, each GPU class).
  for (const auto& reason : j["reasons"])
    BOOST_TEST(reason.get<std::string>().rfind("memory_drift", 0) == 0, j["reasons"].dump());
  BOOST_TEST(j["checks"]["context_drift"]["triggered"] == true);
  BOOST_TEST(ftconfig::test::ReadFile(d / "s.md").find("retraining triggered") != std::string::npos);
  // Time: runs at half the predicted throughput (twice the predicted time).
  store = MakeStore(d, "time", SyntheticRuns(20, 1.0, 0.5, 0, 3000));
  r = RunCli("retrain check --store " + store + common);
  BOOST_TEST_REQUIRE(r.exit_code == 10, r.out);
  BOOST_TEST(json::parse(r.out)["checks"]["time_drift"]["triggered"] == true);
  // OOM: one run in four.
  store = MakeStore(d, "oom", SyntheticRuns(20, 1.0, 1.0, 4, 4000));
  r = RunCli("retrain check --store " + store + common);
  BOOST_TEST_REQUIRE(r.exit_code == 10, r.out);
  j = json::parse(r.out);
  BOOST_TEST(j["checks"]["oom_rate"]["triggered"] == true);
  BOOST_TEST(j["checks"]["oom_rate"]["value"] == 0.25);
  // Volume: enough new runs.
  store = MakeStore(d, "many", SyntheticRuns(20, 1.0, 1.0, 0, 5000));
  r = RunCli("retrain check --min-new-runs 20 --store " + store + common);
  BOOST_TEST_REQUIRE(r.exit_code == 10, r.out);
  BOOST_TEST(json::parse(r.out)["checks"]["new_runs"]["triggered"] == true);
  // Staleness: the last training is 60 days old.
  r = RunCli("retrain check --store " + store + " --registry " + reg + " --now 2026-12-31T00:00:00Z --summary " + (d / "s.md"));
  BOOST_TEST_REQUIRE(r.exit_code == 10, r.out);
  BOOST_TEST(json::parse(r.out)["checks"]["staleness"]["triggered"] == true);
  // Runs before the last training are not new.
  std::string late = MakeRegistry(d, "2026-12-01T00:00:00Z");
  r = RunCli("retrain check --min-new-runs 20 --store " + store + " --registry " + late +
             " --now 2026-12-02T00:00:00Z --summary " + (d / "s.md"));
  BOOST_TEST(r.exit_code == 0, r.out);
  BOOST_TEST(json::parse(r.out)["runs"]["new"] == 0);
}

BOOST_AUTO_TEST_CASE(check_bad_input_exits_2_naming_the_flag) {
  TempDir d("badcheck");
  std::string reg = MakeRegistry(d);
  auto r = RunCli("retrain check --store " + (d / "missing.db") + " --registry " + reg);
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.out.find("--store") != std::string::npos, r.out);
  WriteFile(d / "junk.db", "not sqlite at all, just text that is long enough to be a header maybe");
  r = RunCli("retrain check --store " + (d / "junk.db") + " --registry " + reg);
  BOOST_TEST(r.exit_code == 2, r.out);
  r = RunCli("retrain check --min-new-runs 0 --store " + (d / "junk.db") + " --registry " + reg);
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.out.find("--min-new-runs") != std::string::npos, r.out);
}

BOOST_AUTO_TEST_CASE(calibration_from_runs_and_its_engine_hook) {
  auto catalog = cli::LoadCatalog(FTCONFIG_DATA_DIR);
  BOOST_TEST_REQUIRE(catalog.ok());
  std::vector<cli::MeasuredRun> runs;
  for (int i = 0; i < 8; ++i) {
    cli::MeasuredRun r;
    r.run_id = "run-" + std::to_string(i);
    r.outcome = "success";
    r.measured_gb = 12.0;
    r.uncalibrated_gb = 10.0;   // the model under-estimates by 20%
    r.measured_tps = 800.0;
    r.uncalibrated_tps = 1000.0;
    runs.push_back(r);
  }
  cli::CalibrationFitOptions fo;
  fo.version = "calibration-test";
  json cal = cli::FitCalibration(cli::ObservationsOf(runs), fo);
  BOOST_TEST_REQUIRE(cal.is_object());
  BOOST_TEST(cal["throughput"]["scale"] == 0.8);
  BOOST_TEST(cal["memory"]["scale"] == 1.2);
  // An over-estimate lowers the memory model too (format_version 2, down to
  // kMinMemoryScale), with the p95 guard keeping the fit check above the peaks.
  for (auto& r : runs) r.measured_gb = 8.0;
  BOOST_TEST(cli::FitCalibration(cli::ObservationsOf(runs), fo)["memory"]["scale"] == 0.8);
  fo.min_runs = 9;
  BOOST_TEST(cli::FitCalibration(cli::ObservationsOf(runs), fo).is_null());  // too few runs

  auto loaded = ftconfig::Calibration::Load(cal.dump());
  BOOST_TEST_REQUIRE(loaded.ok());
  BOOST_TEST(loaded.value().memory_scale == 1.2);
  auto bad = ftconfig::Calibration::Load(R"({"artifact": "ftconfig.calibration", "throughput": {"scale": 9}})");
  BOOST_TEST_REQUIRE(!bad.ok());
  BOOST_TEST(bad.error().field == "calibration.throughput.scale");

  // The engine applies it. Throughput only: same answer, tokens/s x0.8.
  ftconfig::EngineData data;
  data.catalog = ftconfig::test::CatalogFilesIn(FTCONFIG_DATA_DIR);
  data.corpus.push_back({"configs.jsonl", ftconfig::test::ReadFile(std::string(FTCONFIG_DATA_DIR) + "/corpus/configs.jsonl")});
  auto plain = ftconfig::Engine::Create(data);
  json time_only = cal;
  time_only.erase("memory");
  data.calibration_json = time_only.dump();
  auto timed = ftconfig::Engine::Create(data);
  data.calibration_json = R"({"artifact": "ftconfig.calibration", "version": "m", "memory": {"scale": 1.5}})";
  auto cautious = ftconfig::Engine::Create(data);
  BOOST_TEST_REQUIRE(plain.ok());
  BOOST_TEST_REQUIRE(timed.ok());
  BOOST_TEST_REQUIRE(cautious.ok());
  const std::string req = R"({"platform": "colab", "plan": "free", "model": "meta-llama/Llama-3.1-8B",
                              "adapter_type": "qlora", "strategy": "deterministic"})";
  auto a = plain.value()->Recommend(req);
  auto b = timed.value()->Recommend(req);
  auto c = cautious.value()->Recommend(req);
  BOOST_TEST_REQUIRE(a.ok());
  BOOST_TEST_REQUIRE(b.ok());
  BOOST_TEST_REQUIRE(c.ok());
  BOOST_TEST(a.value()["hyperparameters"] == b.value()["hyperparameters"]);
  double ta = a.value()["time"]["tokens_per_sec"].get<double>(), tb = b.value()["time"]["tokens_per_sec"].get<double>();
  BOOST_TEST(std::abs(tb / ta - 0.8) < 0.01, ta << " vs " << tb);
  // Memory x1.5 on a free T4: the answer still fits under the limit by the
  // scaled estimate, which is what the response reports.
  const json& v = c.value()["vram"];
  BOOST_TEST(v["notes"].dump().find("telemetry calibration m") != std::string::npos, v["notes"].dump());
  if (c.value()["fits"] == true) BOOST_TEST(v["per_gpu_gb"].get<double>() <= v["limit_gb"].get<double>() + 0.01);
  BOOST_TEST(v["per_gpu_gb"].get<double>() >= a.value()["vram"]["per_gpu_gb"].get<double>() * 0.6);
}

// `ftconfig estimate` answers with the calibration of the slot the CLI serves,
// as `recommend` does (it ignored it before: the two could disagree on the
// same setup once a calibration was promoted).
BOOST_AUTO_TEST_CASE(estimate_applies_the_served_calibration) {
  TempDir d("estimate-cal");
  std::string reg_path = MakeRegistry(d);
  json reg = json::parse(ftconfig::test::ReadFile(reg_path));
  const std::string cal = R"({"artifact":"ftconfig.calibration","format_version":1,"version":"cal-est",)"
                          R"("memory":{"scale":1.25},"throughput":{"scale":0.5}})";
  WriteFile(d / "cal.json", cal);
  reg["versions"][0]["artifacts"]["calibration"] = {{"path", d / "cal.json"}, {"sha256", cli::Sha256Hex(cal)}};
  WriteFile(reg_path, reg.dump(1));
  const std::string input = R"({"model_name": "meta-llama/Llama-3.1-8B", "method": "qlora", "precision": "bf16",
    "batch_size_per_device": 2, "seq_len": 1024, "gpu": "L4"})";
  const std::string data = std::string("--data-dir ") + FTCONFIG_DATA_DIR;
  TempDir empty("estimate-nocal");
  auto plain = RunCli(data + " --models-dir " + empty.path.string() + " estimate -", input);
  auto scaled = RunCli(data + " --models-dir " + d.path.string() + " estimate -", input);
  BOOST_TEST_REQUIRE(plain.exit_code <= 1, plain.out);
  BOOST_TEST_REQUIRE(scaled.exit_code <= 1, scaled.out);
  json a = json::parse(plain.out), b = json::parse(scaled.out);
  BOOST_TEST(!a.contains("calibration"));
  BOOST_TEST(b["calibration"] == "cal-est");
  double pa = a["peak_vram_gb"].get<double>(), pb = b["peak_vram_gb"].get<double>();
  BOOST_TEST(std::abs(pb - pa * 1.25) < 0.02, pa << " vs " << pb);
  double ta = a["tokens_per_sec"].get<double>(), tb = b["tokens_per_sec"].get<double>();
  BOOST_TEST(std::abs(tb / ta - 0.5) < 0.01, ta << " vs " << tb);
  BOOST_TEST(b["assumptions"].dump().find("telemetry calibration cal-est") != std::string::npos, b.dump());
  // The same calibration through the engine's own loader gives the same answer.
  auto loaded = ftconfig::Calibration::Load(cal);
  BOOST_TEST_REQUIRE(loaded.ok());
  auto catalog = cli::LoadCatalog(FTCONFIG_DATA_DIR);
  BOOST_TEST_REQUIRE(catalog.ok());
  const ftconfig::Catalog* c = &catalog.value();
  auto [direct, code] = ftconfig::EstimateFromJson(
      json::parse(input), [c]() -> ftconfig::Result<const ftconfig::Catalog*> { return c; }, loaded.value());
  BOOST_TEST(code == scaled.exit_code);
  BOOST_TEST(direct == b);
  // A calibration the registry names but that is not valid is an error, never skipped.
  WriteFile(d / "cal.json", R"({"artifact":"ftconfig.calibration","version":"x","memory":{"scale":9}})");
  reg["versions"][0]["artifacts"]["calibration"]["sha256"] =
      cli::Sha256Hex(ftconfig::test::ReadFile((d / "cal.json")));
  WriteFile(reg_path, reg.dump(1));
  auto bad = RunCli(data + " --models-dir " + d.path.string() + " estimate -", input);
  BOOST_TEST(bad.exit_code == 2, bad.out);
  BOOST_TEST(bad.out.find("calibration.memory.scale") != std::string::npos, bad.out);
  // An estimate from architecture fields needs no catalog: a missing data
  // folder does not matter to it.
  auto arch = RunCli("--data-dir /nonexistent --models-dir " + empty.path.string() + " estimate -",
                     R"({"hidden_size": 2048, "num_layers": 16, "vocab_size": 32000, "method": "lora"})");
  BOOST_TEST(arch.exit_code == 0, arch.out);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------
// retrain run end to end (about 10 s each: the trainers on the bundled corpus,
// the gates without the held-out engine runs).

BOOST_AUTO_TEST_SUITE(retrain_run)

BOOST_AUTO_TEST_CASE(production_memory_calibration_is_carried_forward_and_bad_ids_write_nothing) {
  TempDir d("run-carry");
  std::string reg_path = MakeRegistry(d);
  json reg = json::parse(ftconfig::test::ReadFile(reg_path));
  const std::string cal =
      R"({"artifact":"ftconfig.calibration","format_version":1,"version":"cal-test","memory":{"scale":1.2}})";
  WriteFile(d / "cal.json", cal);
  reg["versions"][0]["artifacts"]["calibration"] = {{"path", d / "cal.json"}, {"sha256", cli::Sha256Hex(cal)}};
  WriteFile(reg_path, reg.dump(1));
  std::string store = MakeStore(d, "empty", "");
  // A version id that is not a folder name is refused before anything is written.
  auto bad = RunCli("retrain run --quiet --no-held-out --version ../escape --store " + store + " --registry " + reg_path);
  BOOST_TEST(bad.exit_code == 2, bad.out);
  BOOST_TEST(!fs::exists(d / "escape"));
  BOOST_TEST(!fs::exists(d / "versions"));
  // No measured runs: production's memory correction is kept, not reset to 1.
  auto r = RunCli("retrain run --quiet --no-held-out --version cand2 --store " + store + " --registry " + reg_path);
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  json j = json::parse(r.out);
  BOOST_TEST_REQUIRE(j["calibration"].is_object(), r.out);
  BOOST_TEST(j["calibration"]["memory"]["scale"].get<double>() == 1.2);
  BOOST_TEST(j["calibration"]["version"] == "cal-test");  // carried unchanged
}

BOOST_AUTO_TEST_CASE(without_telemetry_the_candidate_reproduces_production_and_can_be_promoted) {
  TempDir d("run-empty");
  std::string reg = MakeRegistry(d);
  std::string store = MakeStore(d, "empty", "");
  // A killed run left versions/cand1/ unregistered: it must not block the id (issue 18).
  fs::create_directories(d / "versions/cand1");
  { std::ofstream(d / "versions/cand1/reranker.json") << "{\"partial\": "; }
  auto r = RunCli("retrain run --quiet --no-held-out --version cand1 --store " + store + " --registry " + reg);
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  json j = json::parse(r.out);
  BOOST_TEST(j["gates_passed"] == true);
  BOOST_TEST(j["calibration"].is_null());  // no measured runs
  // Same corpus, same seed, same engine: byte-identical to the shipped
  // production artifacts (so a code change that would retrain them
  // differently fails here until they are retrained and promoted).
  BOOST_TEST(j["artifacts"]["reranker"]["sha256"] ==
             cli::Sha256Hex(ftconfig::test::ReadFile(ProductionArtifact("reranker"))));
  BOOST_TEST(j["artifacts"]["hp_predictor"]["sha256"] ==
             cli::Sha256Hex(ftconfig::test::ReadFile(ProductionArtifact("hp_predictor"))));
  BOOST_TEST(fs::exists(d / "versions/cand1/evaluation.md"));
  json s = Status(reg);
  BOOST_TEST(s["versions"].back()["version"] == "cand1");
  BOOST_TEST(s["versions"].back()["stage"] == "candidate");
  BOOST_TEST(s["versions"].back()["gates"]["passed"] == true);
  BOOST_TEST_REQUIRE(RunCli("promote cand1 --to staging --reason gates --registry " + reg).exit_code == 0);
  BOOST_TEST_REQUIRE(RunCli("promote cand1 --to canary --fraction 0.2 --reason try --registry " + reg).exit_code == 0);
  // A version id is never reused.
  r = RunCli("retrain run --quiet --no-held-out --version cand1 --store " + store + " --registry " + reg);
  BOOST_TEST(r.exit_code == 2, r.out);
}

BOOST_AUTO_TEST_CASE(with_telemetry_it_calibrates_and_registers_a_gated_candidate) {
  TempDir d("run-tel");
  std::string reg = MakeRegistry(d);
  // Measured peaks 15% above the model, throughput at 60% of it, one OOM in five.
  std::string store = MakeStore(d, "runs", SyntheticRuns(60, 1.15, 0.6, 5, 7000));
  auto r = RunCli("retrain run --quiet --no-held-out --version cand2 --store " + store + " --registry " + reg);
  // The outcomes that label training label the gates too: a candidate
  // trained on measured runs passes (it failed every time when retrain run
  // cleared the labels before evaluating).
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  json j = json::parse(r.out);
  BOOST_TEST(j["gates_passed"] == true);
  BOOST_TEST(j["telemetry_rows"] == 60);
  BOOST_TEST(std::abs(j["calibration"]["throughput"]["scale"].get<double>() - 0.6) < 0.01, j["calibration"].dump());
  BOOST_TEST(std::abs(j["calibration"]["memory"]["scale"].get<double>() - 1.15) < 0.01, j["calibration"].dump());
  json s = Status(reg);
  const json& v = s["versions"].back();
  BOOST_TEST(v["version"] == "cand2");
  BOOST_TEST(v["gates"]["evaluated"] == true);
  BOOST_TEST(v["artifacts"].contains("calibration"));
  // The CLI can serve that version (FTCONFIG_MODEL_SLOT), calibration applied.
  auto served = RunCli("--models-dir " + d.path.string() +
                       " recommend --gpu T4 --model meta-llama/Llama-3.1-8B --adapter qlora --strategy hybrid_ml");
  BOOST_TEST(served.exit_code == 0);
  setenv("FTCONFIG_MODEL_SLOT", "cand2", 1);
  auto cand = RunCli("--models-dir " + d.path.string() +
                " recommend --gpu T4 --model meta-llama/Llama-3.1-8B --adapter qlora --strategy hybrid_ml");
  unsetenv("FTCONFIG_MODEL_SLOT");
  BOOST_TEST_REQUIRE(cand.exit_code == 0, cand.out);
  json a = json::parse(served.out), b = json::parse(cand.out);
  BOOST_TEST(b["vram"]["notes"].dump().find("telemetry calibration") != std::string::npos);
  BOOST_TEST(b["time"]["mfu_assumed"].get<double>() < a["time"]["mfu_assumed"].get<double>());
  // A candidate that was not promoted does not move the "last training"
  // clock: those runs are still new. And without a held-out evaluation
  // (--no-held-out) it never reaches production.
  r = RunCli("retrain check --min-new-runs 1 --store " + store + " --registry " + reg + " --summary " + (d / "s.md"));
  BOOST_TEST(r.exit_code == 10, r.out);
  BOOST_TEST_REQUIRE(RunCli("promote cand2 --to staging --reason t --registry " + reg).exit_code == 0);
  BOOST_TEST_REQUIRE(RunCli("promote cand2 --to canary --reason t --registry " + reg).exit_code == 0);
  auto refused = RunCli("promote cand2 --to production --reason t --registry " + reg);
  BOOST_TEST(refused.exit_code == 1, refused.out);
  BOOST_TEST(refused.out.find("held-out") != std::string::npos, refused.out);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------
// The learning loop (issue 17): plausibility and quarantine, the calibration
// per context with censored OOM runs and its own gates, triggers per context.

BOOST_AUTO_TEST_SUITE(learning_loop)

BOOST_AUTO_TEST_CASE(implausible_events_are_quarantined_reported_and_never_trained_on) {
  TempDir d("quarantine");
  std::string jsonl = SyntheticRuns(6, 1.0, 1.0, 0, 9000);
  std::vector<json> lines;
  for (size_t a = 0, b; (b = jsonl.find('\n', a)) != std::string::npos; a = b + 1) lines.push_back(json::parse(jsonl.substr(a, b - a)));
  // lines: start0, complete0, start1, complete1, ...
  lines[1]["peak_memory_reserved_bytes"] = 1e15;         // more than any T4 holds
  lines[3]["peak_memory_reserved_bytes"] = 1000000;      // less than the model's weights
  lines[5]["tokens_per_sec"] = 1e300;                    // beyond the hardware
  lines[7]["timestamp"] = "2099-01-01T00:00:00Z";        // the future
  json again = lines[9];
  again["event_id"] = Uuid(99999);                       // a second completion of run 4
  lines.push_back(again);
  json absurd = lines[10];
  absurd["recommendation"]["hyperparameters"]["learning_rate"] = 1e6;
  absurd["event_id"] = Uuid(99998);
  absurd["run_id"] = Uuid(99997);
  lines.push_back(absurd);
  std::string text;
  for (const auto& l : lines) text += l.dump() + "\n";
  WriteFile(d / "in.jsonl", text);
  auto r = RunCli("telemetry import --no-queue --store " + (d / "s.db") + " " + (d / "in.jsonl"));
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  json j = json::parse(r.out);
  BOOST_TEST(j["quarantined"] == 6, r.out);
  std::set<std::string> rules;
  for (const auto& q : j["quarantine"]) rules.insert(q["rule"].get<std::string>());
  BOOST_TEST((rules == std::set<std::string>{"peak_memory", "throughput", "timestamp", "duplicate_completion",
                                             "recommendation"}),
             j["quarantine"].dump());
  // Importing again: still quarantined, nothing stored twice.
  r = RunCli("telemetry import --no-queue --store " + (d / "s.db") + " " + (d / "in.jsonl"));
  BOOST_TEST(json::parse(r.out)["quarantined"] == 6, r.out);
  BOOST_TEST(json::parse(r.out)["stored"] == 0, r.out);
  auto st = RunCli("telemetry status --store " + (d / "s.db"));
  json sj = json::parse(st.out);
  BOOST_TEST(sj["quarantined"] == 6, st.out);
  BOOST_TEST(sj["quarantined_by_rule"]["peak_memory"] == 2, st.out);
  // Retraining reads only the plausible runs: 2 completions of 6 runs.
  auto runs = cli::ReadMeasuredRuns(d / "s.db");
  BOOST_TEST_REQUIRE(runs.ok());
  BOOST_TEST(runs.value().size() == 2u);
  // The export skips them too and resumes from its cursor.
  auto ex = RunCli("telemetry export --store " + (d / "s.db") + " --limit 3");
  BOOST_TEST_REQUIRE(ex.exit_code == 0, ex.out);
  json last = json::parse(ex.out.substr(ex.out.rfind('\n', ex.out.size() - 2) + 1));
  BOOST_TEST(last["events"] == 3);
  BOOST_TEST(last["more"] == true);
  auto rest = RunCli("telemetry export --store " + (d / "s.db") + " --since " + last["cursor"].dump());
  json tail = json::parse(rest.out.substr(rest.out.rfind('\n', rest.out.size() - 2) + 1));
  BOOST_TEST(tail["events"] == 5);  // 6 starts + 2 completions stored, 3 already exported
  BOOST_TEST(tail["more"] == false);
}

BOOST_AUTO_TEST_CASE(oom_runs_are_lower_bounds_not_missing_values) {
  // Four runs measured at 1.2x, six OOMs whose peak at failure was 1.25x:
  // dropping the OOMs says 1.2; most runs needed more than 1.25.
  std::vector<std::pair<double, bool>> v;
  for (int i = 0; i < 4; ++i) v.push_back({std::log(1.2), false});
  for (int i = 0; i < 6; ++i) v.push_back({std::log(1.25), true});
  BOOST_TEST(std::exp(cli::CensoredMedian(v)) >= 1.25 - 1e-9);
  // An OOM below the exact values leaves the risk set there (Kaplan-Meier):
  // the median is the second of the four exact values, not their middle.
  std::vector<std::pair<double, bool>> w = {{0.1, false}, {0.2, false}, {0.3, false}, {0.05, true}, {0.4, false}};
  BOOST_TEST(cli::CensoredMedian(w) == 0.2);
}

BOOST_AUTO_TEST_CASE(calibration_is_per_context_and_shrinks_thin_evidence) {
  std::vector<cli::CalibrationObservation> obs;
  auto add = [&](const std::string& family, const std::string& gpu, double ratio, int n) {
    for (int i = 0; i < n; ++i)
      obs.push_back({{family, "unknown", gpu}, family + gpu + std::to_string(i), std::log(ratio), false, std::nullopt});
  };
  add("gemma", "16gb", 1.30, 40);
  add("qwen", "16gb", 0.80, 40);
  add("phi", "24gb", 1.50, 1);  // one run: stays near the global value
  cli::CalibrationFitOptions fo;
  fo.version = "c";
  json a = cli::FitCalibration(obs, fo);
  auto cal = ftconfig::Calibration::Load(a.dump());
  BOOST_TEST_REQUIRE(cal.ok(), a.dump());
  auto g = cal.value().ForContext({"gemma", "unknown", "16gb"});
  auto q = cal.value().ForContext({"qwen", "unknown", "16gb"});
  auto p = cal.value().ForContext({"phi", "unknown", "24gb"});
  auto other = cal.value().ForContext({"llama", "unknown", "80gb"});
  BOOST_TEST(std::abs(g.memory_scale - 1.30) < 0.03, a.dump());
  BOOST_TEST(std::abs(q.memory_scale - 0.80) < 0.03, a.dump());
  const double global = cal.value().memory_scale;
  BOOST_TEST(std::abs(p.memory_scale - global) < std::abs(1.5 - global) / 2, a.dump());  // shrunk toward global
  BOOST_TEST(other.memory_scale == cal.value().memory_scale);      // no entry: the global one
  BOOST_TEST(g.memory_guard >= g.memory_scale);                    // p95 guard
  // Narrowed for an engine that applies global scales, and read back.
  auto narrowed = ftconfig::Calibration::Load(g.ToArtifact());
  BOOST_TEST_REQUIRE(narrowed.ok());
  BOOST_TEST(narrowed.value().memory_scale == g.memory_scale);
  BOOST_TEST(narrowed.value().contexts.empty());
  // format_version 1 still never lowers memory.
  auto v1 = ftconfig::Calibration::Load(R"({"artifact":"ftconfig.calibration","version":"x","memory":{"scale":0.8}})");
  BOOST_TEST_REQUIRE(v1.ok());
  BOOST_TEST(v1.value().memory_scale == 1.0);
}

BOOST_AUTO_TEST_CASE(calibration_gates_pass_a_better_candidate_and_block_a_worse_one) {
  cli::CalibrationScore good, bad, prod;
  good.runs = bad.runs = prod.runs = 40;
  prod.median_abs_error = 0.15, prod.missed_oom_rate = 0.10;
  good.median_abs_error = 0.02, good.missed_oom_rate = 0.0;
  bad.median_abs_error = 0.20, bad.missed_oom_rate = 0.05;
  auto passed = [](const json& gates) {
    bool ok = true;
    for (const auto& g : gates) ok = ok && g["passed"].get<bool>();
    return ok;
  };
  BOOST_TEST(passed(cli::CalibrationGates(good, prod)));
  BOOST_TEST(!passed(cli::CalibrationGates(bad, prod)));
  good.missed_oom_rate = 0.2;  // better error but more missed OOMs: blocked
  BOOST_TEST(!passed(cli::CalibrationGates(good, prod)));
}

BOOST_AUTO_TEST_CASE(retrain_calibrate_ships_a_gated_calibration_alone) {
  TempDir d("calibrate");
  std::string reg = MakeRegistry(d);
  // Gemma under-estimated by 30%, Llama right: 80 runs each.
  std::string store = MakeStore(d, "runs", SyntheticRuns(59, 1.30, 1.0, 0, 20000, "google/gemma-2-9b", 9.24) +
                                               SyntheticRuns(59, 1.0, 1.0, 0, 30000));
  // The overall median error is under 20%, Gemma's is not: the context fires.
  auto c = RunCli("retrain check --min-new-runs 1000 --store " + store + " --registry " + reg + " --now 2026-11-20T00:00:00Z");
  BOOST_TEST_REQUIRE(c.exit_code == 10, c.out);
  BOOST_TEST(c.out.find("memory_drift[family=gemma]") != std::string::npos, c.out);
  auto r = RunCli("retrain calibrate --version cal1 --store " + store + " --registry " + reg);
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  json j = json::parse(r.out);
  BOOST_TEST(j["gates_passed"] == true);
  json s = Status(reg);
  const json& v = s["versions"].back();
  BOOST_TEST(v["version"] == "cal1");
  // Its reranker and predictor are production's; only the calibration is new.
  for (const char* k : {"promote cal1 --to staging", "promote cal1 --to canary", "promote cal1 --to production"})
    BOOST_TEST_REQUIRE(RunCli(std::string(k) + " --reason calibrated --registry " + reg).exit_code == 0, k);
  // Served: Gemma's estimate scaled by its context, Llama's left alone.
  auto gemma = RunCli("--models-dir " + d.path.string() + " recommend --gpu T4 --model google/gemma-2-9b --adapter qlora");
  BOOST_TEST_REQUIRE(gemma.exit_code == 0, gemma.out);
  BOOST_TEST(gemma.out.find("(context gemma/") != std::string::npos, gemma.out);
  // estimate narrows the calibration to its input's context too.
  auto est = RunCli("--models-dir " + d.path.string() + " estimate -",
                    R"({"model_name": "google/gemma-2-9b", "method": "qlora", "gpu": "T4", "seq_len": 512})");
  BOOST_TEST(est.exit_code != 2, est.out);
  BOOST_TEST(est.out.find("(context gemma/") != std::string::npos, est.out);
  // The runs before this training are no longer new.
  c = RunCli("retrain check --min-new-runs 1 --store " + store + " --registry " + reg);
  BOOST_TEST(json::parse(c.out)["runs"]["new"] == 0, c.out);
}

// Feedback from the CLI counts for the learning brain: `recommend --log-to`
// logs the recommendation event that `telemetry record feedback` refers to.
BOOST_AUTO_TEST_CASE(cli_feedback_changes_the_brains_decision) {
  TempDir d("cli-feedback");
  const std::string store = d / "t.db";
  const std::string flags = " --gpu \"A100 80GB\" --model meta-llama/Llama-3.1-8B --adapter lora";
  json plain = json::parse(RunCli("recommend" + flags).out);
  BOOST_TEST_REQUIRE(plain["strategy_decision"]["applied"] == false);
  const std::string plain_used = plain["strategy"]["used"].get<std::string>();
  for (int i = 0; i < 11; ++i) {
    const bool good = i < 6;
    auto rec = RunCli("recommend" + flags + " --strategy " + (good ? "deterministic" : plain_used) + " --log-to " + store);
    BOOST_TEST_REQUIRE(rec.exit_code == 0, rec.out);
    const std::string id = json::parse(rec.out)["recommendation_event_id"].get<std::string>();
    auto fb = RunCli("telemetry record feedback --no-queue --store " + store + " --recommendation-event-id " + id +
                     " --rating " + (good ? "5" : "3") + " --outcome " + (good || i % 2 ? "success" : "oom"));
    BOOST_TEST_REQUIRE(fb.exit_code == 0, fb.out);
  }
  json j = json::parse(RunCli("recommend" + flags + " --feedback-store " + store).out);
  BOOST_TEST(j["strategy_decision"]["applied"] == true, j["strategy_decision"].dump());
  BOOST_TEST(j["strategy_decision"]["chosen"] == "deterministic");
  BOOST_TEST(j["strategy_decision"]["evidence"]["deterministic"]["feedback"] == 6);
}

// The top-level string values of the notebook's FTCONFIG dict (one key per line).
json NotebookFtconfig(const std::string& path) {
  json nb = json::parse(ftconfig::test::ReadFile(path));
  for (const auto& cell : nb["cells"]) {
    std::string src;
    for (const auto& line : cell["source"]) src += line.get<std::string>();
    const size_t at = src.find("\nFTCONFIG = {\n");
    if (at == std::string::npos) continue;
    json out = json::object();
    for (size_t i = at + 14; i < src.size() && src.compare(i, 5, "    \"") == 0;) {
      const size_t end = src.find('\n', i);
      const std::string line = src.substr(i + 4, end - i - 4);  // "key": "value",
      const size_t colon = line.find("\": ");
      if (colon != std::string::npos && line.size() > colon + 4 && line[colon + 3] == '"')
        out[line.substr(1, colon - 1)] = line.substr(colon + 4, line.rfind('"') - colon - 4);
      i = end + 1;
    }
    return out;
  }
  return nullptr;
}

// Feedback from the notebook counts for the learning brain: the notebook of a
// logged recommendation names it (and the served model version) in its
// telemetry, and run_complete outcomes count as feedback.
BOOST_AUTO_TEST_CASE(notebook_run_outcomes_change_the_brains_decision) {
  TempDir d("nb-feedback");
  const std::string store = d / "t.db";
  const std::string flags = " --gpu \"A100 80GB\" --model meta-llama/Llama-3.1-8B --adapter lora";
  json plain = json::parse(RunCli("recommend" + flags).out);
  const std::string plain_used = plain["strategy"]["used"].get<std::string>();
  std::ofstream runs(d / "runs.jsonl");
  for (int i = 0; i < 11; ++i) {
    const bool good = i < 6;
    const std::string nb = d / ("nb" + std::to_string(i) + ".ipynb");
    auto rec = RunCli("recommend" + flags + " --strategy " + (good ? "deterministic" : plain_used) + " --log-to " +
                      store + " --notebook " + nb);
    BOOST_TEST_REQUIRE(rec.exit_code == 0, rec.out);
    const std::string id = json::parse(rec.out)["recommendation_event_id"].get<std::string>();
    json ft = NotebookFtconfig(nb);
    BOOST_TEST_REQUIRE(ft.is_object());
    BOOST_TEST(ft["recommendation_event_id"] == id);
    BOOST_TEST(ft["model_version"].is_string());
    json done = {{"schema_version", 1}, {"event", "run_complete"}, {"event_id", Uuid(700000 + i)},
                 {"run_id", Uuid(710000 + i)}, {"timestamp", "2026-05-01T10:00:00.000Z"}, {"source", "notebook"},
                 {"engine_version", ft["engine_version"]}, {"fingerprint", ft["fingerprint"]},
                 {"recommendation_event_id", id}, {"model_slot", ft["model_slot"]}, {"model_version", ft["model_version"]},
                 {"outcome", good || i % 2 ? "success" : "oom"}};
    runs << done.dump() << "\n";
    if (i == 0) {  // a second completion of the same run counts once
      done["event_id"] = Uuid(720000);
      runs << done.dump() << "\n";
    }
  }
  runs.close();
  auto imp = RunCli("telemetry import " + (d / "runs.jsonl") + " --store " + store);
  BOOST_TEST_REQUIRE(imp.exit_code == 0, imp.out);
  json j = json::parse(RunCli("recommend" + flags + " --feedback-store " + store).out);
  BOOST_TEST(j["strategy_decision"]["applied"] == true, j["strategy_decision"].dump());
  BOOST_TEST(j["strategy_decision"]["chosen"] == "deterministic");
  BOOST_TEST(j["strategy_decision"]["evidence"]["deterministic"]["feedback"] == 6);
  BOOST_TEST(j["strategy_decision"]["evidence"]["deterministic"]["success"] == 6);
}

// Runs tagged with the version that served them (model_version).
std::string TaggedRuns(int n, int oom_every, int id_base, const std::string& version) {
  std::string out, jsonl = SyntheticRuns(n, 1.0, 1.0, oom_every, id_base);
  for (size_t a = 0, b; (b = jsonl.find('\n', a)) != std::string::npos; a = b + 1) {
    json e = json::parse(jsonl.substr(a, b - a));
    e["model_version"] = version;
    out += e.dump() + "\n";
  }
  return out;
}

BOOST_AUTO_TEST_CASE(canary_report_promotes_rolls_back_or_waits) {
  TempDir d("canary-report");
  std::string reg = MakeRegistry(d);
  BOOST_TEST_REQUIRE(RunCli("promote B --to staging --reason t --registry " + reg).exit_code == 0);
  BOOST_TEST_REQUIRE(RunCli("promote B --to canary --reason t --registry " + reg).exit_code == 0);
  // Too few canary runs: wait.
  std::string store = MakeStore(d, "few", TaggedRuns(30, 0, 40000, "A") + TaggedRuns(5, 0, 41000, "B"));
  auto r = RunCli("canary report --store " + store + " --registry " + reg);
  BOOST_TEST(r.exit_code == 10, r.out);
  BOOST_TEST(json::parse(r.out)["verdict"] == "wait");
  // The canary as healthy as production: promote.
  store = MakeStore(d, "same", TaggedRuns(30, 0, 42000, "A") + TaggedRuns(30, 0, 43000, "B"));
  r = RunCli("canary report --store " + store + " --registry " + reg);
  BOOST_TEST(r.exit_code == 0, r.out);
  json j = json::parse(r.out);
  BOOST_TEST(j["canary"]["runs"] == 30);
  BOOST_TEST(j["production"]["oom_rate"] == 0.0);
  // One canary run in three ran out of memory: roll back.
  store = MakeStore(d, "worse", TaggedRuns(30, 0, 44000, "A") + TaggedRuns(30, 3, 45000, "B"));
  r = RunCli("canary report --store " + store + " --registry " + reg);
  BOOST_TEST(r.exit_code == 1, r.out);
  j = json::parse(r.out);
  BOOST_TEST(j["verdict"] == "rollback");
  BOOST_TEST(j["tests"]["oom_rate_higher_p"].get<double>() < 0.05);
}

// A collector token over its quota: quarantined (the other rules need a store).
BOOST_AUTO_TEST_CASE(plausibility_quota_per_token) {
  struct View : ftconfig::telemetry::PlausibilityView {
    std::int64_t sent = 0;
    json RunStart(const std::string&) override { return nullptr; }
    bool HasCompletion(const std::string&) override { return false; }
    std::int64_t ReceivedFrom(const std::string&, const std::string&) override { return sent; }
  } view;
  auto ev = ftconfig::telemetry::ValidateEvent(json::parse(
      R"({"schema_version":1,"event":"feedback","event_id":"00000000-0000-4000-8000-000000000001",
          "timestamp":"2026-11-01T00:00:00Z","source":"browser","rating":4,
          "recommendation_event_id":"00000000-0000-4000-8000-000000000002"})"));
  BOOST_TEST_REQUIRE(ev.ok());
  ftconfig::telemetry::PlausibilityRules rules;
  rules.quota_per_token_per_day = 100;
  view.sent = 99;
  BOOST_TEST(ftconfig::telemetry::CheckPlausibility(ev.value(), "collect:alice", rules, view).plausible());
  view.sent = 100;
  auto v = ftconfig::telemetry::CheckPlausibility(ev.value(), "collect:alice", rules, view);
  BOOST_TEST(v.rule == "quota");
  // Local imports have no quota.
  BOOST_TEST(ftconfig::telemetry::CheckPlausibility(ev.value(), "import", rules, view).plausible());
}

BOOST_AUTO_TEST_CASE(serving_a_gate_failed_slot_warns) {
  TempDir d("warn");
  MakeRegistry(d);
  setenv("FTCONFIG_MODEL_SLOT", "C", 1);  // C failed its gates
  std::string cmd = std::string(FTCONFIG_CLI) + " --models-dir " + d.path.string() +
                    " recommend --gpu T4 --model meta-llama/Llama-3.1-8B --adapter qlora 2>&1 >/dev/null";
  std::string err;
  if (FILE* f = popen(cmd.c_str(), "r")) {
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof buf, f)) err.append(buf, n);
    pclose(f);
  }
  unsetenv("FTCONFIG_MODEL_SLOT");
  BOOST_TEST(err.find("warning: serving model version C") != std::string::npos, err);
  BOOST_TEST(err.find("FAILED") != std::string::npos, err);
}

BOOST_AUTO_TEST_SUITE_END()
