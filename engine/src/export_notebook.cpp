// The notebook (nbformat 4.5) and the plain Python script. Both use the code
// templates in templates/code/; the notebook adds Markdown cells. Cells are
// assembled as JSON with nlohmann, so the notebook is valid JSON whatever the
// strings inside it are.
#include <cstdio>
#include <string>
#include <vector>

#include "export_internal.h"
#include "json_util.h"

namespace ftconfig::internal {

namespace {

// ChatML, set only on tokenizers without a chat template of their own.
constexpr const char* kChatMlTemplate =
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + "
    "'<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

std::string PyBool(bool b) { return b ? "True" : "False"; }

// A number from the response as text (FloatText for doubles), "?" when absent.
std::string NumText(const json& j, const char* key) {
  const json* v = Find(j, key);
  if (!v || !v->is_number()) return "?";
  if (v->is_number_integer()) return std::to_string(v->get<long long>());
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v->get<double>());
  return buf;
}

std::string MethodLabel(const std::string& adapter) {
  if (adapter == "qlora") return "QLoRA (4-bit NF4 base + LoRA)";
  if (adapter == "lora") return "LoRA";
  return "full fine-tuning";
}

std::string DataHelp(const std::string& kind) {
  if (kind == "chat")
    return "Conversations: a `messages` column (lists of `{\"role\", \"content\"}`), or ShareGPT `conversations` "
           "(`from`/`value`), converted to `messages`. TRL applies the tokenizer's chat template (ChatML when the "
           "tokenizer has none).";
  if (kind == "dpo" || kind == "orpo" || kind == "reward")
    return "Preference pairs: `prompt` (optional), `chosen` and `rejected` columns, as plain text or as conversations "
           "(lists of `{\"role\", \"content\"}`), TRL's standard preference format.";
  if (kind == "classification")
    return "Classification: a `text` (or `sentence`) column and a `label` (or `labels`) column; the labels found become "
           "the classes of a sequence-classification head.";
  if (kind == "pretraining")
    return "Continued pretraining: a `text` (or `content`) column of raw text, tokenized, joined with EOS and cut "
           "into blocks of `MAX_SEQ_LENGTH` tokens.";
  return "Instruction data: `instruction` (or `prompt`/`question`), optional `input`, and `output` (or "
         "`response`/`completion`/`answer`) columns, turned into TRL prompt-completion pairs (the loss covers the "
         "completion only).";
}

ojson Lines(const std::string& text) {
  ojson lines = ojson::array();
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, nl - start + 1));
    start = nl + 1;
  }
  return lines;
}

std::string StripTrailingNewlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

ojson Cell(const std::string& type, const std::string& id, const std::string& source) {
  ojson c = ojson::object();
  c["cell_type"] = type;
  if (type == "code") c["execution_count"] = nullptr;
  c["id"] = id;
  c["metadata"] = ojson::object();
  if (type == "code") c["outputs"] = ojson::array();
  c["source"] = Lines(StripTrailingNewlines(source));
  return c;
}

ojson TextList(const json& arr) {
  ojson out = ojson::array();
  if (!arr.is_array()) return out;
  for (const auto& s : arr)
    if (s.is_string()) out.push_back({{"text", MarkdownText(s.get<std::string>())}});
  return out;
}

std::string ValueText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_float()) return FloatText(v.get<double>());
  return v.dump();
}

// Data for the Markdown cells (every value Markdown-escaped).
ojson MarkdownData(const ExportPlan& plan, const json& r) {
  const ojson& p = plan.v;
  const json& hp = r["hyperparameters"];
  const json& gpu = r["gpu"];
  const json vram = r.value("vram", json::object());
  const json time = r.value("time", json::object());
  const json conf = r.value("confidence", json::object());
  const json strat = r.value("strategy", json::object());
  const json prof = r.value("profile", json::object());
  const json diag = r.value("diagnostics", json::object());
  const json deps = r.value("dependencies", json());
  ojson d = ojson::object();
  d["engine_version"] = MarkdownText(p["engine_version"].get<std::string>());
  d["fingerprint"] = p["fingerprint"];
  d["model"] = MarkdownText(p["model_id"].get<std::string>());
  d["model_placeholder"] = p["model_placeholder"];
  d["dataset"] = MarkdownText(p["dataset_id"].get<std::string>());
  d["dataset_placeholder"] = p["dataset_placeholder"];
  d["has_placeholders"] = p["model_placeholder"].get<bool>() || p["dataset_placeholder"].get<bool>();
  d["output_dir"] = MarkdownText(p["output_dir"].get<std::string>());
  d["params_b"] = p["model_params_b"].is_number() ? ojson(MarkdownText(NumText(r["request"], "model_params_b"))) : ojson(false);
  d["task"] = MarkdownText(p["task_type"].get<std::string>());
  d["method"] = MethodLabel(p["adapter"].get<std::string>());
  d["gpu_count"] = std::to_string(p["num_gpus"].get<int>());
  d["gpu_name"] = MarkdownText(Str(gpu, "name"));
  d["compute_capability"] = NumText(gpu, "compute_capability");
  d["usable_gb"] = NumText(gpu, "usable_gb");
  std::string platform = Str(r["request"], "platform");
  std::string plan_id = Str(r["request"], "plan");
  d["platform"] = platform.empty() ? ojson(false) : ojson(MarkdownText(platform + (plan_id.empty() ? "" : " / " + plan_id)));
  d["per_gpu_gb"] = NumText(vram, "per_gpu_gb");
  d["margin_gb"] = NumText(vram, "margin_gb");
  d["eval_peak_gb"] = NumText(vram, "eval_peak_gb");
  d["merge_peak_gb"] = p["peft"].get<bool>() ? ojson(NumText(vram, "merge_peak_gb")) : ojson(false);
  d["tokens_per_sec"] = NumText(time, "tokens_per_sec");
  d["hours"] = NumText(time, "hours");
  d["dataset_size"] = NumText(time, "dataset_size");
  d["epochs"] = NumText(time, "epochs");
  d["cost"] = Find(time, "cost_usd") && time["cost_usd"].is_number() && time["cost_usd"].get<double>() > 0
                  ? ojson(NumText(time, "cost_usd")) : ojson(false);
  d["session_limit"] = Find(time, "session_limit_hours") ? ojson(NumText(time, "session_limit_hours")) : ojson(false);
  d["confidence_level"] = MarkdownText(Str(conf, "level"));
  d["confidence_score"] = NumText(conf, "score");
  d["reasons"] = TextList(conf.value("reasons", json::array()));
  d["warnings"] = TextList(r.value("warnings", json::array()));
  ojson rows = ojson::array();
  const json why = r.value("why", json::object());
  for (const auto& [k, v] : hp.items())
    rows.push_back({{"name", MarkdownText(k)}, {"value", MarkdownText(ValueText(v))},
                    {"why", why.contains(k) && why[k].is_string() ? MarkdownText(why[k].get<std::string>()) : ""}});
  d["hp_rows"] = rows;
  d["strategy"] = MarkdownText(Str(strat, "used"));
  d["strategy_why"] = MarkdownText(Str(strat, "why"));
  d["profile_group"] = MarkdownText(Str(prof, "group"));
  d["fallback_level"] = MarkdownText(Str(prof, "fallback_level"));
  d["pool_size"] = NumText(prof, "pool_size");
  d["pool_sources"] = NumText(prof, "sources");
  ojson examples = ojson::array();
  if (prof.contains("examples") && prof["examples"].is_array())
    for (const auto& e : prof["examples"])
      examples.push_back({{"source_repo", MarkdownText(Str(e, "source_repo"))},
                          {"source_path", MarkdownText(Str(e, "source_path"))}});
  d["examples"] = examples;
  d["assumptions"] = TextList(diag.value("assumptions", json::array()));
  d["clamps"] = TextList(diag.value("clamps", json::array()));
  d["stack"] = deps.is_object() ? MarkdownText(Str(deps, "label", Str(deps, "id"))) : "no pinned stack for this GPU";
  std::string notes = p["notes"].get<std::string>();
  d["notes"] = notes.empty() ? ojson(false) : ojson(MarkdownText(notes));
  d["uses_bf16"] = p["uses_bf16"];
  d["quantized"] = p["quantized"];
  d["peft"] = p["peft"];
  d["compute_dtype"] = p["bnb_args"].is_object() ? MarkdownText(p["bnb_args"]["bnb_4bit_compute_dtype"].get<std::string>()) : "";
  d["torch_dtype"] = MarkdownText(p["model_args"]["torch_dtype"].get<std::string>());
  d["attn"] = MarkdownText(p["model_args"]["attn_implementation"].get<std::string>());
  d["data_help"] = DataHelp(p["kind"].get<std::string>());
  d["lora_r"] = NumText(hp, "lora_r");
  d["lora_alpha"] = NumText(hp, "lora_alpha");
  d["lora_dropout"] = NumText(hp, "lora_dropout");
  d["lora_target"] = MarkdownText(Str(hp, "lora_target"));
  d["precision"] = MarkdownText(p["precision"].get<std::string>());
  std::string prec = p["precision"].get<std::string>();
  std::string weights_note;
  if (!p["peft"].get<bool>()) {
    if (p["pure_bf16"].get<bool>()) weights_note = "pure bf16: bf16 weights and optimizer states, no fp32 master copy";
    else if (prec == "fp32") weights_note = "fp32 training";
    else weights_note = "fp32 master weights, " + prec + " mixed precision";
  }
  d["weights_note"] = weights_note.empty() ? ojson(false) : ojson(weights_note);
  d["trainer"] = p["trainer_module"].get<std::string>() + " `" + p["trainer_class"].get<std::string>() + "` / `" +
                 p["config_class"].get<std::string>() + "`";
  d["eval_batch"] = NumText(hp, "per_device_eval_batch_size");
  d["saved_what"] = p["peft"].get<bool>() ? "LoRA adapter" : "model";
  d["multi_gpu"] = p["num_gpus"].get<int>() > 1;
  auto merge = Num(vram, "merge_peak_gb");
  auto usable = Num(gpu, "usable_gb");
  d["merge_too_big"] = merge && usable && *merge > *usable * 0.92;
  return d;
}

}  // namespace

ojson PythonCodeData(const ExportPlan& plan, const json& r, bool notebook) {
  const ojson& p = plan.v;
  const json& hp = r["hyperparameters"];
  const json& gpu = r["gpu"];
  const json vram = r.value("vram", json::object());
  const std::string kind = p["kind"].get<std::string>();
  ojson d = ojson::object();
  d["engine_version_comment"] = CommentText(p["engine_version"].get<std::string>());
  d["fingerprint"] = p["fingerprint"];
  d["model_id"] = PyString(p["model_id"].get<std::string>());
  d["model_placeholder"] = p["model_placeholder"];
  d["dataset_id"] = PyString(p["dataset_id"].get<std::string>());
  d["dataset_placeholder"] = p["dataset_placeholder"];
  d["output_dir"] = PyString(p["output_dir"].get<std::string>());
  d["notes"] = PyString(p["notes"].get<std::string>());
  d["task_type"] = PyString(p["task_type"].get<std::string>());
  d["num_gpus"] = std::to_string(p["num_gpus"].get<int>());
  d["max_seq_length"] = std::to_string(p["max_seq_length"].get<int>());
  d["eval_fraction"] = FloatText(p["eval_fraction"].get<double>());
  d["seed"] = std::to_string(p["seed"].get<int>());
  d["placeholder_model"] = PyString("REPLACE_ME/your-model");
  d["placeholder_dataset"] = PyString("REPLACE_ME/your-dataset");

  ojson gpu_info = ojson::object();
  gpu_info["id"] = Str(gpu, "id");
  gpu_info["name"] = Str(gpu, "name");
  gpu_info["count"] = p["num_gpus"];
  gpu_info["compute_capability"] = NumOr(gpu, "compute_capability", 0.0);
  gpu_info["vram_gb"] = NumOr(gpu, "vram_gb", 0.0);
  gpu_info["usable_gb"] = NumOr(gpu, "usable_gb", 0.0);
  gpu_info["bf16"] = Bool(gpu, "bf16").value_or(false);
  ojson rec = ojson::object();
  rec["model"] = p["model_id"];
  rec["model_params_b"] = p["model_params_b"];
  rec["task_type"] = p["task_type"];
  rec["adapter_type"] = p["adapter"];
  rec["platform"] = p["platform"];
  rec["plan"] = p["plan"];
  rec["gpu"] = gpu_info;
  rec["hyperparameters"] = p["hyperparameters"];
  rec["predicted"] = p["predicted"];
  ojson ft = ojson::object();
  ft["engine_version"] = p["engine_version"];
  ft["fingerprint"] = p["fingerprint"];
  for (const auto& [key, value] : p["serving"].items()) ft[key] = value;  // event id, model slot and version
  ft["recommendation"] = rec;
  d["ftconfig"] = PyValue(ft);
  d["expected_gpu"] = PyValue(gpu_info);
  d["uses_bf16"] = PyBool(p["uses_bf16"].get<bool>());

  d["model_args"] = PyValue(p["model_args"]);
  d["bnb_args"] = PyValue(p["bnb_args"]);
  d["lora_args"] = PyValue(p["lora_args"]);
  d["training_args"] = PyValue(p["training_args"]);
  d["quantized"] = p["quantized"];
  d["mxfp4_dequantize"] = p["mxfp4_dequantize"];
  d["peft"] = p["peft"];
  d["bnb_compute_dtype_comment"] =
      p["bnb_args"].is_object() ? CommentText(p["bnb_args"]["bnb_4bit_compute_dtype"].get<std::string>()) : "";
  d["lora_r"] = CommentText(NumText(hp, "lora_r"));
  d["lora_alpha"] = CommentText(NumText(hp, "lora_alpha"));
  d["lora_dropout"] = CommentText(NumText(hp, "lora_dropout"));
  d["lora_target_comment"] = CommentText(Str(hp, "lora_target"));
  d["gradient_checkpointing"] = PyBool(Bool(hp, "gradient_checkpointing").value_or(true));

  d["kind_instruction"] = kind == "instruction";
  d["kind_chat"] = kind == "chat";
  d["kind_preference"] = kind == "dpo" || kind == "orpo" || kind == "reward";
  d["kind_classification"] = kind == "classification";
  d["kind_pretraining"] = kind == "pretraining";
  d["kind_sft"] = kind == "instruction" || kind == "chat";
  d["kind_dpo"] = kind == "dpo";
  d["kind_orpo"] = kind == "orpo";
  d["kind_reward"] = kind == "reward";
  d["kind_seq2seq"] = kind == "seq2seq";
  d["prompt_completion"] = kind == "instruction" || kind == "seq2seq";
  // TRL's trainers wrap the model with the adapter themselves (peft_config).
  d["adapter_by_trainer"] = kind == "instruction" || kind == "chat" || kind == "dpo" || kind == "orpo" || kind == "reward";
  const std::string model_class = p["seq_cls"].get<bool>() ? "AutoModelForCausalLM" : p["model_class"].get<std::string>();
  d["model_class"] = model_class;
  d["model_class_why"] = model_class == "AutoModelForSeq2SeqLM"
                             ? "an encoder-decoder model (T5), trained as sequence-to-sequence"
                             : "a decoder-only language model";
  d["needs_chat_template"] = kind == "chat" || kind == "dpo" || kind == "orpo" || kind == "reward";
  d["chatml_template"] = PyString(kChatMlTemplate);
  d["num_labels"] = kind == "reward" ? "1" : "None";
  d["config_class"] = p["config_class"];
  d["saved_what"] = p["peft"].get<bool>() ? "LoRA adapter" : "model";
  d["source"] = PyString(notebook ? "notebook" : "script");
  d["notebook"] = notebook;

  auto merge = Num(vram, "merge_peak_gb");
  auto usable = Num(gpu, "usable_gb");
  d["merge_peak_comment"] = CommentText(NumText(vram, "merge_peak_gb"));
  d["usable_comment"] = CommentText(NumText(gpu, "usable_gb"));
  d["merge_peak_gb"] = merge ? FloatText(*merge) : "None";
  d["usable_gb"] = usable ? FloatText(*usable) : "0.0";
  d["merge_dtype"] = PyString(Bool(gpu, "bf16").value_or(false) ? "bfloat16" : "float16");

  // The dependency stack.
  const json deps = r.value("dependencies", json());
  ojson packages = ojson::array();
  ojson optional = ojson::object();
  std::string torch_version, index_url;
  if (deps.is_object()) {
    if (deps.contains("packages") && deps["packages"].is_object())
      for (const auto& [name, ver] : deps["packages"].items()) {
        std::string v = ver.is_string() ? ver.get<std::string>() : ver.dump();
        if (name == "torch") torch_version = v;
        else packages.push_back(name + "==" + v);
      }
    if (deps.contains("optional") && deps["optional"].is_object())
      for (const auto& [name, ver] : deps["optional"].items()) optional[name] = ver.is_string() ? ver.get<std::string>() : ver.dump();
    index_url = Str(deps, "torch_index_url");
  } else {
    for (const char* name : {"transformers", "peft", "trl", "bitsandbytes", "accelerate", "datasets"}) packages.push_back(name);
  }
  d["stack_comment"] = deps.is_object() ? CommentText(Str(deps, "id")) : "no pinned stack matches this GPU: unpinned";
  d["torch_version"] = torch_version.empty() ? "None" : PyString(torch_version);
  auto cc = Num(gpu, "compute_capability");
  d["gpu_compute_capability"] = cc ? FloatText(*cc) : "None";
  d["torch_index_url"] = index_url.empty() ? "None" : PyString(index_url);
  d["packages"] = PyValue(packages);
  d["optional_packages"] = PyValue(optional);
  d["torch_version_comment"] = CommentText(torch_version.empty() ? "<any>" : torch_version);
  d["torch_index_comment"] = CommentText(index_url.empty() ? "https://download.pytorch.org/whl/<cuda>" : index_url);
  std::string pk;
  for (const auto& x : packages) pk += (pk.empty() ? "" : " ") + x.get<std::string>();
  d["packages_comment"] = CommentText(pk);

  // Script header.
  d["model_comment"] = CommentText(p["model_id"].get<std::string>());
  d["method_comment"] = CommentText(MethodLabel(p["adapter"].get<std::string>()));
  d["gpu_count"] = std::to_string(p["num_gpus"].get<int>());
  d["gpu_name_comment"] = CommentText(Str(gpu, "name"));
  d["per_gpu_gb"] = CommentText(NumText(vram, "per_gpu_gb"));
  d["hours"] = CommentText(NumText(r.value("time", json::object()), "hours"));
  d["multi_gpu"] = p["num_gpus"].get<int>() > 1;
  const std::string distribution = p["distribution"].get<std::string>();
  d["distribution_comment"] = CommentText(distribution == "ddp"            ? "DDP"
                                          : distribution == "fsdp"         ? "FSDP full sharding"
                                          : distribution == "zero3_offload" ? "DeepSpeed ZeRO-3 with CPU offload"
                                          : distribution == "zero3"        ? "DeepSpeed ZeRO-3"
                                          : distribution == "zero2"        ? "DeepSpeed ZeRO-2"
                                                                           : distribution);
  return d;
}

Result<std::string> RenderNotebook(const ExportPlan& plan, const json& response) {
  const ojson code = PythonCodeData(plan, response, true);
  const ojson md = MarkdownData(plan, response);
  struct Section {
    const char* id;
    const char* md;
    const char* code;
  };
  std::vector<Section> sections = {
      {"summary", "notebook/summary.md.mustache", nullptr},
      {"install", "notebook/install.md.mustache", "code/install.py.mustache"},
      {"environment", "notebook/env_check.md.mustache", "code/env_check.py.mustache"},
      {"configuration", "notebook/config.md.mustache", "code/config.py.mustache"},
      {"model", "notebook/model.md.mustache", "code/model.py.mustache"},
      {"dataset", "notebook/data.md.mustache", "code/data.py.mustache"},
      {"lora", "notebook/lora.md.mustache", "code/lora.py.mustache"},
      {"trainer", "notebook/trainer.md.mustache", "code/trainer.py.mustache"},
      {"telemetry", "notebook/telemetry.md.mustache", "code/telemetry.py.mustache"},
      {"train", "notebook/train.md.mustache", "code/train.py.mustache"},
  };
  if (plan.v["peft"].get<bool>() && !plan.v["seq_cls"].get<bool>())
    sections.push_back({"merge", "notebook/merge.md.mustache", "code/merge.py.mustache"});

  ojson cells = ojson::array();
  for (const auto& s : sections) {
    FTCONFIG_ASSIGN_OR_RETURN(md_text, RenderTemplate(s.md, md));
    cells.push_back(Cell("markdown", std::string("ftconfig-") + s.id + (s.code ? "-md" : ""), md_text));
    if (s.code) {
      FTCONFIG_ASSIGN_OR_RETURN(code_text, RenderTemplate(s.code, code));
      cells.push_back(Cell("code", std::string("ftconfig-") + s.id, code_text));
    }
  }
  ojson nb = ojson::object();
  nb["cells"] = cells;
  ojson meta = ojson::object();
  meta["kernelspec"] = {{"display_name", "Python 3"}, {"language", "python"}, {"name", "python3"}};
  meta["language_info"] = {{"name", "python"}};
  meta["accelerator"] = "GPU";
  meta["ftconfig"] = {{"engine_version", plan.v["engine_version"]}, {"fingerprint", plan.v["fingerprint"]}};
  nb["metadata"] = meta;
  nb["nbformat"] = 4;
  nb["nbformat_minor"] = 5;
  return nb.dump(1, ' ', false, ojson::error_handler_t::replace) + "\n";
}

Result<std::string> RenderScript(const ExportPlan& plan, const json& response) {
  ojson code = PythonCodeData(plan, response, false);
  code["warnings_comment"] = WarningComments(response);
  std::vector<const char*> parts = {"script/header.py.mustache", "code/config.py.mustache",
                                    "code/env_check.py.mustache", "code/model.py.mustache",
                                    "code/data.py.mustache",      "code/lora.py.mustache",
                                    "code/trainer.py.mustache",   "code/telemetry.py.mustache",
                                    "code/train.py.mustache"};
  const bool merge = plan.v["peft"].get<bool>() && !plan.v["seq_cls"].get<bool>();
  if (merge) parts.push_back("code/merge.py.mustache");
  std::string out;
  for (const char* name : parts) {
    FTCONFIG_ASSIGN_OR_RETURN(text, RenderTemplate(name, code));
    out += StripTrailingNewlines(text) + "\n\n\n";
  }
  out += "def main():\n    run_training()\n";
  // One process merges: under `accelerate launch` every rank runs main().
  if (merge) out += "    if RUN_MERGE and int(os.environ.get(\"RANK\", \"0\")) == 0:\n        merge_adapter()\n";
  out += "\n\nif __name__ == \"__main__\":\n    main()\n";
  return out;
}

}  // namespace ftconfig::internal
