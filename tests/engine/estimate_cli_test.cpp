// `ftconfig estimate`: exit codes 0/1/2, the answer's fields, defaults, and
// --jsonl ordering with a bad line answered in place.
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <sstream>

#include "test_util.h"

using namespace ftconfig;
using test::RunCli;

namespace {

std::string Estimate(const std::string& flags = "") {
  return std::string("--data-dir ") + FTCONFIG_DATA_DIR + " estimate " + flags;
}

json ParseOut(const test::CliResult& r) {
  json j = json::parse(r.out, nullptr, false);
  BOOST_TEST_REQUIRE(!j.is_discarded(), "stdout is not JSON: " + r.out);
  return j;
}

std::vector<json> ParseLines(const std::string& out) {
  std::vector<json> v;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    json j = json::parse(line, nullptr, false);
    BOOST_TEST_REQUIRE(!j.is_discarded(), "line is not JSON: " + line);
    v.push_back(j);
  }
  return v;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(estimate_cli)

BOOST_AUTO_TEST_CASE(fits_exits_0_with_breakdown) {
  auto r = RunCli(Estimate("-"), R"({"model_name": "meta-llama/Llama-3.2-1B", "method": "qlora", "precision": "bf16",
    "batch_size_per_device": 1, "seq_len": 512, "lora_r": 16, "gpu": "A100 80GB"})");
  BOOST_TEST(r.exit_code == 0);
  json j = ParseOut(r);
  BOOST_TEST(j["fits"] == true);
  BOOST_TEST(j["margin_gb"].get<double>() > 0);
  for (const char* k : {"peak_vram_gb", "max_allocated_gb", "reserved_gb", "eval_peak_gb", "merge_peak_gb",
                        "tokens_per_sec", "usable_vram_gb", "trainable_params_b"})
    BOOST_TEST(j[k].is_number(), k);
  for (const char* k : {"weights_gb", "adapters_gb", "gradients_gb", "optimizer_gb", "activations_gb", "logits_gb",
                        "overhead_gb"})
    BOOST_TEST(j["breakdown"][k].is_number(), k);
  BOOST_TEST(j["max_allocated_gb"].get<double>() <= j["reserved_gb"].get<double>());
  BOOST_TEST(j["reserved_gb"].get<double>() <= j["peak_vram_gb"].get<double>());
  BOOST_TEST(j["confidence"]["level"].is_string());
  BOOST_TEST(j["model"]["source"] == "catalog");
}

BOOST_AUTO_TEST_CASE(does_not_fit_exits_1) {
  auto r = RunCli(Estimate("-"), R"({"model_name": "llama-3.1-8b", "method": "full", "precision": "mixed-bf16",
    "batch_size_per_device": 4, "seq_len": 512, "gpu": "T4"})");
  BOOST_TEST(r.exit_code == 1);
  json j = ParseOut(r);
  BOOST_TEST(j["fits"] == false);
  BOOST_TEST(j["margin_gb"].get<double>() < 0);
  BOOST_TEST(j["peak_vram_gb"].get<double>() > 8.03 * 16);
}

BOOST_AUTO_TEST_CASE(no_gpu_exits_0_without_verdict) {
  auto r = RunCli(Estimate("-"), R"({"params_b": 7, "method": "lora"})");
  BOOST_TEST(r.exit_code == 0);
  json j = ParseOut(r);
  BOOST_TEST(j["fits"].is_null());
  BOOST_TEST(j["tokens_per_sec"].is_null());
  BOOST_TEST(j["model"]["source"] == "params_b");
  BOOST_TEST(!j["assumptions"].empty());  // defaults are reported
  BOOST_TEST(j["confidence"]["level"] != "high");
}

BOOST_AUTO_TEST_CASE(unknown_model_falls_back_to_params_b) {
  auto known = ParseOut(RunCli(Estimate("-"), R"({"params_b": 7, "method": "lora", "seq_len": 512, "batch_size_per_device": 1})"));
  auto r = RunCli(Estimate("-"), R"({"model_name": "my-private-7b", "params_b": 7, "method": "lora", "seq_len": 512,
    "batch_size_per_device": 1})");
  BOOST_TEST(r.exit_code == 0);
  json j = ParseOut(r);
  BOOST_TEST(j["model"]["source"] == "params_b");
  BOOST_TEST(j["peak_vram_gb"] == known["peak_vram_gb"]);
  BOOST_TEST(j["confidence"]["score"].get<double>() < 0.8);
}

BOOST_AUTO_TEST_CASE(bad_input_exits_2_naming_the_field) {
  struct Case { std::string input, code, field; };
  const Case cases[] = {
      {"{broken", "invalid_json", "input"},
      {R"({"model_name": "gpt-17"})", "unknown_model", "model_name"},
      {R"({"method": "lora"})", "missing_field", "model_name"},
      {R"({"params_b": 7, "batch_size_per_device": "four"})", "invalid_type", "batch_size_per_device"},
      {R"({"params_b": 7, "seq_len": 0})", "invalid_value", "seq_len"},
      {R"({"params_b": 7, "method": "galore"})", "invalid_value", "method"},
      {R"({"params_b": 7, "optimizer": "lion"})", "invalid_value", "optimizer"},
      {R"({"params_b": 7, "framework": "megatron"})", "invalid_value", "framework"},
      {R"({"params_b": 7, "gradient_checkpointing": "yes"})", "invalid_type", "gradient_checkpointing"},
      {R"({"params_b": 7, "logits_shift_copy": "yes"})", "invalid_type", "logits_shift_copy"},
  };
  for (const auto& c : cases) {
    auto r = RunCli(Estimate("-"), c.input);
    BOOST_TEST(r.exit_code == 2, c.input);
    json j = ParseOut(r);
    BOOST_TEST(j["error"]["code"] == c.code, c.input);
    BOOST_TEST(j["error"]["field"] == c.field, c.input);
  }
  auto missing = RunCli(Estimate("/nonexistent/setup.json"));
  BOOST_TEST(missing.exit_code == 2);
  BOOST_TEST(ParseOut(missing)["error"]["field"] == "input");
}

BOOST_AUTO_TEST_CASE(nulls_take_defaults_and_unknown_keys_are_ignored) {
  auto r = RunCli(Estimate("-"), R"({"params_b": 3, "method": null, "precision": null, "seq_len": null,
    "peak_vram_gb": 12.3, "notes": "a measurement row carries extra keys"})");
  BOOST_TEST(r.exit_code == 0);
  json j = ParseOut(r);
  BOOST_TEST(j["setup"]["method"] == "lora");
  BOOST_TEST(j["setup"]["seq_len"] == 1024);
}

BOOST_AUTO_TEST_CASE(jsonl_answers_in_order_with_errors_in_place) {
  std::string in =
      R"({"id": "a", "params_b": 1, "method": "qlora", "gpu": "A100 80GB", "seq_len": 256})" "\n"
      "not json\n"
      R"({"id": "c", "params_b": 70, "method": "full", "gpu": "T4"})" "\n"
      R"({"id": "d", "model_name": "gpt-17"})" "\n"
      R"({"id": "e", "params_b": 2, "method": "lora"})" "\n";
  auto r = RunCli(Estimate("--jsonl -"), in);
  BOOST_TEST(r.exit_code == 2);  // the worst line decides: bad input
  auto lines = ParseLines(r.out);
  BOOST_TEST_REQUIRE(lines.size() == 5u);
  BOOST_TEST(lines[0]["id"] == "a");
  BOOST_TEST(lines[0]["fits"] == true);
  BOOST_TEST(lines[1]["error"]["code"] == "invalid_json");
  BOOST_TEST(lines[1]["line"] == 2);
  BOOST_TEST(lines[2]["id"] == "c");
  BOOST_TEST(lines[2]["fits"] == false);
  BOOST_TEST(lines[3]["id"] == "d");
  BOOST_TEST(lines[3]["error"]["field"] == "model_name");
  BOOST_TEST(lines[4]["id"] == "e");
  // Without a bad line the worst verdict is "does not fit".
  auto r2 = RunCli(Estimate("--jsonl -"), R"({"params_b": 1, "method": "qlora", "gpu": "A100 80GB"})" "\n"
                                          R"({"params_b": 70, "method": "full", "gpu": "T4"})" "\n");
  BOOST_TEST(r2.exit_code == 1);
  BOOST_TEST(ParseLines(r2.out).size() == 2u);
}

BOOST_AUTO_TEST_CASE(measurement_table_vocabulary) {
  // A row of the measurement table is accepted as is.
  auto r = RunCli(Estimate("-"), R"({"id": "x", "model_name": "llama-2-7b", "params_b": 6.74, "method": "lora",
    "precision": "bf16", "weight_quant": "none", "optimizer": "adamw", "batch_size_per_device": 2,
    "gradient_accumulation_steps": 8, "seq_len": 512, "gradient_checkpointing": false, "flash_attention": null,
    "lora_r": 32, "lora_target": "q,v", "num_gpus": 1, "gpu": "NVIDIA A10G 24GB", "zero_stage": null,
    "peak_vram_gb": 19.77, "kind": "measured"})");
  BOOST_TEST(r.exit_code == 0);
  json j = ParseOut(r);
  BOOST_TEST(j["id"] == "x");
  double est = j["max_allocated_gb"].get<double>();
  BOOST_TEST(est > 19.77 * 0.85);
  BOOST_TEST(est < 19.77 * 1.15);
  // --gpu overrides the input's GPU; text format is human-readable.
  auto t = RunCli(Estimate("--gpu T4 --format text -"), R"({"params_b": 70, "method": "full"})");
  BOOST_TEST(t.exit_code == 1);
  BOOST_TEST(t.out.find("DOES NOT FIT") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

// Issue 16: values people know to be "something else", GPU names as people
// write them, and the trainer as an input.
BOOST_AUTO_TEST_CASE(unknown_gpu_still_gets_a_peak_estimate) {
  auto r = RunCli(Estimate("-"), R"({"params_b": 7, "method": "lora", "gpu": "Voodoo 5"})");
  BOOST_TEST(r.exit_code == 0);
  json j = ParseOut(r);
  BOOST_TEST(j["peak_vram_gb"].get<double>() > 0);
  BOOST_TEST(j["fits"].is_null());
  BOOST_TEST(j["confidence"]["score"].get<double>() < 0.9);
  bool named = false;
  for (const auto& a : j["assumptions"]) named |= a.get<std::string>().find("unknown GPU \"Voodoo 5\"") != std::string::npos;
  BOOST_TEST(named);
}

BOOST_AUTO_TEST_CASE(other_quantization_and_optimizer_estimate_with_assumption) {
  auto known = ParseOut(RunCli(Estimate("-"), R"({"params_b": 7, "method": "qlora", "weight_quant": "nf4",
    "optimizer": "adamw", "seq_len": 512, "batch_size_per_device": 1})"));
  auto r = RunCli(Estimate("-"), R"({"params_b": 7, "method": "qlora", "weight_quant": "other",
    "optimizer": "other", "seq_len": 512, "batch_size_per_device": 1})");
  BOOST_TEST(r.exit_code == 0);
  json j = ParseOut(r);
  BOOST_TEST(j["peak_vram_gb"] == known["peak_vram_gb"]);
  BOOST_TEST(j["confidence"]["score"].get<double>() < known["confidence"]["score"].get<double>() - 0.2);
  int named = 0;
  for (const auto& a : j["assumptions"]) {
    const std::string s = a.get<std::string>();
    named += s.find("weight_quant \"other\"") != std::string::npos;
    named += s.find("optimizer \"other\"") != std::string::npos;
  }
  BOOST_TEST(named == 2);
}

BOOST_AUTO_TEST_CASE(gpu_strings_as_people_write_them) {
  struct Case { const char* gpu; const char* id; bool assumed; };
  const Case cases[] = {
      {"NVIDIA A100 80GB PCIe", "a100-80gb-pcie", false},
      {"NVIDIA A10G 24GB (g5.2xlarge)", "a10g", false},
      {"NVIDIA A100 (memory size not stated)", "a100-40gb", true},
      {"Tesla T4 16GB (Colab)", "t4", false},
      {"NVIDIA H100 96GB HBM2e (Grand Teton, 500W)", "h100-80gb", true},
  };
  for (const auto& c : cases) {
    json in = {{"params_b", 1}, {"method", "qlora"}, {"gpu", c.gpu}};
    auto r = RunCli(Estimate("-"), in.dump());
    json j = ParseOut(r);
    BOOST_TEST(j["gpu"]["id"] == c.id, c.gpu);
    bool noted = false;
    for (const auto& a : j["assumptions"]) {
      const std::string s = a.get<std::string>();
      noted |= s.find("GPU \"") == 0 && s.find(c.gpu) != std::string::npos;
    }
    BOOST_TEST(noted == c.assumed, c.gpu);
  }
}

// Qwen(1)-style modelling code copies the shifted logits before the fp32 loss:
// one more 16-bit logits block stays reserved (2 B x 2 x 1024 x 151936 here).
BOOST_AUTO_TEST_CASE(logits_shift_copy_is_read_and_reserves_one_block) {
  const char* base = R"({"params_b": 1.84, "method": "lora", "batch_size_per_device": 2, "seq_len": 1024%s})";
  auto run = [&](const char* extra) {
    char buf[256];
    std::snprintf(buf, sizeof buf, base, extra);
    return ParseOut(RunCli(Estimate("-"), buf));
  };
  json labels = run(""), logits = run(R"(, "logits_shift_copy": true)");
  BOOST_TEST(labels["setup"]["logits_shift_copy"] == false);
  BOOST_TEST(logits["setup"]["logits_shift_copy"] == true);
  BOOST_TEST(logits["max_allocated_gb"].get<double>() == labels["max_allocated_gb"].get<double>());
  double extra = logits["reserved_gb"].get<double>() - labels["reserved_gb"].get<double>();
  BOOST_TEST(std::fabs(extra - 2.0 * 2 * 1024 * 151936 / 1e9) < 0.011);
}

BOOST_AUTO_TEST_CASE(framework_defaults_and_explicit_fields_win) {
  const char* base = R"({"model_name": "llama-3.1-8b", "method": "qlora", "batch_size_per_device": 2,
    "seq_len": 2048, "lora_r": 16, "gpu": "T4", "framework": "%s"})";
  auto run = [&](const char* fw) {
    char buf[512];
    std::snprintf(buf, sizeof buf, base, fw);
    return ParseOut(RunCli(Estimate("-"), buf));
  };
  json hf = run("hf-trainer"), unsloth = run("unsloth"), tt = run("torchtune");
  BOOST_TEST(hf["setup"]["framework"] == "hf-trainer");
  BOOST_TEST(unsloth["setup"]["gradient_checkpointing"] == true);
  BOOST_TEST(unsloth["setup"]["activation_offload"] == true);
  BOOST_TEST(unsloth["setup"]["cross_entropy"] == "fused_chunks");
  BOOST_TEST(tt["setup"]["quant_backend"] == "torchao");
  BOOST_TEST(unsloth["peak_vram_gb"].get<double>() < hf["peak_vram_gb"].get<double>());
  // An explicit field beats the profile.
  auto r = ParseOut(RunCli(Estimate("-"), R"({"params_b": 8, "method": "qlora", "framework": "Unsloth",
    "gradient_checkpointing": false})"));
  BOOST_TEST(r["setup"]["gradient_checkpointing"] == false);
  BOOST_TEST(r["setup"]["framework"] == "unsloth");
}
