// Exports of a recommendation (ftconfig/export.h): format names, escaping,
// refusals, golden files, and exports of live recommendations.
//
// Golden files: tests/golden/exports/<case>/ holds request.json, the engine's
// response.json at the time, and the expected exports. The golden test
// re-renders the exports from those two files, so it checks the exporters
// alone, whatever the engine recommends today. To refresh after a deliberate
// change: FTCONFIG_UPDATE_GOLDEN=1 rewrites the exports from response.json;
// FTCONFIG_UPDATE_GOLDEN=2 also re-runs the engine for response.json.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "../../engine/src/export_internal.h"
#include "ftconfig/export.h"
#include "test_util.h"

using namespace ftconfig;
namespace fs = std::filesystem;

namespace {

const std::string kGoldenDir = std::string(FTCONFIG_TEST_FIXTURES) + "/../golden/exports";

struct GoldenFile {
  ExportFormat format;
  const char* file;
};
const GoldenFile kGoldenFiles[] = {{ExportFormat::kNotebook, "notebook.ipynb"},
                                   {ExportFormat::kAxolotl, "axolotl.yaml"},
                                   {ExportFormat::kLlamaFactory, "llamafactory.yaml"},
                                   {ExportFormat::kTrl, "trl.json"},
                                   {ExportFormat::kScript, "script.py"}};

int UpdateLevel() {
  const char* v = std::getenv("FTCONFIG_UPDATE_GOLDEN");
  return v ? std::atoi(v) : 0;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

json Recommend(const json& request) {
  auto req = ParseRequest(request);
  if (!req.ok()) BOOST_FAIL("request: " + req.error().message);
  auto resp = test::BundledEngine().Recommend(req.value());
  if (!resp.ok()) BOOST_FAIL("recommend: " + resp.error().message);
  return resp.value();
}

std::string MustExport(const Request& req, const json& resp, ExportFormat f) {
  auto r = Export(req, resp, f);
  if (!r.ok()) BOOST_FAIL(std::string(ToString(f)) + ": " + r.error().message);
  return r.value();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(exports)

BOOST_AUTO_TEST_CASE(format_names) {
  const std::pair<const char*, ExportFormat> names[] = {
      {"notebook", ExportFormat::kNotebook},   {"ipynb", ExportFormat::kNotebook},
      {"axolotl", ExportFormat::kAxolotl},     {"llamafactory", ExportFormat::kLlamaFactory},
      {"llama-factory", ExportFormat::kLlamaFactory}, {"trl", ExportFormat::kTrl},
      {"script", ExportFormat::kScript},       {" Script ", ExportFormat::kScript}};
  for (const auto& [name, f] : names) {
    ExportFormat got = ExportFormat::kTrl;
    BOOST_TEST(ParseExportFormat(name, &got), name);
    BOOST_TEST(static_cast<int>(got) == static_cast<int>(f), name);
  }
  ExportFormat unused;
  BOOST_TEST(!ParseExportFormat("docx", &unused));
  std::set<std::string> files;
  for (const auto& g : kGoldenFiles) {
    ExportFormat back;
    BOOST_TEST(ParseExportFormat(ToString(g.format), &back));
    BOOST_TEST(static_cast<int>(back) == static_cast<int>(g.format));
    files.insert(ExportFileName(g.format));
  }
  BOOST_TEST(files.size() == 5u);
  BOOST_TEST(ExportFileName(ExportFormat::kAxolotl) == "ftconfig-axolotl.yaml");
}

BOOST_AUTO_TEST_CASE(every_template_is_embedded) {
  for (const char* name : {"code/config.py.mustache", "code/env_check.py.mustache", "code/install.py.mustache",
                           "code/model.py.mustache", "code/data.py.mustache", "code/lora.py.mustache",
                           "code/trainer.py.mustache", "code/telemetry.py.mustache", "code/train.py.mustache",
                           "code/merge.py.mustache", "notebook/summary.md.mustache", "script/header.py.mustache",
                           "config/axolotl.yaml.mustache", "config/llamafactory.yaml.mustache"})
    BOOST_TEST(internal::FindTemplate(name) != nullptr, name);
  BOOST_TEST(internal::FindTemplate("nope.mustache") == nullptr);
}

BOOST_AUTO_TEST_CASE(escaping) {
  using namespace internal;
  BOOST_TEST(PyString("a\"b\\c") == "\"a\\\"b\\\\c\"");
  BOOST_TEST(PyString("x\ny\r\t") == "\"x\\ny\\r\\t\"");
  BOOST_TEST(PyString(std::string("nul\0", 4)) == "\"nul\\x00\"");
  BOOST_TEST(PyString("caf\xC3\xA9 \xF0\x9F\x98\x80") == "\"caf\\xe9 \\U0001f600\"");
  BOOST_TEST(PyString("\xE2\x80\xAE") == "\"\\u202e\"");
  BOOST_TEST(PyString("\xFF\xC3") == "\"\\ufffd\\ufffd\"");  // invalid UTF-8 becomes U+FFFD
  BOOST_TEST(PyString("\"\"\"; import os") == "\"\\\"\\\"\\\"; import os\"");
  BOOST_TEST(YamlString("key: v # c") == "\"key: v # c\"");
  BOOST_TEST(YamlString("\xC2\x85") == "\"\\x85\"");  // YAML 1.1 line break, escaped
  BOOST_TEST(MarkdownText("<b>*x*</b>\n# h") == "&lt;b&gt;\\*x\\*&lt;/b&gt;<br>\\# h");
  BOOST_TEST(MarkdownText("a\r\nb\x07") == "a<br>b");
  BOOST_TEST(CommentText("a\nb\xE2\x80\xA8" "c\xC3\xA9") == "a b c\\xe9");
  BOOST_TEST(FloatText(2e-05) == "2.0e-05");
  BOOST_TEST(FloatText(0.0002) == "0.0002");
  BOOST_TEST(FloatText(3.0) == "3.0");
  BOOST_TEST(FloatText(7.5e-06) == "7.5e-06");
  BOOST_TEST(FloatText(1e20) == "1.0e+20");
  BOOST_TEST(SanitizeUtf8("ok \xE6\x97\xA5") == "ok \xE6\x97\xA5");
  BOOST_TEST(SanitizeUtf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate is invalid
}

BOOST_AUTO_TEST_CASE(values_are_not_rendered_as_templates) {
  json resp = Recommend({{"gpu_override", "T4"}, {"model", "{{model_id}} {{#kind_dpo}}x{{/kind_dpo}}"},
                         {"model_params_b", 1.0}, {"notes", "{{{training_args}}}"}});
  auto req = ParseRequest(json{{"gpu_override", "T4"}, {"notes", "{{{training_args}}}"}}).value();
  std::string script = MustExport(req, resp, ExportFormat::kScript);
  BOOST_TEST(script.find("MODEL_ID = \"{{model_id}} {{#kind_dpo}}x{{/kind_dpo}}\"") != std::string::npos);
  BOOST_TEST(script.find("NOTES = \"{{{training_args}}}\"") != std::string::npos);
}

// The exports load the checkpoint the person named when it is a Hub repo id
// (a quantized copy, a fine-tune), and the catalog id for an alias.
BOOST_AUTO_TEST_CASE(exports_load_the_named_checkpoint) {
  Request req;
  json resp = Recommend({{"gpu_override", "T4"}, {"model", "unsloth/Meta-Llama-3.1-8B-Instruct-bnb-4bit"},
                         {"adapter_type", "qlora"}});
  std::string script = MustExport(req, resp, ExportFormat::kScript);
  BOOST_TEST(script.find("MODEL_ID = \"unsloth/Meta-Llama-3.1-8B-Instruct-bnb-4bit\"") != std::string::npos);
  resp = Recommend({{"gpu_override", "T4"}, {"model", "llama2-7b"}, {"adapter_type", "qlora"}});
  BOOST_TEST(resp["request"]["model_name"] == "llama2-7b");
  script = MustExport(req, resp, ExportFormat::kScript);
  BOOST_TEST(script.find("MODEL_ID = \"meta-llama/Llama-2-7b-hf\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(refuses_what_cannot_run) {
  json resp = Recommend({{"gpu_override", "T4"}, {"model", "meta-llama/Llama-3.1-70B"}, {"adapter_type", "none"}});
  BOOST_TEST_REQUIRE(!resp["fits"].get<bool>());
  Request req;
  for (const auto& g : kGoldenFiles) {
    auto r = Export(req, resp, g.format);
    BOOST_TEST(!r.ok());
    if (!r.ok()) BOOST_TEST(r.error().code == ErrorCode::kInvalidValue);
  }
  auto err = Export(req, json{{"error", {{"code", "unknown_model"}}}}, ExportFormat::kNotebook);
  BOOST_TEST(!err.ok());
  auto not_object = Export(req, json::array(), ExportFormat::kScript);
  BOOST_TEST(!not_object.ok());

  json cls = Recommend({{"gpu_override", "T4"}, {"model", "Qwen/Qwen2.5-0.5B"}, {"task_type", "classification"}});
  for (ExportFormat f : {ExportFormat::kAxolotl, ExportFormat::kLlamaFactory}) {
    auto r = Export(req, cls, f);
    BOOST_TEST(!r.ok());
    if (!r.ok()) BOOST_TEST(r.error().code == ErrorCode::kUnsupported);
  }
  BOOST_TEST(Export(req, cls, ExportFormat::kNotebook).ok());
  BOOST_TEST(Export(req, cls, ExportFormat::kTrl).ok());

  // No AutoModelForSequenceClassification for gpt-oss in transformers 4.55.2;
  // and gpt-oss QLoRA figures under Unsloth are for its own NF4 checkpoint,
  // which the transformers exports cannot load: both refused, naming why.
  json oss_cls = Recommend({{"gpu_override", "H100 80GB"}, {"model", "openai/gpt-oss-20b"},
                            {"task_type", "classification"}, {"adapter_type", "lora"}});
  json oss_qlora = Recommend({{"gpu_override", "L4"}, {"model", "openai/gpt-oss-20b"}, {"framework", "unsloth"},
                              {"adapter_type", "qlora"}, {"max_seq_length", 512}});
  BOOST_TEST_REQUIRE(oss_qlora["fits"].get<bool>());
  BOOST_TEST(oss_qlora["hyperparameters"]["adapter_type"] == "qlora");
  for (const json* r : {&oss_cls, &oss_qlora}) {
    for (const auto& g : kGoldenFiles) {
      auto e = Export(req, *r, g.format);
      BOOST_TEST(!e.ok());
      if (!e.ok()) BOOST_TEST(e.error().code == ErrorCode::kUnsupported);
    }
  }
}

BOOST_AUTO_TEST_CASE(notebook_structure) {
  json request = {{"platform", "colab"}, {"plan", "free"}, {"model", "meta-llama/Llama-3.1-8B"},
                  {"adapter_type", "qlora"}};
  json resp = Recommend(request);
  Request req = ParseRequest(request).value();
  std::string text = MustExport(req, resp, ExportFormat::kNotebook);
  json nb = json::parse(text, nullptr, false);
  BOOST_TEST_REQUIRE(!nb.is_discarded());
  BOOST_TEST(nb["nbformat"] == 4);
  BOOST_TEST(nb["nbformat_minor"] == 5);
  BOOST_TEST(nb["metadata"]["kernelspec"]["name"] == "python3");
  std::set<std::string> ids;
  std::string code;
  for (const auto& c : nb["cells"]) {
    BOOST_TEST(ids.insert(c["id"].get<std::string>()).second);
    BOOST_TEST(c["source"].is_array());
    if (c["cell_type"] == "code") {
      BOOST_TEST(c["outputs"].is_array());
      BOOST_TEST(c["execution_count"].is_null());
      for (const auto& line : c["source"]) code += line.get<std::string>();
      code += "\n";
    }
  }
  // One cell per step of the issue: summary, install, environment, config,
  // model, data, LoRA, trainer, telemetry, train, merge.
  for (const char* id : {"ftconfig-summary", "ftconfig-install", "ftconfig-environment", "ftconfig-model",
                         "ftconfig-dataset", "ftconfig-lora", "ftconfig-trainer", "ftconfig-telemetry",
                         "ftconfig-train", "ftconfig-merge"})
    BOOST_TEST(ids.count(id) == 1u, id);
  const json& hp = resp["hyperparameters"];
  const std::string needles[] = {
      "\"per_device_eval_batch_size\": " + hp["per_device_eval_batch_size"].dump(),
      "\"bnb_4bit_quant_type\": \"nf4\"",
      "\"bnb_4bit_compute_dtype\": " + hp["bnb_4bit_compute_dtype"].dump(),
      "torch==", "--index-url", "max_memory_allocated", "max_memory_reserved", "OutOfMemoryError", "uuid.uuid4()",
      "FTCONFIG_TELEMETRY_URL", "CONFIG_USES_BF16 = False", "SFTTrainer",
      "MERGE_PEAK_GB = " + internal::FloatText(resp["vram"]["merge_peak_gb"].get<double>()),
      "REPLACE: placeholder dataset id"};
  for (const auto& needle : needles) BOOST_TEST(code.find(needle) != std::string::npos, needle);
}

BOOST_AUTO_TEST_CASE(task_families_pick_their_trainer) {
  const std::pair<const char*, const char*> tasks[] = {
      {"instruction_following", "SFTTrainer("}, {"chat", "SFTTrainer("},   {"preference_dpo", "DPOTrainer("},
      {"preference_orpo", "ORPOTrainer("},      {"reward_modeling", "RewardTrainer("},
      {"classification", "DataCollatorWithPadding"}, {"continued_pretraining", "DataCollatorForLanguageModeling"}};
  for (const auto& [task, needle] : tasks) {
    json request = {{"gpu_override", "A100 80GB"}, {"model", "Qwen/Qwen2.5-1.5B"}, {"task_type", task}};
    json resp = Recommend(request);
    Request req = ParseRequest(request).value();
    std::string script = MustExport(req, resp, ExportFormat::kScript);
    BOOST_TEST(script.find(needle) != std::string::npos, task);
    json trl = json::parse(MustExport(req, resp, ExportFormat::kTrl));
    BOOST_TEST(trl["training_args"]["per_device_eval_batch_size"] == resp["hyperparameters"]["per_device_eval_batch_size"]);
    BOOST_TEST(trl["training_args"]["learning_rate"] == resp["hyperparameters"]["learning_rate"]);
  }
}

BOOST_AUTO_TEST_CASE(exports_are_deterministic) {
  json request = {{"platform", "kaggle"}, {"plan", "t4x2"}, {"model", "Qwen/Qwen2.5-3B"}, {"adapter_type", "lora"}};
  json resp = Recommend(request);
  Request req = ParseRequest(request).value();
  for (const auto& g : kGoldenFiles)
    BOOST_TEST(MustExport(req, resp, g.format) == MustExport(req, resp, g.format), g.file);
  std::string script = MustExport(req, resp, ExportFormat::kScript);
  BOOST_TEST(script.find("accelerate launch --num_processes 2") != std::string::npos);
  BOOST_TEST(script.find("\"ddp_find_unused_parameters\": False") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(golden_files) {
  BOOST_TEST_REQUIRE(fs::is_directory(kGoldenDir), kGoldenDir);
  int cases = 0;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(kGoldenDir))
    if (e.is_directory()) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  for (const auto& dir : dirs) {
    ++cases;
    const std::string d = dir.string();
    json request = json::parse(test::ReadFile(d + "/request.json"));
    Request req = ParseRequest(request).value();
    if (UpdateLevel() >= 2) WriteFile(d + "/response.json", Recommend(request).dump(2) + "\n");
    json resp = json::parse(test::ReadFile(d + "/response.json"));
    for (const auto& g : kGoldenFiles) {
      auto r = Export(req, resp, g.format);
      const std::string path = d + "/" + g.file;
      if (!r.ok()) {
        BOOST_TEST(r.error().code == ErrorCode::kUnsupported, path + ": " + r.error().message);
        BOOST_TEST(!fs::exists(path), path + " exists for a refused export");
        continue;
      }
      if (UpdateLevel() >= 1) WriteFile(path, r.value());
      BOOST_TEST_REQUIRE(fs::exists(path), path + " is missing (FTCONFIG_UPDATE_GOLDEN=1 writes it)");
      BOOST_TEST(r.value() == test::ReadFile(path), path + " differs from the rendered export");
    }
  }
  BOOST_TEST(cases >= 5);
}

BOOST_AUTO_TEST_CASE(cli_writes_notebook_and_exports) {
  const std::string nb_path = "/tmp/ftconfig_export_test_" + std::to_string(::getpid()) + ".ipynb";
  auto r = test::RunCli("recommend --platform colab --plan free --model meta-llama/Llama-3.1-8B --adapter qlora "
                        "--notebook " + nb_path);
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(json::parse(r.out, nullptr, false).contains("hyperparameters"));  // the JSON response still prints
  json nb = json::parse(test::ReadFile(nb_path), nullptr, false);
  std::remove(nb_path.c_str());
  BOOST_TEST(!nb.is_discarded());
  BOOST_TEST(nb["nbformat"] == 4);

  auto y = test::RunCli("recommend --platform colab --plan free --model meta-llama/Llama-3.1-8B --adapter qlora "
                        "--export axolotl");
  BOOST_TEST(y.exit_code == 0);
  BOOST_TEST(y.out.find("base_model: \"meta-llama/Llama-3.1-8B\"") != std::string::npos);
  BOOST_TEST(y.out.find("\"hyperparameters\"") == std::string::npos);  // no JSON response
  auto bad = test::RunCli("recommend --gpu T4 --model llama2-7b --export docx");
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(json::parse(bad.out, nullptr, false)["error"]["field"] == "export");
  auto nofit = test::RunCli("recommend --gpu T4 --model meta-llama/Llama-3.1-70B --adapter none --export script");
  BOOST_TEST(nofit.exit_code == 2);
}

BOOST_AUTO_TEST_CASE(output_file_written_only_on_success) {
  const std::string out = "/tmp/ftconfig_export_out_" + std::to_string(::getpid()) + ".yaml";
  const std::string nb = out + ".ipynb";
  std::remove(out.c_str());
  // axolotl refuses classification: neither -o nor --notebook leaves a file.
  auto refused = test::RunCli("recommend --gpu A100 --model Qwen/Qwen2.5-0.5B --task classification --adapter lora "
                              "--export axolotl --notebook " + nb + " -o " + out);
  BOOST_TEST(refused.exit_code == 2);
  BOOST_TEST(json::parse(refused.out, nullptr, false)["error"]["code"] == "unsupported");
  BOOST_TEST(!fs::exists(out));
  BOOST_TEST(!fs::exists(nb));
  // A file already there stays as it was after a refusal.
  { std::ofstream(out) << "before"; }
  test::RunCli("recommend --gpu A100 --model Qwen/Qwen2.5-0.5B --task classification --adapter lora --export axolotl -o " + out);
  BOOST_TEST(test::ReadFile(out) == "before");
  // Success: the file holds the export and nothing is printed.
  auto ok = test::RunCli("recommend --gpu A100 --model Qwen/Qwen2.5-0.5B --adapter lora --export axolotl -o " + out);
  BOOST_TEST(ok.exit_code == 0);
  BOOST_TEST(ok.out.empty());
  BOOST_TEST(test::ReadFile(out).find("base_model: \"Qwen/Qwen2.5-0.5B\"") != std::string::npos);
  std::remove(out.c_str());
}

BOOST_AUTO_TEST_CASE(t5_trains_as_seq2seq_and_encoders_only_classify) {
  json request = {{"gpu_override", "A100 80GB"}, {"model", "google/flan-t5-base"}, {"adapter_type", "lora"}};
  json resp = Recommend(request);
  Request req = ParseRequest(request).value();
  json trl = json::parse(MustExport(req, resp, ExportFormat::kTrl));
  BOOST_TEST(trl["model_class"] == "AutoModelForSeq2SeqLM");
  BOOST_TEST(trl["trainer"]["class"] == "Seq2SeqTrainer");
  BOOST_TEST(trl["peft_config"]["task_type"] == "SEQ_2_SEQ_LM");
  BOOST_TEST(!Export(req, resp, ExportFormat::kAxolotl).ok());
  json dpo = {{"gpu_override", "A100 80GB"}, {"model", "google-bert/bert-base-uncased"}, {"task_type", "chat"}};
  auto refused = Export(ParseRequest(dpo).value(), Recommend(dpo), ExportFormat::kScript);
  BOOST_TEST(!refused.ok());
  if (!refused.ok()) BOOST_TEST(refused.error().field == "task_type");
}

BOOST_AUTO_TEST_CASE(lora_targets_use_the_models_own_module_names) {
  // Issue 15: q_proj,v_proj copied verbatim into Phi-3, GPT-2, ... (PEFT: "Target modules not found").
  const std::pair<const char*, json> cases[] = {
      {"microsoft/Phi-3-mini-4k-instruct", json::array({"qkv_proj"})},
      {"openai-community/gpt2", json::array({"c_attn"})},
      {"EleutherAI/pythia-1b", json::array({"query_key_value"})}};
  for (const auto& [model, qv] : cases) {
    json request = {{"gpu_override", "A100 80GB"}, {"model", model}, {"adapter_type", "lora"}};
    json resp = Recommend(request);
    // A response without the class and module list (as before the engine gave them).
    resp["hyperparameters"].erase("lora_target_class");
    resp["hyperparameters"].erase("lora_target_modules");
    resp["hyperparameters"]["lora_target"] = "q_proj,v_proj";
    Request req = ParseRequest(request).value();
    json trl = json::parse(MustExport(req, resp, ExportFormat::kTrl));
    BOOST_TEST(trl["peft_config"]["target_modules"] == qv, model);
    // The lead's fields win when present.
    resp["hyperparameters"]["lora_target_class"] = "attention";
    resp["hyperparameters"]["lora_target_modules"] = json::array({"x_proj"});
    trl = json::parse(MustExport(req, resp, ExportFormat::kTrl));
    BOOST_TEST(trl["peft_config"]["target_modules"] == json::array({"x_proj"}), model);
  }
}

// Regression (issue 15: the LLaMA-Factory export pointed at data/dataset_info.json, which nothing wrote): the
// YAML carries the file as one ASCII JSON comment line, the dataset's name (any string) as its key.
BOOST_AUTO_TEST_CASE(llamafactory_carries_dataset_info) {
  const std::string name = "me/chat \"set\"\n\xC3\xA9";
  json request = {{"gpu_override", "A100 80GB"}, {"model", "Qwen/Qwen2.5-1.5B"}, {"adapter_type", "lora"},
                  {"task_type", "chat"}, {"dataset_name", name}};
  json resp = Recommend(request);
  Request req = ParseRequest(request).value();
  std::string lf = MustExport(req, resp, ExportFormat::kLlamaFactory);
  const size_t at = lf.find("\n# {", lf.find("# Save as data/dataset_info.json"));
  BOOST_REQUIRE(at != std::string::npos);
  json info = json::parse(lf.substr(at + 3, lf.find('\n', at + 1) - at - 3));
  BOOST_TEST(info[name]["hf_hub_url"] == name);
  BOOST_TEST(info[name]["formatting"] == "sharegpt");
  BOOST_TEST(lf.find("dataset_dir: \"data\"") != std::string::npos);
  request["task_type"] = "instruction_following";  // read from the Hub: nothing to register
  lf = MustExport(ParseRequest(request).value(), Recommend(request), ExportFormat::kLlamaFactory);
  BOOST_TEST(lf.find("dataset_info.json (") == std::string::npos);
  BOOST_TEST(lf.find("# Save as data/dataset_info.json") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(reward_head_and_distribution) {
  json request = {{"gpu_override", "A10G"}, {"model", "Qwen/Qwen2.5-1.5B"}, {"adapter_type", "lora"},
                  {"task_type", "reward_modeling"}};
  json resp = Recommend(request);
  Request req = ParseRequest(request).value();
  json trl = json::parse(MustExport(req, resp, ExportFormat::kTrl));
  BOOST_TEST(trl["peft_config"]["modules_to_save"] == json::array({"score"}));  // the new head trains
  resp["gpu"]["count"] = 2;
  resp["hyperparameters"]["distribution"] = "zero3";
  trl = json::parse(MustExport(req, resp, ExportFormat::kTrl));
  BOOST_TEST(trl["training_args"]["deepspeed"]["zero_optimization"]["stage"] == 3);
  // Regression (axolotl 0.12.2's load_cfg raised "TypeError: stat: path should be string" on an inline
  // deepspeed dict, tests/py/check_tool_configs.py): the YAML names a file and carries its JSON as a comment.
  std::string axolotl = MustExport(req, resp, ExportFormat::kAxolotl);
  BOOST_TEST(axolotl.find("\ndeepspeed: \"ftconfig-deepspeed.json\"\n") != std::string::npos);
  BOOST_TEST(axolotl.find("deepspeed:\n") == std::string::npos);  // no inline config
  const std::string marker = "beside this file.";
  const size_t json_line = axolotl.find("\n# {", axolotl.find(marker));
  BOOST_REQUIRE(json_line != std::string::npos);
  json ds = json::parse(axolotl.substr(json_line + 3, axolotl.find('\n', json_line + 1) - json_line - 3));
  BOOST_TEST(ds == trl["training_args"]["deepspeed"]);
  resp["hyperparameters"]["distribution"] = "fsdp";
  trl = json::parse(MustExport(req, resp, ExportFormat::kTrl));
  BOOST_TEST(trl["training_args"]["fsdp"] == "full_shard auto_wrap");
  std::string script = MustExport(req, resp, ExportFormat::kScript);
  BOOST_TEST(script.find("accelerate launch --num_processes 2") != std::string::npos);
  BOOST_TEST(script.find("if RUN_MERGE and int(os.environ.get(\"RANK\", \"0\")) == 0:") == std::string::npos);  // no merge for reward
  resp["hyperparameters"].erase("distribution");
  trl = json::parse(MustExport(req, resp, ExportFormat::kTrl));
  BOOST_TEST(trl["training_args"]["ddp_find_unused_parameters"] == false);  // DDP derived from 2 GPUs
}

BOOST_AUTO_TEST_SUITE_END()
