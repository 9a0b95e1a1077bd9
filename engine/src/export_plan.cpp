// The export plan: one place that turns a recommendation into the keyword
// arguments every format carries (docs/exports.md has the key mapping).
#include <algorithm>
#include <cctype>
#include <cstring>
#include <cstdint>
#include <cstdlib>
#include <cstdio>

#include "export_internal.h"
#include "ftconfig/lora_modules.h"
#include "json_util.h"

namespace ftconfig::internal {

namespace {

// Marked placeholders the user replaces (the generated code refuses to run
// with them and says so).
constexpr const char* kPlaceholderDataset = "REPLACE_ME/your-dataset";
constexpr const char* kPlaceholderModel = "REPLACE_ME/your-model";
constexpr const char* kDefaultOutputDir = "outputs/ftconfig-run";
constexpr double kEvalFraction = 0.05;
constexpr int kSeed = 42;
constexpr double kPreferenceBeta = 0.1;  // TRL's DPO/ORPO default, stated explicitly

// The data/trainer family of a task type (catalog task ids).
std::string TaskKind(const std::string& task) {
  if (task == "chat" || task == "tool_use") return "chat";
  if (task == "preference_dpo") return "dpo";
  if (task == "preference_orpo") return "orpo";
  if (task == "reward_modeling") return "reward";
  if (task == "classification") return "classification";
  if (task == "continued_pretraining") return "pretraining";
  return "instruction";  // instruction_following, math, code, summarization, vision_language, other
}

// The major version of transformers in the recommended stack; 5 (the current
// release) when the stack does not pin it (the install is then unpinned).
int TransformersMajor(const json& response) {
  const json* deps = Find(response, "dependencies");
  const json* pkgs = deps && deps->is_object() ? Find(*deps, "packages") : nullptr;
  const std::string v = pkgs && pkgs->is_object() ? Str(*pkgs, "transformers") : "";
  if (v.empty() || !std::isdigit(static_cast<unsigned char>(v[0]))) return 5;
  return std::atoi(v.c_str());
}

// How the GPUs share the work: hyperparameters.distribution when the response
// has a known one, else DDP with several GPUs and nothing with one.
std::string Distribution(const json& hp, int num_gpus) {
  const std::string d = Str(hp, "distribution");
  for (const char* known : {"none", "ddp", "zero2", "zero3", "zero3_offload", "fsdp"})
    if (d == known) return d;
  return num_gpus > 1 ? "ddp" : "none";
}

// A DeepSpeed configuration for a ZeRO distribution (null otherwise); "auto"
// values are filled in by the HF Trainer from the training arguments, so the
// batch sizes, accumulation, precision and clipping stay the recommendation's.
ojson DeepSpeedConfig(const std::string& distribution) {
  if (distribution.rfind("zero", 0) != 0) return nullptr;
  const bool stage3 = distribution != "zero2";
  ojson zero = ojson::object();
  zero["stage"] = stage3 ? 3 : 2;
  zero["overlap_comm"] = true;
  zero["contiguous_gradients"] = true;
  zero["reduce_bucket_size"] = "auto";
  if (stage3) {
    zero["stage3_prefetch_bucket_size"] = "auto";
    zero["stage3_param_persistence_threshold"] = "auto";
    zero["stage3_gather_16bit_weights_on_model_save"] = true;
  }
  if (distribution == "zero3_offload") {
    zero["offload_optimizer"] = {{"device", "cpu"}, {"pin_memory", true}};
    zero["offload_param"] = {{"device", "cpu"}, {"pin_memory", true}};
  }
  ojson ds = ojson::object();
  ds["zero_optimization"] = zero;
  if (distribution == "zero3_offload") {
    // The offloaded step runs in DeepSpeed's CPU Adam, which DeepSpeed builds
    // from this block ("auto": the Trainer's values); a Trainer-made GPU
    // optimizer is refused under offload by DeepSpeed's zero_force_ds_cpu_optimizer.
    ds["optimizer"] = {{"type", "AdamW"},
                       {"params", {{"lr", "auto"}, {"betas", "auto"}, {"eps", "auto"}, {"weight_decay", "auto"}}}};
  }
  ds["bf16"] = {{"enabled", "auto"}};
  ds["fp16"] = {{"enabled", "auto"}};
  ds["train_micro_batch_size_per_gpu"] = "auto";
  ds["gradient_accumulation_steps"] = "auto";
  ds["train_batch_size"] = "auto";
  ds["gradient_clipping"] = "auto";
  return ds;
}

// The trainer family for a task on an architecture: encoder-decoder models
// (T5) train instruction data as sequence-to-sequence; encoders (BERT-style)
// only classify. kUnsupported for the rest, naming the task.
Result<std::string> KindFor(const std::string& task, const std::string& arch) {
  const std::string kind = TaskKind(task);
  const bool encoder_decoder = arch == "t5" || arch == "t5_gated";
  const bool encoder = arch == "bert" || arch == "deberta_v2" || arch == "distilbert";
  if (encoder_decoder && kind == "instruction") return std::string("seq2seq");
  if ((encoder_decoder || encoder) && kind != "classification" && !(encoder_decoder && kind == "seq2seq"))
    return Error{ErrorCode::kUnsupported, "task_type",
                 "task \"" + task + "\" needs a decoder model; this " +
                     std::string(encoder ? "encoder" : "encoder-decoder") + " model supports " +
                     (encoder ? "classification" : "instruction-style tasks and classification") + " only"};
  return kind;
}

ojson Copy(const json& j) { return ojson::parse(j.dump(-1, ' ', false, json::error_handler_t::replace)); }

int IntOr(const json& j, const char* key, int def) {
  auto v = Num(j, key);
  return v ? static_cast<int>(*v) : def;
}


// The catalog family of the response's model when the response names it
// (response.model.family); "" otherwise (the model id then decides).
std::string ModelFamily(const json& response) {
  const json* m = Find(response, "model");
  return m && m->is_object() ? Str(*m, "family") : std::string();
}

// The checkpoint the exports load: the name as the person gave it when it is a
// Hub repository id ("unsloth/Meta-Llama-3.1-8B-Instruct-bnb-4bit"), else the
// catalog id the answer is for (an alias such as "llama2-7b" is no repository).
std::string LoadableModelName(const json& rq) {
  const std::string given = Str(rq, "model_name");
  const auto slash = given.find('/');
  const bool repo_id = slash != std::string::npos && slash > 0 && slash + 1 < given.size() &&
                       given.find('/', slash + 1) == std::string::npos && given.size() <= 96 &&
                       std::all_of(given.begin(), given.end(), [](char c) {
                         return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
                                c == '/';
                       });
  return repo_id ? given : Str(rq, "model");
}

ojson ToArray(const std::vector<std::string>& names) {
  ojson out = ojson::array();
  for (const auto& n : names) out.push_back(n);
  return out;
}

struct LoraTargets {
  std::string target_class;        // all_linear | attention | qv
  bool all_linear = false;         // PEFT's "all-linear" (an architecture the table does not know)
  std::vector<std::string> modules;  // target_modules
  std::vector<std::string> to_save;  // modules_to_save: embeddings trained in full, a new classifier head
};

// The LoRA targets of a recommendation: hyperparameters.lora_target_class and
// lora_target_modules when the response has them, otherwise the class of
// lora_target ("q_proj,v_proj" -> qv) mapped to this architecture's module
// names (ftconfig/lora_modules.h). Embeddings beside the linear layers and a
// sequence-classification head train in full (modules_to_save).
LoraTargets ResolveLoraTargets(const json& hp, const std::string& family, const std::string& model, bool seq_cls) {
  LoraTargets t;
  const std::string target = Str(hp, "lora_target", "all-linear");
  std::string cls = Str(hp, "lora_target_class");
  t.target_class = IsLoraTargetClass(cls) ? cls : LoraTargetClassOf(target);
  const json* given = Find(hp, "lora_target_modules");
  if (given && given->is_array() && !given->empty()) {
    for (const auto& m : *given)
      if (m.is_string()) t.modules.push_back(SanitizeUtf8(m.get<std::string>()));
  }
  const std::string arch = LoraArchitecture(family, model);
  if (t.modules.empty()) {
    if (arch.empty() && t.target_class == "all_linear") t.all_linear = true;  // let PEFT find the linear layers
    else t.modules = LoraTargetModules(family, model, t.target_class);
  }
  if (LoraTargetTrainsEmbeddings(target)) {
    t.to_save = LoraEmbeddingModules(family, model);
    if (seq_cls) t.to_save.resize(1);  // a classifier has no language-model head
  }
  if (seq_cls)
    for (const auto& h : ClassifierHeadModules(family, model)) t.to_save.push_back(h);
  return t;
}

// The serving tags a response may carry (the site and `recommend --log-to`
// add them): the recommendation event the run's telemetry refers to, so the
// notebook's outcome counts for the learning brain, and the model slot and
// version that served it (canary health). Null when absent.
bool IsUuidText(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

bool IsTagText(const std::string& s, size_t max_len) {
  return !s.empty() && s.size() <= max_len && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || (c != 0 && std::strchr("._:+-", c));
  });
}

Result<ojson> ServingTags(const json& response) {
  ojson tags = ojson::object();
  struct Tag { const char* key; size_t max_len; bool uuid; };
  for (const Tag& t : {Tag{"recommendation_event_id", 36, true}, Tag{"model_slot", 64, false},
                       Tag{"model_version", 128, false}}) {
    const char* key = t.key;
    const size_t max_len = t.max_len;
    const bool uuid = t.uuid;
    tags[key] = nullptr;
    const json* v = Find(response, key);
    if (!v || v->is_null()) continue;
    const std::string field = std::string("response.") + key;
    if (!v->is_string()) return Error{ErrorCode::kInvalidType, field, "expected a string or null"};
    const std::string s = v->get<std::string>();
    if (uuid ? !IsUuidText(s) : !IsTagText(s, max_len))
      return Error{ErrorCode::kInvalidValue, field,
                   uuid ? "expected a UUID (8-4-4-4-12 hex digits)"
                        : "expected 1-" + std::to_string(max_len) + " letters, digits or . _ : + -"};
    tags[key] = s;
  }
  return tags;
}

}  // namespace

std::string Fingerprint(const json& response) {
  json id = {{"engine_version", response.value("engine_version", "")},
             {"request", response.contains("request") ? response["request"] : json()},
             {"gpu", {{"id", response.contains("gpu") ? response["gpu"].value("id", "") : ""},
                      {"count", response.contains("gpu") ? response["gpu"].value("count", 1) : 1}}},
             {"hyperparameters", response.contains("hyperparameters") ? response["hyperparameters"] : json()}};
  const std::string text = id.dump(-1, ' ', false, json::error_handler_t::replace);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(Fnv1a64(text)));
  return buf;
}

namespace {

// The parts of the response every export reads; an error for a response that
// has no configuration to export.
struct ResponseParts {
  const json* hp = nullptr;
  const json* rq = nullptr;
  const json* gpu = nullptr;
};

Result<ResponseParts> ExportableParts(const json& response) {
  if (!response.is_object() || response.contains("error"))
    return Error{ErrorCode::kInvalidValue, "response", "expected a recommendation response object (an error has nothing to export)"};
  if (!response.value("fits", false))
    return Error{ErrorCode::kInvalidValue, "response",
                 "the recommendation does not fit the GPU (\"fits\": false): there is no configuration to export; "
                 "use the GPU or plan the response suggests"};
  ResponseParts p{Find(response, "hyperparameters"), Find(response, "request"), Find(response, "gpu")};
  if (!p.hp || !p.hp->is_object() || !p.rq || !p.gpu)
    return Error{ErrorCode::kInvalidValue, "response", "the response lacks \"hyperparameters\", \"request\" or \"gpu\""};
  return p;
}

// Identities: user strings, raw (every renderer escapes them).
void PlanIdentities(const Request& request, const json& rq, ojson& v) {
  std::string model = SanitizeUtf8(LoadableModelName(rq));
  v["model_placeholder"] = model.empty();
  v["model_id"] = model.empty() ? kPlaceholderModel : model;
  std::string dataset = SanitizeUtf8(request.dataset_name);
  v["dataset_placeholder"] = dataset.empty();
  v["dataset_id"] = dataset.empty() ? kPlaceholderDataset : dataset;
  std::string out_dir = SanitizeUtf8(request.output_dir);
  v["output_dir"] = out_dir.empty() ? kDefaultOutputDir : out_dir;
  v["notes"] = SanitizeUtf8(request.notes);
  v["model_params_b"] = rq.contains("model_params_b") ? Copy(rq["model_params_b"]) : ojson(nullptr);
  v["platform"] = Str(rq, "platform");
  v["plan"] = Str(rq, "plan");
}

// Precision and how the model loads: full fine-tuning with mixed precision
// keeps fp32 master weights (as the memory estimate assumes); adapters train
// on a 16-bit base; pure_bf16 (full fine-tuning that only fits without the
// fp32 master copy) loads the weights in bf16.
void PlanPrecision(const json& hp, bool peft, ojson& v) {
  std::string precision = Str(hp, "precision", "fp16");
  const bool bf16 = precision == "bf16";
  v["precision"] = precision;
  v["uses_bf16"] = bf16 || Str(hp, "bnb_4bit_compute_dtype") == "bfloat16";
  const bool pure_bf16 = Bool(hp, "pure_bf16").value_or(false) && bf16;
  v["pure_bf16"] = pure_bf16;
  std::string dtype = pure_bf16 ? "bfloat16" : precision == "fp32" || !peft ? "float32" : bf16 ? "bfloat16" : "float16";
  ojson model_args = ojson::object();
  model_args["attn_implementation"] = Str(hp, "attn_implementation", "sdpa");
  model_args["torch_dtype"] = dtype;
  v["model_args"] = model_args;
  v["max_seq_length"] = IntOr(hp, "max_seq_length", 1024);
  v["eval_fraction"] = kEvalFraction;
  v["seed"] = kSeed;
  if (!v["quantized"].get<bool>()) {
    v["bnb_args"] = nullptr;
    return;
  }
  ojson bnb = ojson::object();
  bnb["load_in_4bit"] = true;
  bnb["bnb_4bit_quant_type"] = Str(hp, "bnb_4bit_quant_type", "nf4");
  bnb["bnb_4bit_compute_dtype"] = Str(hp, "bnb_4bit_compute_dtype", bf16 ? "bfloat16" : "float16");
  bnb["bnb_4bit_use_double_quant"] = Bool(hp, "bnb_4bit_use_double_quant").value_or(true);
  v["bnb_args"] = bnb;
}

// The model class and PEFT's LoraConfig (null for full fine-tuning).
void PlanLora(const json& hp, const std::string& family, const std::string& model, const std::string& kind, ojson& v) {
  const bool seq_cls = kind == "classification" || kind == "reward";
  v["seq_cls"] = seq_cls;
  v["model_class"] = seq_cls ? "AutoModelForSequenceClassification"
                     : kind == "seq2seq" ? "AutoModelForSeq2SeqLM"
                                         : "AutoModelForCausalLM";
  if (!v["peft"].get<bool>()) {
    v["lora_args"] = nullptr;
    v["lora_target_class"] = nullptr;
    v["lora_all_linear"] = false;
    v["lora_modules"] = ojson::array();
    v["lora_modules_to_save"] = ojson::array();
    return;
  }
  LoraTargets t = ResolveLoraTargets(hp, family, model, seq_cls);
  ojson lora = ojson::object();
  lora["r"] = IntOr(hp, "lora_r", 16);
  lora["lora_alpha"] = IntOr(hp, "lora_alpha", 2 * IntOr(hp, "lora_r", 16));
  lora["lora_dropout"] = NumOr(hp, "lora_dropout", 0.05);
  lora["target_modules"] = t.all_linear ? ojson("all-linear") : ToArray(t.modules);
  if (!t.to_save.empty()) lora["modules_to_save"] = ToArray(t.to_save);
  lora["bias"] = "none";
  lora["task_type"] = seq_cls ? "SEQ_CLS" : kind == "seq2seq" ? "SEQ_2_SEQ_LM" : "CAUSAL_LM";
  v["lora_args"] = lora;
  v["lora_target_class"] = t.target_class;
  v["lora_all_linear"] = t.all_linear;
  v["lora_modules"] = t.all_linear ? ojson::array() : ToArray(t.modules);
  v["lora_modules_to_save"] = ToArray(t.to_save);
}

// The trainer class, its config class and the module they come from.
void PlanTrainerClass(const std::string& kind, ojson& v) {
  std::string trainer, config, module = "trl";
  if (kind == "dpo") trainer = "DPOTrainer", config = "DPOConfig";
  else if (kind == "orpo") trainer = "ORPOTrainer", config = "ORPOConfig";
  else if (kind == "reward") trainer = "RewardTrainer", config = "RewardConfig";
  else if (kind == "classification" || kind == "pretraining") trainer = "Trainer", config = "TrainingArguments", module = "transformers";
  else if (kind == "seq2seq") trainer = "Seq2SeqTrainer", config = "Seq2SeqTrainingArguments", module = "transformers";
  else trainer = "SFTTrainer", config = "SFTConfig";
  v["trainer_class"] = trainer;
  v["config_class"] = config;
  v["trainer_module"] = module;
}

// The trainer's arguments: the schedule, batch and precision, the task's
// lengths, logging and saving, and the distribution across GPUs.
void PlanTrainingArgs(const json& response, const json& hp, int num_gpus, ojson& v) {
  const std::string precision = v["precision"].get<std::string>();
  const std::string config = v["config_class"].get<std::string>();
  const int seq = v["max_seq_length"].get<int>();
  const bool grad_ckpt = Bool(hp, "gradient_checkpointing").value_or(true);
  ojson ta = ojson::object();
  ta["output_dir"] = v["output_dir"];
  ta["num_train_epochs"] = NumOr(hp, "num_epochs", 1.0);
  ta["per_device_train_batch_size"] = IntOr(hp, "batch_size_per_device", 1);
  ta["per_device_eval_batch_size"] = IntOr(hp, "per_device_eval_batch_size", IntOr(hp, "batch_size_per_device", 1));
  ta["gradient_accumulation_steps"] = IntOr(hp, "gradient_accumulation_steps", 1);
  ta["learning_rate"] = NumOr(hp, "learning_rate", 2e-4);
  ta["lr_scheduler_type"] = Str(hp, "lr_scheduler", "cosine");
  // transformers 5 folded warmup_ratio into warmup_steps (a float below 1 is
  // a ratio of the steps); the stack's transformers decides the key.
  ta[TransformersMajor(response) >= 5 ? "warmup_steps" : "warmup_ratio"] = NumOr(hp, "warmup_ratio", 0.03);
  ta["weight_decay"] = NumOr(hp, "weight_decay", 0.0);
  ta["optim"] = Str(hp, "optimizer", "adamw_torch");
  ta["bf16"] = precision == "bf16";
  ta["fp16"] = precision == "fp16";
  ta["gradient_checkpointing"] = grad_ckpt;
  if (grad_ckpt) ta["gradient_checkpointing_kwargs"] = {{"use_reentrant", false}};
  if (config == "SFTConfig") {
    ta["max_length"] = seq;
    ta["packing"] = false;
  } else if (config == "DPOConfig" || config == "ORPOConfig") {
    ta["max_length"] = seq;
    ta["max_prompt_length"] = seq / 2;
    ta["beta"] = kPreferenceBeta;
  } else if (config == "RewardConfig") {
    ta["max_length"] = seq;
  }
  ta["eval_strategy"] = "epoch";
  ta["save_strategy"] = "epoch";
  ta["save_total_limit"] = 2;
  ta["logging_steps"] = 10;
  ta["report_to"] = "none";
  ta["seed"] = kSeed;
  ta["include_num_input_tokens_seen"] = true;
  const std::string distribution = Distribution(hp, num_gpus);
  v["distribution"] = distribution;
  v["deepspeed"] = DeepSpeedConfig(distribution);
  if (num_gpus > 1 && distribution == "ddp") ta["ddp_find_unused_parameters"] = false;
  if (v["deepspeed"].is_object()) ta["deepspeed"] = v["deepspeed"];
  if (distribution == "fsdp") {
    // Fully sharded, one FSDP unit per decoder layer (the model's own
    // _no_split_modules), full state dict for the saved adapter or model.
    ta["fsdp"] = "full_shard auto_wrap";
    ta["fsdp_config"] = {{"backward_prefetch", "backward_pre"}, {"use_orig_params", true},
                         {"cpu_ram_efficient_loading", true}, {"sync_module_states", true}};
  }
  v["training_args"] = ta;
}

// The numbers the summary and the telemetry compare against.
ojson PredictedNumbers(const json& response) {
  ojson predicted = ojson::object();
  const json* vram = Find(response, "vram");
  const json* time = Find(response, "time");
  predicted["per_gpu_gb"] = vram ? Copy((*vram).value("per_gpu_gb", json())) : ojson(nullptr);
  predicted["eval_peak_gb"] = vram ? Copy((*vram).value("eval_peak_gb", json())) : ojson(nullptr);
  predicted["merge_peak_gb"] = vram ? Copy((*vram).value("merge_peak_gb", json())) : ojson(nullptr);
  predicted["usable_gb"] = vram ? Copy((*vram).value("usable_gb", json())) : ojson(nullptr);
  predicted["tokens_per_sec"] = time ? Copy((*time).value("tokens_per_sec", json())) : ojson(nullptr);
  predicted["hours"] = time ? Copy((*time).value("hours", json())) : ojson(nullptr);
  return predicted;
}

}  // namespace

Result<ExportPlan> BuildPlan(const Request& request, const json& response) {
  FTCONFIG_ASSIGN_OR_RETURN(parts, ExportableParts(response));
  const json& hp = *parts.hp;
  const json& rq = *parts.rq;
  ExportPlan plan;
  ojson& v = plan.v;
  v["engine_version"] = Str(response, "engine_version");
  v["fingerprint"] = Fingerprint(response);
  FTCONFIG_ASSIGN_OR_RETURN(serving, ServingTags(response));
  v["serving"] = serving;
  PlanIdentities(request, rq, v);

  // ---- task and adapter
  const std::string model = v["model_placeholder"].get<bool>() ? std::string() : v["model_id"].get<std::string>();
  std::string task = Str(rq, "task_type", "instruction_following");
  const std::string family = ModelFamily(response);
  const std::string arch = LoraArchitecture(family, model);
  FTCONFIG_ASSIGN_OR_RETURN(kind, KindFor(task, arch));
  if ((kind == "classification" || kind == "reward") && !model.empty() && !SequenceClassificationAvailable(family, model))
    return Error{ErrorCode::kUnsupported, "task_type",
                 "task \"" + task + "\" loads the model with AutoModelForSequenceClassification, which transformers " +
                     std::string(kPinnedTransformers) + " (the exports' pinned stack) lacks for " + model +
                     "; pick a model with a classification head (Llama, Qwen, Mistral, Gemma 2) or a generative task"};
  v["task_type"] = task;
  v["kind"] = kind;
  v["architecture"] = arch;
  std::string adapter = Str(hp, "adapter_type", "lora");
  // gpt-oss: the hub checkpoint's experts are MXFP4, which has no backward
  // pass; transformers dequantizes them to bf16 (Mxfp4Config(dequantize=
  // True)) and keeps the checkpoint's quantization config over a
  // BitsAndBytesConfig, so the exports train LoRA on the bf16 model.
  const bool mxfp4 = arch == "gpt_oss";
  if (mxfp4 && adapter == "qlora")
    return Error{ErrorCode::kUnsupported, "adapter_type",
                 "this recommendation's QLoRA figures are for Unsloth's own NF4 checkpoint of " + model +
                     "; the exports load its experts in bf16 (LoRA on a model several times larger than estimated): "
                     "train in 4 bits with Unsloth's gpt-oss notebook, or ask for adapter_type lora with framework "
                     "hf-trainer to export"};
  // The checkpoint is MXFP4 unless the name says a bf16 or bitsandbytes copy
  // (the notebook and script check the config itself; axolotl's YAML cannot).
  const std::string named = Lower(v["model_id"].get<std::string>());
  v["mxfp4_dequantize"] = mxfp4 && named.find("bf16") == std::string::npos && named.find("bnb") == std::string::npos;
  v["adapter"] = adapter;
  v["peft"] = adapter != "none";
  v["quantized"] = !mxfp4 && (Bool(hp, "load_in_4bit").value_or(false) || adapter == "qlora");
  const int num_gpus = IntOr(*parts.gpu, "count", 1);
  v["num_gpus"] = num_gpus;
  v["gpu"] = Copy(*parts.gpu);

  PlanPrecision(hp, adapter != "none", v);
  PlanLora(hp, family, model, kind, v);
  PlanTrainerClass(kind, v);
  PlanTrainingArgs(response, hp, num_gpus, v);
  v["predicted"] = PredictedNumbers(response);
  v["hyperparameters"] = Copy(hp);
  return plan;
}

}  // namespace ftconfig::internal
