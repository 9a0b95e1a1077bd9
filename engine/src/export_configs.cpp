// Config-file exports: axolotl YAML, LLaMA-Factory YAML (templates in
// templates/config/) and the TRL / TrainingArguments JSON (nlohmann).
// docs/exports.md lists every key and where its value comes from.
#include <cstdio>
#include <string>

#include "export_internal.h"
#include "json_util.h"

namespace ftconfig::internal {

ojson WarningComments(const json& response) {
  ojson warnings = ojson::array();
  for (const json& w : response.value("warnings", json::array()))
    if (w.is_string()) warnings.push_back({{"text", CommentText(w.get<std::string>())}});
  return warnings;
}

namespace {

std::string YBool(bool b) { return b ? "true" : "false"; }

std::string NumComment(const json& j, const char* key) {
  const json* v = Find(j, key);
  if (!v || !v->is_number()) return "?";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v->get<double>());
  return buf;
}

std::string Method(const std::string& adapter) {
  if (adapter == "qlora") return "QLoRA (4-bit NF4 + LoRA)";
  if (adapter == "lora") return "LoRA";
  return "full fine-tuning";
}

// A JSON object as an indented YAML block (nested objects and scalars).
std::string YamlBlock(const ojson& obj, int indent) {
  std::string out;
  for (const auto& [k, v] : obj.items()) {
    out += std::string(indent, ' ') + k + ":";
    if (v.is_object()) out += "\n" + YamlBlock(v, indent + 2);
    else out += " " + YamlValue(v) + "\n";
  }
  return out;
}

// Values both YAML formats share (YAML scalars and comment texts).
ojson CommonYaml(const ExportPlan& plan, const json& r) {
  const ojson& p = plan.v;
  const ojson& ta = p["training_args"];
  const json& gpu = r["gpu"];
  const json vram = r.value("vram", json::object());
  const json time = r.value("time", json::object());
  ojson d = ojson::object();
  d["engine_version_comment"] = CommentText(p["engine_version"].get<std::string>());
  d["fingerprint"] = p["fingerprint"];
  d["model_comment"] = CommentText(p["model_id"].get<std::string>());
  d["method_comment"] = CommentText(Method(p["adapter"].get<std::string>()));
  d["gpu_count"] = std::to_string(p["num_gpus"].get<int>());
  d["multi_gpu"] = p["num_gpus"].get<int>() > 1;
  d["gpu_name_comment"] = CommentText(Str(gpu, "name"));
  d["per_gpu_gb"] = CommentText(NumComment(vram, "per_gpu_gb"));
  d["usable_gb"] = CommentText(NumComment(gpu, "usable_gb"));
  d["hours"] = CommentText(NumComment(time, "hours"));
  d["dataset_placeholder"] = p["dataset_placeholder"];
  std::string notes = p["notes"].get<std::string>();
  d["notes_comment"] = notes.empty() ? ojson(false) : ojson(CommentText(notes));
  d["warnings_comment"] = WarningComments(r);

  d["model_id"] = YamlString(p["model_id"].get<std::string>());
  d["dataset_id"] = YamlString(p["dataset_id"].get<std::string>());
  d["output_dir"] = YamlString(p["output_dir"].get<std::string>());
  d["quantized"] = p["quantized"];
  d["mxfp4_dequantize"] = p["mxfp4_dequantize"];
  d["peft"] = p["peft"];
  d["adapter"] = YamlString(p["adapter"].get<std::string>());
  if (p["bnb_args"].is_object()) {
    d["bnb_quant_type"] = YamlValue(p["bnb_args"]["bnb_4bit_quant_type"]);
    d["bnb_double_quant"] = YamlValue(p["bnb_args"]["bnb_4bit_use_double_quant"]);
  }
  if (p["lora_args"].is_object()) {
    d["lora_r"] = YamlValue(p["lora_args"]["r"]);
    d["lora_alpha"] = YamlValue(p["lora_args"]["lora_alpha"]);
    d["lora_dropout"] = YamlValue(p["lora_args"]["lora_dropout"]);
  }
  d["lora_all_linear"] = p["lora_all_linear"];
  ojson mods = ojson::array(), save = ojson::array();
  for (const auto& m : p["lora_modules"]) mods.push_back({{"value", YamlValue(m)}});
  for (const auto& m : p["lora_modules_to_save"]) save.push_back({{"value", YamlValue(m)}});
  d["has_lora_modules"] = !mods.empty();
  d["lora_modules"] = mods;
  d["has_modules_to_save"] = !save.empty();
  d["lora_modules_to_save"] = save;
  d["max_seq_length"] = std::to_string(p["max_seq_length"].get<int>());
  d["eval_fraction"] = FloatText(p["eval_fraction"].get<double>());
  d["seed"] = std::to_string(p["seed"].get<int>());
  d["batch_size"] = YamlValue(ta["per_device_train_batch_size"]);
  d["eval_batch_size"] = YamlValue(ta["per_device_eval_batch_size"]);
  d["grad_accum"] = YamlValue(ta["gradient_accumulation_steps"]);
  d["num_epochs"] = YamlValue(ta["num_train_epochs"]);
  d["learning_rate"] = YamlValue(ta["learning_rate"]);
  d["lr_scheduler"] = YamlValue(ta["lr_scheduler_type"]);
  d["warmup_ratio"] = YamlValue(ta["warmup_ratio"]);
  d["weight_decay"] = YamlValue(ta["weight_decay"]);
  d["optimizer"] = YamlValue(ta["optim"]);
  d["bf16"] = YBool(ta["bf16"].get<bool>());
  d["pure_bf16"] = p["pure_bf16"];
  d["fp16"] = YBool(ta["fp16"].get<bool>());
  d["gradient_checkpointing"] = YBool(ta["gradient_checkpointing"].get<bool>());
  d["gradient_checkpointing_on"] = ta["gradient_checkpointing"].get<bool>();
  d["flash_attention"] = p["model_args"]["attn_implementation"] == "flash_attention_2";
  d["sdp_attention"] = p["model_args"]["attn_implementation"] != "eager";
  d["beta"] = ta.contains("beta") ? FloatText(ta["beta"].get<double>()) : "0.1";
  const std::string kind = p["kind"].get<std::string>();
  d["kind_chat"] = kind == "chat";
  d["kind_dpo"] = kind == "dpo";
  d["kind_orpo"] = kind == "orpo";
  d["kind_reward"] = kind == "reward";
  d["kind_pretraining"] = kind == "pretraining";
  const std::string distribution = p["distribution"].get<std::string>();
  d["distribution_comment"] = CommentText(distribution);
  // Blocks without their last line break: the template puts each on lines of its own.
  auto block = [](const ojson& obj) {
    std::string b = YamlBlock(obj, 2);
    if (!b.empty()) b.pop_back();
    return b;
  };
  d["deepspeed"] = p["deepspeed"].is_object() ? ojson(block(p["deepspeed"])) : ojson(false);
  // axolotl 0.12.2 reads `deepspeed` as a file path (prepare_optim_env calls
  // os.path.isfile on it: an inline dict stops `axolotl train`), so its YAML
  // carries the JSON as one comment line to save beside it.
  d["deepspeed_json"] = p["deepspeed"].is_object() ? ojson(CommentText(p["deepspeed"].dump())) : ojson(false);
  d["fsdp"] = distribution == "fsdp";
  if (ta.contains("fsdp_config")) d["fsdp_config"] = block(ta["fsdp_config"]);
  return d;
}

// LLaMA-Factory's chat template name, guessed from the model id (see
// docs/exports.md); "default" when nothing matches.
std::string LlamaFactoryTemplate(const std::string& model_id) {
  std::string m = Lower(model_id);
  auto has = [&](const char* s) { return m.find(s) != std::string::npos; };
  // Most specific first: DeepSeek-R1-Distill-Qwen is a Qwen model with R1's template.
  if (has("deepseek-r1")) return "deepseekr1";
  if (has("deepseek")) return "deepseek";
  if (has("llama-3") || has("llama3") || has("meta-llama-3")) return "llama3";
  if (has("llama-2") || has("llama2")) return "llama2";
  if (has("gpt-oss")) return "gpt_oss";
  if (has("qwen3")) return "qwen3";
  if (has("qwen")) return "qwen";
  if (has("mistral") || has("mixtral")) return "mistral";
  if (has("gemma-3") || has("gemma3")) return "gemma3";
  if (has("gemma-2") || has("gemma2")) return "gemma2";
  if (has("gemma")) return "gemma";
  if (has("phi-4") || has("phi4")) return "phi4";
  if (has("phi-3") || has("phi3")) return "phi";
  if (has("smollm")) return "chatml";
  return "default";
}

// The data/dataset_info.json that registers the dataset for LLaMA-Factory,
// as one comment line of ASCII JSON (the columns the notebook's formats use).
std::string DatasetInfoEntry(const ojson& p, const std::string& kind) {
  ojson entry = {{"hf_hub_url", p["dataset_id"]}};
  if (kind == "chat") {
    entry["formatting"] = "sharegpt";
    entry["columns"] = {{"messages", "messages"}};
    entry["tags"] = {{"role_tag", "role"}, {"content_tag", "content"}, {"user_tag", "user"},
                     {"assistant_tag", "assistant"}, {"system_tag", "system"}};
  } else if (kind == "pretraining") {
    entry["columns"] = {{"prompt", "text"}};
  } else {  // dpo, orpo, reward
    entry["ranking"] = true;
    entry["columns"] = {{"prompt", "prompt"}, {"chosen", "chosen"}, {"rejected", "rejected"}};
  }
  ojson info = {{p["dataset_id"].get<std::string>(), entry}};
  return CommentText(info.dump(-1, ' ', true));
}

Error Unsupported(const std::string& tool, const std::string& task) {
  return Error{ErrorCode::kUnsupported, "format",
               tool + " has no training stage for task \"" + task +
                   "\" on this model: use the notebook, the script or the TRL export for it"};
}

}  // namespace

Result<std::string> RenderAxolotl(const ExportPlan& plan, const json& response) {
  const ojson& p = plan.v;
  const std::string kind = p["kind"].get<std::string>();
  if (kind == "classification" || kind == "seq2seq") return Unsupported("axolotl", p["task_type"].get<std::string>());
  if (!p["peft"].get<bool>() && !p["pure_bf16"].get<bool>() && p["precision"] != "fp32")
    // axolotl loads the weights in the training's 16-bit type: fp16 weights
    // cannot train ("Attempting to unscale FP16 gradients") and bf16 ones
    // train without the fp32 master copy the estimate assumes.
    return Error{ErrorCode::kUnsupported, "format",
                 "axolotl loads the weights in " + p["precision"].get<std::string>() +
                     " for full fine-tuning, not the fp32 master weights of mixed precision this recommendation "
                     "assumes: use the notebook, the script, the TRL or the LLaMA-Factory export"};
  ojson d = CommonYaml(plan, response);
  // Base models have no chat template: axolotl uses the tokenizer's, else ChatML.
  d["chat_template"] = kind == "chat" || kind == "dpo" || kind == "orpo" || kind == "reward";
  std::string type, hint, rl;
  if (kind == "chat") type = "chat_template", hint = "a \"messages\" column of {role, content} turns (type chat_template)";
  else if (kind == "dpo") type = "chatml.prompt_pairs", rl = "dpo", hint = "prompt / chosen / rejected text columns (type chatml.prompt_pairs)";
  else if (kind == "orpo") type = "chat_template.argilla", rl = "orpo", hint = "prompt plus chosen / rejected conversations (type chat_template.argilla)";
  else if (kind == "reward") type = "bradley_terry.chat_template", hint = "chosen / rejected pairs (type bradley_terry.chat_template)";
  else if (kind == "pretraining") type = "completion", hint = "raw text in a \"text\" column (type completion)";
  else type = "alpaca", hint = "instruction / input / output columns (type alpaca)";
  d["dataset_type"] = YamlString(type);
  d["dataset_hint"] = CommentText(hint);
  d["rl"] = rl.empty() ? ojson(false) : ojson(YamlString(rl));
  return RenderTemplate("config/axolotl.yaml.mustache", d);
}

Result<std::string> RenderLlamaFactory(const ExportPlan& plan, const json& response) {
  const ojson& p = plan.v;
  const std::string kind = p["kind"].get<std::string>();
  if (kind == "classification" || kind == "seq2seq")
    return Unsupported("LLaMA-Factory", p["task_type"].get<std::string>());
  ojson d = CommonYaml(plan, response);
  std::string stage = "sft", dataset_dir = "data", hint, pref_loss;
  if (kind == "instruction") {
    dataset_dir = "ONLINE";  // dataset names are Hub ids, read as alpaca (instruction/input/output)
    hint = "read from the Hub (dataset_dir ONLINE) as alpaca instruction / input / output columns";
  } else if (kind == "chat") {
    hint = "register it in data/dataset_info.json with formatting sharegpt (messages)";
  } else if (kind == "dpo" || kind == "orpo") {
    stage = "dpo";
    pref_loss = kind == "orpo" ? "orpo" : "sigmoid";
    hint = "register it in data/dataset_info.json with ranking: true and chosen / rejected columns";
  } else if (kind == "reward") {
    stage = "rm";
    hint = "register it in data/dataset_info.json with ranking: true and chosen / rejected columns";
  } else if (kind == "pretraining") {
    stage = "pt";
    hint = "register it in data/dataset_info.json with columns: {prompt: text}";
  }
  d["dataset_info"] = dataset_dir == "ONLINE" ? ojson(false) : ojson(DatasetInfoEntry(p, kind));
  d["stage"] = YamlString(stage);
  d["finetuning_type"] = YamlString(p["peft"].get<bool>() ? "lora" : "full");
  d["dataset_dir"] = YamlString(dataset_dir);
  d["dataset_hint"] = CommentText(hint + "; LLaMA-Factory splits dataset names on commas");
  std::string tmpl = LlamaFactoryTemplate(p["model_id"].get<std::string>());
  d["template"] = YamlString(tmpl);
  d["template_hint"] = CommentText(tmpl + " (guessed from the model id: use the one matching your model)");
  // LLaMA-Factory's flash_attn: fa2, sdpa, or disabled (eager: models without an SDPA path).
  const std::string attn = p["model_args"]["attn_implementation"].get<std::string>();
  d["flash_attn"] = YamlString(attn == "flash_attention_2" ? "fa2" : attn == "eager" ? "disabled" : "sdpa");
  d["preference"] = !pref_loss.empty();
  d["pref_loss"] = YamlString(pref_loss);
  std::string target = "all";
  if (!p["lora_all_linear"].get<bool>()) {
    target.clear();
    for (const auto& m : p["lora_modules"]) target += (target.empty() ? "" : ",") + m.get<std::string>();
  }
  d["lora_target"] = YamlString(target);
  std::string extra;
  for (const auto& m : p["lora_modules_to_save"]) extra += (extra.empty() ? "" : ",") + m.get<std::string>();
  d["additional_target"] = YamlString(extra);
  if (p["pure_bf16"].get<bool>()) {
    // LLaMA-Factory's pure_bf16 replaces mixed precision (it refuses both).
    d["bf16"] = "false";
    d["fp16"] = "false";
  }
  d["disable_gradient_checkpointing"] = YBool(!p["training_args"]["gradient_checkpointing"].get<bool>());
  return RenderTemplate("config/llamafactory.yaml.mustache", d);
}

Result<std::string> RenderTrl(const ExportPlan& plan, const json& response) {
  const ojson& p = plan.v;
  ojson out = ojson::object();
  out["ftconfig"] = {{"engine_version", p["engine_version"]},
                     {"fingerprint", p["fingerprint"]},
                     {"format", "trl"},
                     {"task_type", p["task_type"]},
                     {"adapter_type", p["adapter"]},
                     {"gpu", {{"id", Str(response["gpu"], "id")}, {"name", Str(response["gpu"], "name")},
                              {"count", p["num_gpus"]}}},
                     {"predicted", p["predicted"]}};
  out["trainer"] = {{"module", p["trainer_module"]}, {"class", p["trainer_class"]},
                    {"config_class", p["config_class"]}};
  out["model_name_or_path"] = p["model_id"];
  out["model_placeholder"] = p["model_placeholder"];
  out["model_class"] = p["model_class"];
  out["model_init_kwargs"] = p["model_args"];
  out["quantization_config"] = p["bnb_args"];
  out["peft_config"] = p["lora_args"];
  out["training_args"] = p["training_args"];
  out["dataset"] = {{"name_or_path", p["dataset_id"]},
                    {"placeholder", p["dataset_placeholder"]},
                    {"eval_fraction", p["eval_fraction"]},
                    {"max_seq_length", p["max_seq_length"]}};
  out["notes"] = p["notes"];
  return out.dump(2, ' ', false, ojson::error_handler_t::replace) + "\n";
}

}  // namespace ftconfig::internal
