// Issue 18 (reliability): each reproducer of the issue as a regression test
// named after its defect. The collector's HTTP limits are in
// telemetry_test.cpp (suite collector_limits); the bad-input table is
// bad_input_test.cpp.
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ftconfig/brain.h"
#include "ftconfig/corpus.h"
#include "ftconfig/estimate.h"
#include "ftconfig/json_text.h"
#include "ftconfig/limits.h"
#include "ftconfig/recommend.h"
#include "model_registry.h"
#include "retrain.h"
#include "telemetry_event.h"
#include "test_util.h"
#include "train_data.h"

using namespace ftconfig;

namespace {

json Row(const std::string& model_name) {
  return {{"model_name", model_name},   {"task_type", "sft"},       {"adapter_type", "lora"},
          {"learning_rate", 2e-4},      {"batch_size_per_device", 4}};
}

std::optional<double> ParamsOfName(const std::string& name) {
  auto r = NormalizeRow(Row(name), test::FixtureCatalog());
  BOOST_TEST_REQUIRE(r.ok(), name.substr(0, 40) << ": " << (r.ok() ? std::string() : r.error().message));
  return r.value().model_params_b;
}

const Catalog& Bundled() { return test::BundledEngine().catalog(); }

std::pair<json, int> Estimate(const json& in) {
  const Catalog* c = &Bundled();
  return EstimateFromJson(in, [c]() -> Result<const Catalog*> { return c; });
}

json Event(const std::string& type) {
  json e = {{"schema_version", 1},
            {"event", type},
            {"event_id", "00000000-0000-4000-8000-000000000001"},
            {"timestamp", "2026-05-01T12:00:00Z"},
            {"fingerprint", "1baf7fcff69ec0d4"},
            {"source", "browser"}};
  if (type == "feedback") e["rating"] = 4;
  return e;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(reliability)

BOOST_AUTO_TEST_CASE(params_from_name_scans_long_digit_runs_without_regex) {
  BOOST_TEST(*ParamsOfName("org/MyTune-7b-hf") == 7.0);
  BOOST_TEST(*ParamsOfName("SmolLM2-135M") == 0.135);
  BOOST_TEST(*ParamsOfName("Qwen2.5-1.5B-Instruct") == 1.5);
  BOOST_TEST(*ParamsOfName("merge-7b-13b") == 13.0);  // the last hint wins
  BOOST_TEST(!ParamsOfName("bert-base-uncased").has_value());
  BOOST_TEST(*ParamsOfName("gpt2.5b") == 2.5);
  BOOST_TEST(!ParamsOfName("v1.7.5b").has_value());  // after a '.', not a size
  // 30,000 digits crashed std::regex (recursion); 400 nines threw from stod.
  BOOST_TEST(!ParamsOfName("m-" + std::string(30000, '7') + "b").has_value());
  BOOST_TEST(!ParamsOfName("m-" + std::string(400, '9') + "b").has_value());
}

BOOST_AUTO_TEST_CASE(corpus_row_with_a_400_digit_size_is_rejected_and_counted) {
  json good = Row("org/Llama-2-7b-hf");
  json digits = Row("m-" + std::string(400, '9') + "b");
  json huge = good;
  huge["model_params_b"] = std::string(400, '9') + "B";
  huge["id"] = "huge";
  json nan = good;
  nan["model_params_b"] = "nanB";
  nan["id"] = "nan";
  std::string jsonl = good.dump() + "\n" + digits.dump() + "\n" + huge.dump() + "\n" + nan.dump() + "\n" +
                      Row("m-" + std::string(30000, '1') + "b").dump() + "\n";
  auto c = Corpus::Build({{"hostile.jsonl", jsonl}}, test::FixtureCatalog());
  BOOST_TEST_REQUIRE(c.ok(), (c.ok() ? std::string() : c.error().message));
  const auto& st = c.value().stats();
  BOOST_TEST(st.rows_read == 5);
  BOOST_TEST(st.rows_accepted + st.rows_rejected + st.rows_duplicate == 5);
  // No size is infinite or NaN ("999...9B" and "nanB" give none; the catalog's is used).
  for (const auto& r : c.value().records())
    if (r.model_params_b) BOOST_TEST((*r.model_params_b > 0 && *r.model_params_b <= 2000), r.id);
}

BOOST_AUTO_TEST_CASE(effective_batch_size_overflow_is_rejected) {
  json row = Row("org/Llama-2-7b-hf");
  row["batch_size_per_device"] = 4096;
  row["gradient_accumulation_steps"] = 4096;
  row["num_gpus"] = 100000;
  auto r = NormalizeRow(row, test::FixtureCatalog());
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().message == "effective_batch_size_out_of_range");
  row["num_gpus"] = 8;
  row["gradient_accumulation_steps"] = 16;
  r = NormalizeRow(row, test::FixtureCatalog());
  BOOST_TEST_REQUIRE(r.ok());
  BOOST_TEST(r.value().effective_batch_size == 4096 * 16 * 8);
}

BOOST_AUTO_TEST_CASE(stated_gpu_size_scans_without_regex_or_stod) {
  using cli::StatedGpuGb;
  BOOST_TEST(*StatedGpuGb("2x48GB GPU") == 48.0);
  BOOST_TEST(*StatedGpuGb("4x A100 (40GB)") == 40.0);
  BOOST_TEST(*StatedGpuGb("80 gb card") == 80.0);
  BOOST_TEST(!StatedGpuGb("A100").has_value());
  BOOST_TEST(!StatedGpuGb(std::string(30000, '8') + "GB").has_value());
  BOOST_TEST(!StatedGpuGb(std::string(400, '9') + " GB").has_value());
}

BOOST_AUTO_TEST_CASE(retrain_check_survives_a_numeric_model) {
  cli::MeasuredRun run;
  run.complete = {{"peak_memory_allocated_bytes", 8e9}};
  run.start = {{"recommendation",
                {{"model", 5}, {"task_type", 7}, {"adapter_type", json::array()}, {"hyperparameters", json::object()},
                 {"gpu", {{"id", "a10g"}, {"count", 1e300}}}}}};
  BOOST_CHECK_NO_THROW(cli::Reestimate(&run, Bundled(), Calibration{}));
  BOOST_TEST(run.reestimate_error == "unknown model and no model_params_b");
}

BOOST_AUTO_TEST_CASE(estimate_refuses_deep_nesting_before_echoing) {
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  json in = {{"params_b", 7}, {"method", "lora"}, {"id", json::parse(deep)}};
  auto [out, code] = Estimate(in);
  BOOST_TEST(code == 2);
  BOOST_TEST(out["error"]["code"] == "invalid_value");
  BOOST_TEST(out["error"]["field"] == "input");
  BOOST_TEST(!out.contains("id"));
  // The CLI the same way (it crashed with a stack overflow).
  auto r = test::RunCli(std::string("--data-dir ") + FTCONFIG_DATA_DIR + " estimate -",
                        "{\"params_b\": 7, \"id\": " + deep + "}");
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(json::parse(r.out)["error"]["field"] == "input");
}

BOOST_AUTO_TEST_CASE(estimate_params_b_is_positive_for_architectures_and_tiny_tied_models) {
  auto [arch, code] = Estimate({{"hidden_size", 64}, {"num_layers", 2}, {"vocab_size", 1000}, {"method", "full"}});
  BOOST_TEST_REQUIRE(code != 2, arch.dump());
  BOOST_TEST(arch["model"]["params_b"].get<double>() > 0);
  for (const auto& m : Bundled().models()) {
    auto [tied, c2] = Estimate({{"model_name", m.id}, {"tie_word_embeddings", !m.arch.tie_word_embeddings},
                                {"method", "lora"}});
    if (c2 == 2) continue;
    BOOST_TEST(tied["model"]["params_b"].get<double>() > 0, m.id);
  }
}

BOOST_AUTO_TEST_CASE(architecture_fields_have_ranges) {
  auto r = ParseRequest(std::string(R"({"model_params_b": 7, "architecture": {"hidden_size": 10000000, "num_layers": 32}})"));
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code == ErrorCode::kInvalidValue);
  BOOST_TEST(r.error().field == "architecture.hidden_size");
  r = ParseRequest(std::string(R"({"architecture": {"hidden_size": 4096, "num_layers": 32, "num_attention_heads": 0}})"));
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().field == "architecture.num_attention_heads");
  auto [out, code] = Estimate({{"hidden_size", 4096}, {"num_layers", 32}, {"head_dim", 100000}});
  BOOST_TEST(code == 2);
  BOOST_TEST(out["error"]["field"] == "head_dim");
}

BOOST_AUTO_TEST_CASE(names_have_length_limits_and_hints_bounded_work) {
  auto r = ParseRequest(json{{"model", std::string(10000, 'x')}}.dump());
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code == ErrorCode::kInvalidValue);
  BOOST_TEST(r.error().field == "model");
  auto [out, code] = Estimate({{"model_name", std::string(10000, 'x')}});
  BOOST_TEST(code == 2);
  BOOST_TEST(out["error"]["field"] == "model_name");
  // The catalog's hints compare a bounded prefix: a 200k-character query
  // still gets names (docs/reliability.md has the timing).
  BOOST_TEST(Bundled().ClosestModelNames("llama-3.1-8b" + std::string(200000, 'z')).size() > 0u);
}

BOOST_AUTO_TEST_CASE(brain_ignores_absurd_nested_recommendation_values) {
  json rec = {{"event", "recommendation"},
              {"event_id", "r1"},
              {"strategy", BrainStrategies().front()},
              {"response",
               {{"request", {{"task_type", "sft"}, {"adapter_type", "qlora"}, {"model_params_b", 7}}},
                {"confidence", {{"score", 1e308}}},
                {"vram", {{"per_gpu_gb", -50}, {"usable_gb", 22}}}}}};
  auto ev = EvidenceFromEvents({rec}, "sft", "qlora", SizeBucket(7.0));
  BOOST_TEST_REQUIRE(ev.strategies.count(BrainStrategies().front()) == 1u);
  const auto& s = ev.strategies.at(BrainStrategies().front());
  BOOST_TEST(s.recommendations == 1);
  BOOST_TEST(!static_cast<bool>(s.mean_confidence));
  BOOST_TEST(!static_cast<bool>(s.mean_vram_utilization));
}

BOOST_AUTO_TEST_CASE(telemetry_integer_fields_are_checked_before_any_cast) {
  json e = Event("feedback");
  e["schema_version"] = 1e20;  // UBSan: float->int cast out of range
  auto r = telemetry::ValidateEvent(e);
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().field == "schema_version");
  e["schema_version"] = 4294967297LL;  // was truncated to 1 and stored
  r = telemetry::ValidateEvent(e);
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code == ErrorCode::kUnsupported);
  json run = Event("run_complete");
  run["run_id"] = "00000000-0000-4000-8000-000000000002";
  run["engine_version"] = "0.1.0";
  run["outcome"] = "success";
  run["peak_memory_allocated_bytes"] = 1e300;
  r = telemetry::ValidateEvent(run);
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().field == "peak_memory_allocated_bytes");
}

BOOST_AUTO_TEST_CASE(impossible_dates_are_refused) {
  json e = Event("feedback");
  for (const char* bad : {"2026-02-31T00:00:00Z", "2026-04-31T00:00:00Z", "2025-02-29T00:00:00Z"}) {
    e["timestamp"] = bad;
    auto r = telemetry::ValidateEvent(e);
    BOOST_TEST_REQUIRE(!r.ok(), bad);
    BOOST_TEST(r.error().field == "timestamp");
  }
  e["timestamp"] = "2028-02-29T23:59:59Z";  // a leap day
  BOOST_TEST(telemetry::ValidateEvent(e).ok());
}

BOOST_AUTO_TEST_CASE(errors_quoting_partial_utf8_keep_code_and_field) {
  Error e{ErrorCode::kInvalidValue, "model\xe2\x82", "unknown model \"abc\xe2\x82\""};
  json o;
  BOOST_CHECK_NO_THROW(o = json::parse(ErrorObject(e).dump()));
  BOOST_TEST(o["code"] == "invalid_value");
  BOOST_TEST(o["message"].get<std::string>().find("unknown model") == 0u);
  // Invalid UTF-8 in a request: invalid_json, and the error serializes.
  auto r = ParseRequest(std::string("{\"model\": \"\xe2\x82\"}"));
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code == ErrorCode::kInvalidJson);
  BOOST_CHECK_NO_THROW(ErrorObject(r.error()).dump());
}

BOOST_AUTO_TEST_CASE(registry_ids_refuse_dot_and_hidden_names) {
  for (const char* bad : {".", "..", ".hidden", "-x", "a/b", ""}) BOOST_TEST(!cli::ValidId(bad), bad);
  for (const char* good : {"v2-source-vote", "2026.05.01", "a"}) BOOST_TEST(cli::ValidId(good), good);
}

BOOST_AUTO_TEST_CASE(registry_checks_history_and_versions_when_loading) {
  auto registry = [](const json& artifact, const json& history) {
    json doc = {{"format_version", 2},
                {"aliases", {{"production", "v1"}, {"canary", nullptr}}},
                {"versions", {{{"version", "v1"}, {"stage", "production"}, {"artifacts", {{"reranker", artifact}}}}}},
                {"history", history}};
    return cli::ModelRegistry::Parse(doc.dump(), "/tmp/models/registry.json");
  };
  BOOST_TEST(registry({{"path", "versions/v1/reranker.json"}}, json::array()).ok());
  auto r = registry({{"path", "r.json"}, {"version", 5}}, json::array());
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().message.find("artifacts.reranker.version") != std::string::npos, r.error().message);
  r = registry({{"path", "r.json"}}, json::array({5}));
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().message.find("history[0]") != std::string::npos, r.error().message);
  r = registry({{"path", "r.json"}}, json::array({{{"action", 7}}}));
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().message.find("history[0].action") != std::string::npos, r.error().message);
  // format_version 4294967297 was read as 1.
  r = cli::ModelRegistry::Parse(R"({"format_version": 4294967297, "models": []})", "/tmp/models/registry.json");
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code == ErrorCode::kUnsupported);
  // A v1 registry with a numeric slot: a data error path, not a json type_error.
  r = cli::ModelRegistry::Parse(R"({"format_version": 1, "models": [{"slot": 5, "kind": 3, "path": "x"}]})",
                                "/tmp/models/registry.json");
  BOOST_TEST(r.ok());
}

BOOST_AUTO_TEST_CASE(calibration_format_version_is_not_truncated) {
  auto c = Calibration::Load(R"({"artifact": "ftconfig.calibration", "format_version": 4294967297})");
  BOOST_TEST_REQUIRE(!c.ok());
  BOOST_TEST(c.error().field == "calibration.format_version");
}

BOOST_AUTO_TEST_CASE(killed_promotes_and_retrains_leave_no_leftovers) {
  pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ::waitpid(dead, nullptr, 0);
  char tmpl[] = "/tmp/ftconfig-leftovers-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  const std::string stale = dir + "/.registry.json.tmp." + std::to_string(dead);
  const std::string mine = dir + "/.registry.json.tmp.1";  // pid 1 is alive: kept
  { std::ofstream(stale) << "{}"; }
  { std::ofstream(mine) << "{}"; }
  std::filesystem::create_directories(dir + "/ftconfig-retrain-" + std::to_string(dead) + "/corpus");
  BOOST_TEST(cli::ModelRegistry::Empty(dir + "/registry.json").Save().ok());
  BOOST_TEST(!std::filesystem::exists(stale));
  BOOST_TEST(std::filesystem::exists(mine));
  BOOST_TEST(cli::RemoveLeftoversOfDeadProcesses(dir, "ftconfig-retrain-") == 1);
  BOOST_TEST(!std::filesystem::exists(dir + "/ftconfig-retrain-" + std::to_string(dead)));
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(telemetry_import_reports_an_invalid_utf8_line_next_to_the_stored_ones) {
  char tmpl[] = "/tmp/ftconfig-import-utf8-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  json second = Event("feedback");
  second["event_id"] = "00000000-0000-4000-8000-000000000002";
  {
    std::ofstream f(dir + "/ev.jsonl", std::ios::binary);
    f << Event("feedback").dump() << "\n{\"event\": \"feedback\", \"notes\": \"\xe2\x82\"}\n" << second.dump() << "\n";
  }
  auto r = test::RunCli("telemetry import " + dir + "/ev.jsonl --store " + dir + "/s.db");
  BOOST_TEST(r.exit_code == 2);
  json out = json::parse(r.out);  // valid JSON although the line quoted half a character
  BOOST_TEST(out["stored"] == 2);
  BOOST_TEST_REQUIRE(out["errors"].size() == 1u);
  BOOST_TEST(out["errors"][0]["code"] == "invalid_json");
  BOOST_TEST(out["errors"][0]["at"].get<std::string>().find("ev.jsonl:2") != std::string::npos);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(estimate_refuses_an_unknown_layer_type_naming_the_field) {
  auto [out, code] = Estimate(json{{"hidden_size", 64}, {"num_layers", 2}, {"layer_type", "llama9"}});
  BOOST_TEST(code == 2);
  BOOST_TEST(out["error"]["field"] == "layer_type");
  auto [ok, ok_code] = Estimate(json{{"hidden_size", 64}, {"num_layers", 2}, {"layer_type", "gemma2"}});
  BOOST_TEST(ok_code == 0);
  BOOST_TEST(ok["activation_bytes_per_token"]["layer"].get<double>() > 0);
}

BOOST_AUTO_TEST_CASE(estimate_refuses_architecture_fields_that_contradict_each_other) {
  // A token is routed to at most every expert; a KV head serves one or more query heads.
  auto [moe, moe_code] = Estimate(json{{"hidden_size", 64}, {"num_layers", 2}, {"is_moe", true}, {"num_experts", 8},
                                       {"experts_per_token", 16}});
  BOOST_TEST(moe_code == 2);
  BOOST_TEST(moe["error"]["field"] == "experts_per_token");
  BOOST_TEST(moe["error"]["message"].get<std::string>().find("num_experts (8)") != std::string::npos);
  auto [kv, kv_code] = Estimate(json{{"hidden_size", 64}, {"num_layers", 2}, {"num_attention_heads", 4},
                                     {"num_kv_heads", 8}});
  BOOST_TEST(kv_code == 2);
  BOOST_TEST(kv["error"]["field"] == "num_kv_heads");
  auto [ok, ok_code] = Estimate(json{{"hidden_size", 64}, {"num_layers", 2}, {"is_moe", true}, {"num_experts", 8},
                                     {"experts_per_token", 8}, {"num_attention_heads", 4}, {"num_kv_heads", 4}});
  BOOST_TEST(ok_code == 0);
  // A classification head has at least one output.
  auto [labels, labels_code] = Estimate(json{{"hidden_size", 64}, {"num_layers", 2}, {"num_labels", 0}});
  BOOST_TEST(labels_code == 2);
  BOOST_TEST(labels["error"]["field"] == "num_labels");
  auto [head, head_code] = Estimate(json{{"hidden_size", 64}, {"num_layers", 2}, {"num_labels", 3}});
  BOOST_TEST(head_code == 0);
  BOOST_TEST(head["setup"]["num_labels"] == 3);
}

BOOST_AUTO_TEST_SUITE_END()
