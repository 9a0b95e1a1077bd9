#include "ftconfig/corpus.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "json_util.h"
#include "json_fast.h"

namespace ftconfig {

using internal::Lower;
using internal::Trim;

namespace {

// Looks a value up by the first of several dotted paths that is present and
// non-null: {"learning_rate", "training_config.learning_rate", "training_config.lr"}.
const json* Pick(const json& row, std::initializer_list<const char*> paths) {
  for (const char* path : paths) {
    const json* cur = &row;
    std::string p(path);
    size_t start = 0;
    bool found = true;
    while (start <= p.size()) {
      size_t dot = p.find('.', start);
      std::string key = p.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (!cur->is_object()) { found = false; break; }
      auto it = cur->find(key);
      if (it == cur->end() || it->is_null()) { found = false; break; }
      cur = &*it;
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    if (found) return cur;
  }
  return nullptr;
}

// Numbers may be written as strings in real-world files ("2e-4", "16").
std::optional<double> AsNumber(const json* v) {
  if (!v) return std::nullopt;
  if (v->is_number()) {
    double d = v->get<double>();
    return std::isfinite(d) ? std::optional<double>(d) : std::nullopt;
  }
  if (v->is_string()) {
    std::string s = Trim(v->get<std::string>());
    if (s.empty()) return std::nullopt;
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (end && *end == '\0' && std::isfinite(d)) return d;
  }
  return std::nullopt;
}

std::optional<bool> AsBool(const json* v) {
  if (!v) return std::nullopt;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_string()) {
    std::string s = Lower(Trim(v->get<std::string>()));
    if (s == "true" || s == "yes" || s == "1") return true;
    if (s == "false" || s == "no" || s == "0") return false;
  }
  if (v->is_number_integer()) return v->get<int64_t>() != 0;
  return std::nullopt;
}

std::string AsString(const json* v) {
  if (!v) return "";
  if (v->is_string()) return Trim(v->get<std::string>());
  if (v->is_number()) return v->dump();
  return "";
}

// "7B", "7b", "1.5B", "135M", 7e9, 7 (billions) -> billions.
std::optional<double> ParseParams(const json* v) {
  if (!v) return std::nullopt;
  if (v->is_number()) {
    double d = v->get<double>();
    if (!std::isfinite(d) || d <= 0) return std::nullopt;
    return d > 1e5 ? d / 1e9 : d;  // raw parameter counts vs billions
  }
  if (v->is_string()) {
    std::string s = Lower(Trim(v->get<std::string>()));
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (end == s.c_str() || !std::isfinite(d) || d <= 0) return std::nullopt;
    std::string unit = Trim(end);
    if (unit.empty()) return d > 1e5 ? d / 1e9 : d;
    if (unit[0] == 'b') return d;
    if (unit[0] == 'm') return d / 1e3;
    if (unit[0] == 'k') return d / 1e6;
    if (unit[0] == 't') return d * 1e3;
  }
  return std::nullopt;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// One size hint at s[i] (a digit): "7b", "1.5B", "135M" followed by a
// non-letter or the end. Its value in billions and the index after its unit;
// nullopt when there is none. Integer parts over 6 digits are no size
// (30,000-digit names used to crash std::regex and 400 digits std::stod).
std::optional<std::pair<double, size_t>> SizeHintAt(const std::string& s, size_t i) {
  size_t j = i;
  while (j < s.size() && IsDigit(s[j])) ++j;
  const size_t int_end = j;
  if (j + 1 < s.size() && s[j] == '.' && IsDigit(s[j + 1])) {
    ++j;
    while (j < s.size() && IsDigit(s[j])) ++j;
  }
  if (j >= s.size()) return std::nullopt;
  const char unit = static_cast<char>(std::tolower(static_cast<unsigned char>(s[j])));
  if (unit != 'b' && unit != 'm') return std::nullopt;
  if (j + 1 < s.size() && IsAsciiLetter(s[j + 1])) return std::nullopt;
  if (int_end - i > 6) return std::make_pair(-1.0, j + 1);
  double d = std::strtod(s.substr(i, std::min<size_t>(j - i, 16)).c_str(), nullptr);
  return std::make_pair(unit == 'b' ? d : d / 1e3, j + 1);
}

// Size hint in a model name: "Llama-2-7b-hf" -> 7, "SmolLM2-135M" -> 0.135;
// the last one wins. A number counts where the name or the previous hint's
// trailing character ends, or after a character other than a digit or '.'.
// One linear scan.
std::optional<double> ParamsFromName(const std::string& name) {
  std::optional<double> found;
  size_t segment = 0;  // where the previous hint's trailing character ended
  for (size_t i = 0; i < name.size();) {
    const bool starts = IsDigit(name[i]) && (i == segment || (!IsDigit(name[i - 1]) && name[i - 1] != '.'));
    if (!starts) {
      ++i;
      continue;
    }
    auto hint = SizeHintAt(name, i);
    if (!hint) {
      while (i < name.size() && IsDigit(name[i])) ++i;  // the run cannot start a hint later on
      continue;
    }
    if (hint->first >= 0) found = hint->first;
    i = segment = std::min(name.size(), hint->second + 1);  // the trailing character is consumed
  }
  // "8x7b" style MoE names are handled by the catalog, not here.
  return found;
}

std::optional<int> AsPositiveInt(std::optional<double> d) {
  if (!d || *d <= 0 || *d > 1e9) return std::nullopt;
  return static_cast<int>(std::llround(*d));
}

bool AllNull(const json& row) {
  if (!row.is_object()) return row.is_null();
  for (const auto& [k, v] : row.items()) {
    if (v.is_null()) continue;
    if (v.is_string() && Trim(v.get<std::string>()).empty()) continue;
    if (v.is_object() && AllNull(v)) continue;
    if (v.is_array() && v.empty()) continue;
    return false;
  }
  return true;
}

Error Reject(const std::string& reason) { return Error{ErrorCode::kInvalidValue, "", reason}; }

}  // namespace

std::string SizeBucket(std::optional<double> params_b) {
  if (!params_b) return "unknown";
  if (*params_b < 1.0) return "small";
  if (*params_b <= 7.5) return "medium";  // 7B-class models (6.7–7.6B) are "medium"
  return "large";
}

std::string CanonicalOptimizer(const std::string& name) {
  std::string s = NormalizeKey(name);
  if (s.empty()) return "";
  bool paged = s.find("paged") != std::string::npos;
  bool eight = s.find("8bit") != std::string::npos;
  if (s.find("adafactor") != std::string::npos) return "adafactor";
  if (s.find("sgd") != std::string::npos) return "sgd";
  if (s.find("adam") != std::string::npos) {
    if (paged) return eight ? "paged_adamw_8bit" : "paged_adamw_32bit";
    if (eight) return "adamw_8bit";
    if (s.find("4bit") != std::string::npos) return "adamw_8bit";  // torchao 4-bit: closest known footprint
    return "adamw";
  }
  return "other";
}

std::string CanonicalScheduler(const std::string& name) {
  std::string s = NormalizeKey(name);
  if (s.empty()) return "";
  if (s.find("cosinewithminlr") != std::string::npos) return "cosine_with_min_lr";
  if (s.find("cosine") != std::string::npos) return "cosine";
  if (s.find("constantwithwarmup") != std::string::npos) return "constant_with_warmup";
  if (s.find("constant") != std::string::npos) return "constant";
  if (s.find("linear") != std::string::npos) return "linear";
  if (s.find("step") != std::string::npos) return "step";
  return "other";
}

std::string CanonicalPrecision(const std::string& name) {
  std::string s = NormalizeKey(name);
  if (s.find("bf16") != std::string::npos || s.find("bfloat16") != std::string::npos) return "bf16";
  if (s.find("fp16") != std::string::npos || s.find("float16") != std::string::npos || s == "16" ||
      s == "half")
    return "fp16";
  if (s.find("fp32") != std::string::npos || s.find("float32") != std::string::npos || s == "32" ||
      s == "no")
    return "fp32";
  return "";
}

std::string CanonicalLoraTarget(const json& target) {
  std::vector<std::string> mods;
  if (target.is_string()) {
    std::string s = Lower(target.get<std::string>());
    if (s.find("all") != std::string::npos && s.find("linear") != std::string::npos) return "all_linear";
    // "q,v" or "['q_proj', 'v_proj']" written as a string.
    std::string cur;
    for (char c : s) {
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.') cur.push_back(c);
      else if (!cur.empty()) { mods.push_back(cur); cur.clear(); }
    }
    if (!cur.empty()) mods.push_back(cur);
  } else if (target.is_array()) {
    for (const auto& e : target)
      if (e.is_string()) mods.push_back(Lower(e.get<std::string>()));
  } else {
    return "";
  }
  if (mods.empty()) return "";
  bool mlp = false, attn_other = false, embed = false, q = false, v = false;
  for (const auto& m : mods) {
    if (m.find("mlp") != std::string::npos || m.find("gate") != std::string::npos ||
        m.find("up_proj") != std::string::npos || m.find("down") != std::string::npos ||
        m == "w1" || m == "w2" || m == "w3" || m.find("ffw") != std::string::npos || m.find("fc") == 0)
      mlp = true;
    if (m.find("embed") != std::string::npos || m.find("lm_head") != std::string::npos || m == "output" ||
        m == "head")
      embed = true;
    if (m == "q" || m.find("q_proj") != std::string::npos || m == "query" || m.find("(q|") != std::string::npos)
      q = true;
    if (m == "v" || m.find("v_proj") != std::string::npos || m == "value") v = true;
    if (m == "k" || m.find("k_proj") != std::string::npos || m == "key" || m.find("o_proj") != std::string::npos ||
        m.find("out_proj") != std::string::npos || m.find("output_proj") != std::string::npos)
      attn_other = true;
  }
  // Regex targets such as "...(mlp|self_attn).(up|down|gate|q|k|v|o)_proj" cover all linear layers.
  for (const auto& m : mods)
    if (m.find("up|down") != std::string::npos || m.find("(mlp|") != std::string::npos) mlp = true;
  if (mlp && embed) return "all_linear_embed";
  if (mlp) return "all_linear";
  if (attn_other) return "attention";
  if (q || v) return "qv";
  return "";
}

Result<ConfigRecord> NormalizeRow(const json& row, const Catalog& catalog) {
  if (!row.is_object()) return Reject("not_an_object");
  if (AllNull(row)) return Reject("empty_row");
  ConfigRecord r;
  r.id = AsString(Pick(row, {"id", "config_id", "run_id"}));
  r.source_repo = AsString(Pick(row, {"source_repo", "source.repo", "source"}));
  r.source_path = AsString(Pick(row, {"source_path", "source.path"}));

  // --- model
  const json* model = Pick(row, {"model"});
  r.model_name = AsString(Pick(row, {"model_name", "model.name", "model.id", "model_id", "base_model"}));
  if (r.model_name.empty() && model && model->is_string()) r.model_name = Trim(model->get<std::string>());
  r.model_params_b = ParseParams(Pick(row, {"model_params_b", "params_b", "model.params_b", "model.size_params",
                                            "model.size", "model_size_params"}));
  const Model* known = r.model_name.empty() ? nullptr : catalog.FindModel(r.model_name);
  if (known) r.model_family = known->family;
  if (!r.model_params_b && !r.model_name.empty())
    r.model_params_b = known ? known->arch.params_b : ParamsFromName(r.model_name);
  if (r.model_params_b && (*r.model_params_b <= 0 || *r.model_params_b > 2000))
    return Reject("model_params_out_of_range");
  r.size_bucket = SizeBucket(r.model_params_b);

  // --- task
  std::string task = AsString(Pick(row, {"task_type", "task", "training_config.task_type", "task.type"}));
  if (task.empty()) return Reject("missing_task_type");
  r.task_type = catalog.CanonicalTask(task);
  if (r.task_type.empty()) return Reject("unknown_task_type");

  // --- adapter and quantization
  std::string adapter = Lower(AsString(Pick(row, {"adapter_type", "adapter", "finetuning_type", "peft_type",
                                                   "training_config.adapter_type", "method", "lora_config.type"})));
  std::string quant = Lower(AsString(Pick(row, {"quantization", "training_config.quantization", "quant"})));
  auto load4 = AsBool(Pick(row, {"load_in_4bit", "training_config.load_in_4bit", "model.load_in_4bit"}));
  auto load8 = AsBool(Pick(row, {"load_in_8bit", "training_config.load_in_8bit", "model.load_in_8bit"}));
  if (load4.value_or(false) || quant == "4bit" || quant == "nf4" || quant == "int4") r.quantization = "4bit";
  else if (load8.value_or(false) || quant == "8bit" || quant == "int8") r.quantization = "8bit";
  else r.quantization = "none";
  if (adapter.empty() && Pick(row, {"lora_r", "lora.r", "lora_config.r"})) adapter = "lora";
  if (adapter.empty() || adapter == "full" || adapter == "none" || adapter == "full_finetune") adapter = "none";
  r.adapter_original = adapter;
  if (adapter == "qlora") {
    r.adapter_type = "qlora";
  } else if (adapter == "lora" || adapter == "dora") {
    // DoRA is LoRA with a learned magnitude vector: grouped with LoRA.
    r.adapter_type = r.quantization == "4bit" ? "qlora" : "lora";
  } else if (adapter == "none" || adapter == "freeze") {
    // Freeze tuning trains a subset of the base weights in full precision:
    // its hyperparameters behave like full fine-tuning.
    r.adapter_type = "none";
  } else {
    return Reject("unknown_adapter_type");
  }

  // --- hyperparameters
  auto lr = AsNumber(Pick(row, {"learning_rate", "lr", "training_config.learning_rate", "training_config.lr",
                                "hyperparameters.learning_rate"}));
  if (!lr) return Reject("missing_learning_rate");
  // Published fine-tuning rates span ~1e-7 (DPO) to ~1e-2 (prompt tuning); outside is a typo or a unit error.
  if (*lr <= 0 || *lr > 0.01 || *lr < 1e-8) return Reject("learning_rate_out_of_range");
  r.learning_rate = *lr;

  auto bs = AsNumber(Pick(row, {"batch_size_per_device", "per_device_train_batch_size", "micro_batch_size",
                                "batch_size", "training_config.batch_size_per_device",
                                "training_config.per_device_train_batch_size", "training_config.micro_batch_size",
                                "training_config.batch_size"}));
  if (!bs) return Reject("missing_batch_size");
  if (*bs < 1 || *bs > 4096 || std::floor(*bs) != *bs) return Reject("batch_size_out_of_range");
  r.batch_size_per_device = static_cast<int>(*bs);
  auto ga = AsNumber(Pick(row, {"gradient_accumulation_steps", "grad_accum", "training_config.gradient_accumulation_steps",
                                "training_config.grad_accum"}));
  if (ga && (*ga < 1 || *ga > 4096 || std::floor(*ga) != *ga)) return Reject("gradient_accumulation_out_of_range");
  r.gradient_accumulation_steps = ga ? static_cast<int>(*ga) : 1;
  auto ng = AsNumber(Pick(row, {"num_gpus", "hardware_config.num_gpus", "hardware_config.gpu_count",
                                "hardware.num_gpus", "training_config.num_gpus"}));
  if (ng && (*ng < 1 || *ng > 100000 || std::floor(*ng) != *ng)) return Reject("num_gpus_out_of_range");
  r.num_gpus = ng ? static_cast<int>(*ng) : 1;
  // 64-bit: 4096 x 4096 x 100,000 overflowed int and was stored negative.
  const long long effective = static_cast<long long>(r.batch_size_per_device) * r.gradient_accumulation_steps * r.num_gpus;
  if (effective > kMaxEffectiveBatchSize) return Reject("effective_batch_size_out_of_range");
  r.effective_batch_size = static_cast<int>(effective);

  if (r.adapter_type != "none") {
    r.lora_r = AsPositiveInt(AsNumber(Pick(row, {"lora_r", "lora.r", "lora_config.r", "lora_rank", "training_config.lora_r"})));
    r.lora_alpha = AsPositiveInt(AsNumber(Pick(row, {"lora_alpha", "lora.alpha", "lora_config.lora_alpha",
                                                     "lora_config.alpha", "training_config.lora_alpha"})));
    r.lora_dropout = AsNumber(Pick(row, {"lora_dropout", "lora.dropout", "lora_config.lora_dropout",
                                         "training_config.lora_dropout"}));
    if (r.lora_r && *r.lora_r > 4096) return Reject("lora_rank_out_of_range");
    if (r.lora_dropout && (*r.lora_dropout < 0 || *r.lora_dropout >= 1)) r.lora_dropout.reset();
    if (const json* t = Pick(row, {"lora_target", "lora_target_modules", "target_modules", "lora.target_modules",
                                   "lora_config.target_modules"}))
      r.lora_target = CanonicalLoraTarget(*t);
  }

  auto seq = AsNumber(Pick(row, {"max_seq_length", "max_seq_len", "sequence_len", "cutoff_len", "max_length",
                                 "seq_len", "training_config.max_seq_length", "training_config.max_length",
                                 "training_config.sequence_len"}));
  if (seq && (*seq < 16 || *seq > 2000000)) return Reject("max_seq_length_out_of_range");
  if (seq) r.max_seq_length = static_cast<int>(*seq);
  r.num_epochs = AsNumber(Pick(row, {"num_epochs", "num_train_epochs", "epochs", "training_config.num_epochs",
                                     "training_config.epochs", "training_config.num_train_epochs"}));
  if (r.num_epochs && (*r.num_epochs <= 0 || *r.num_epochs > 1000)) return Reject("num_epochs_out_of_range");
  r.max_steps = AsPositiveInt(AsNumber(Pick(row, {"max_steps", "training_config.max_steps"})));
  r.optimizer = CanonicalOptimizer(AsString(Pick(row, {"optimizer", "optim", "training_config.optimizer",
                                                       "training_config.optim"})));
  r.lr_scheduler = CanonicalScheduler(AsString(Pick(row, {"lr_scheduler", "lr_scheduler_type", "scheduler",
                                                          "training_config.lr_scheduler",
                                                          "training_config.lr_scheduler_type"})));
  std::string prec = AsString(Pick(row, {"precision", "mixed_precision", "training_config.precision", "dtype"}));
  if (prec.empty()) {
    if (AsBool(Pick(row, {"bf16", "training_config.bf16"})).value_or(false)) prec = "bf16";
    else if (AsBool(Pick(row, {"fp16", "training_config.fp16"})).value_or(false)) prec = "fp16";
  }
  r.precision = CanonicalPrecision(prec);
  r.warmup_ratio = AsNumber(Pick(row, {"warmup_ratio", "training_config.warmup_ratio"}));
  if (r.warmup_ratio && (*r.warmup_ratio < 0 || *r.warmup_ratio > 1)) r.warmup_ratio.reset();
  r.weight_decay = AsNumber(Pick(row, {"weight_decay", "training_config.weight_decay"}));
  if (r.weight_decay && (*r.weight_decay < 0 || *r.weight_decay > 1)) r.weight_decay.reset();
  r.gradient_checkpointing = AsBool(Pick(row, {"gradient_checkpointing", "training_config.gradient_checkpointing"}));
  r.flash_attention = AsBool(Pick(row, {"flash_attention", "flash_attn", "training_config.flash_attention"}));
  r.packing = AsBool(Pick(row, {"packing", "sample_packing", "training_config.packing"}));

  // --- dataset
  const json* ds = Pick(row, {"dataset"});
  r.dataset_name = AsString(Pick(row, {"dataset_name", "dataset.name", "dataset_config.name"}));
  if (r.dataset_name.empty() && ds && ds->is_string()) r.dataset_name = Trim(ds->get<std::string>());
  r.dataset_size = AsNumber(Pick(row, {"dataset_size", "dataset.size", "dataset.num_examples",
                                       "dataset_config.size", "num_examples"}));
  if (r.dataset_size && *r.dataset_size <= 0) r.dataset_size.reset();
  if (!r.dataset_size && !r.dataset_name.empty())
    if (const DatasetInfo* d = catalog.FindDataset(r.dataset_name)) r.dataset_size = d->num_examples;
  if (!r.dataset_size) r.dataset_size_bucket = "unknown";
  else if (*r.dataset_size < catalog.dataset_small_max()) r.dataset_size_bucket = "small";
  else if (*r.dataset_size < catalog.dataset_medium_max()) r.dataset_size_bucket = "medium";
  else r.dataset_size_bucket = "large";

  // --- hardware and outcome
  r.gpu_type = AsString(Pick(row, {"gpu_type", "gpu", "hardware_config.gpu_type", "hardware_config.gpu",
                                   "hardware.gpu_type"}));
  r.peak_vram_gb = AsNumber(Pick(row, {"peak_vram_gb", "results.peak_vram_gb", "hardware_config.peak_vram_gb"}));
  r.eval_metric_name = AsString(Pick(row, {"eval_metric_name", "results.eval_metric_name"}));
  r.eval_metric_value = AsNumber(Pick(row, {"eval_metric_value", "results.eval_metric_value"}));
  return r;
}

namespace {
// Lines in the sources' text (the most rows they can give).
size_t LineCount(const std::vector<CorpusSource>& sources) {
  size_t n = 0;
  for (const auto& src : sources) n += std::count(src.jsonl.begin(), src.jsonl.end(), '\n') + 1;
  return n;
}

// One row that trips an unexpected error is rejected and counted
// ("unreadable_row"), never the end of the load.
Result<ConfigRecord> NormalizeRowGuarded(const json& row, const Catalog& catalog) {
  try {
    return NormalizeRow(row, catalog);
  } catch (const std::exception&) {
    return Reject("unreadable_row");
  }
}

// Rows that say the same thing: model, dataset, task, adapter, learning rate
// and effective batch.
std::string DuplicateKey(const ConfigRecord& r) {
  char lr[32];
  std::snprintf(lr, sizeof lr, "%.6g", r.learning_rate);
  return Lower(r.model_name) + "|" + Lower(r.dataset_name) + "|" + r.task_type + "|" + r.adapter_type + "|" + lr +
         "|" + std::to_string(r.effective_batch_size);
}

// What one source gave.
struct FileLoad {
  int rows = 0, non_empty_rows = 0, parse_errors = 0, duplicates = 0;
  std::map<std::string, int> rejects;
};

// Reads one source's rows, in place (its text is not copied), into
// `records`, leaving out the duplicates of rows `seen` before.
FileLoad LoadSource(const CorpusSource& src, const Catalog& catalog, std::unordered_set<std::string>* seen,
                    std::vector<ConfigRecord>* records, std::vector<std::string>* warnings) {
  FileLoad f;
  int line_no = 0;
  for (size_t pos = 0, end; pos < src.jsonl.size(); pos = end + 1) {
    end = std::min(src.jsonl.find('\n', pos), src.jsonl.size());
    ++line_no;
    std::string t = Trim(src.jsonl.substr(pos, end - pos));
    if (t.empty()) continue;
    ++f.rows;
    json row = internal::ParseJson(t);
    if (row.is_discarded()) {
      ++f.rejects["invalid_json"];
      if (++f.parse_errors <= 5) warnings->push_back(src.name + ":" + std::to_string(line_no) + ": not valid JSON");
      continue;
    }
    if (AllNull(row)) {
      ++f.rejects["empty_row"];
      continue;
    }
    ++f.non_empty_rows;
    auto rec = NormalizeRowGuarded(row, catalog);
    if (!rec.ok()) {
      ++f.rejects[rec.error().message];
      continue;
    }
    ConfigRecord r = std::move(rec).value();
    r.source_file = src.name;
    r.source_line = line_no;
    if (r.id.empty()) r.id = src.name + ":" + std::to_string(line_no);
    if (!seen->insert(DuplicateKey(r)).second) {
      ++f.duplicates;
      continue;
    }
    records->push_back(std::move(r));
  }
  return f;
}

}  // namespace

Result<Corpus> Corpus::Build(const std::vector<CorpusSource>& sources, const Catalog& catalog) {
  Corpus c;
  std::unordered_set<std::string> seen;
  c.records_.reserve(LineCount(sources));
  for (const auto& src : sources) {
    FileLoad f = LoadSource(src, catalog, &seen, &c.records_, &c.stats_.warnings);
    if (f.non_empty_rows == 0) {
      ++c.stats_.files_skipped;
      c.stats_.warnings.push_back(src.name + ": skipped: " +
                                  (f.rows == 0 ? std::string("no rows") : "every row is null or empty"));
      continue;
    }
    ++c.stats_.files_loaded;
    c.stats_.rows_read += f.rows;
    c.stats_.rows_duplicate += f.duplicates;
    for (const auto& [reason, n] : f.rejects) {
      c.stats_.rejected_by_reason[reason] += n;
      c.stats_.rows_rejected += n;
    }
  }
  if (c.records_.empty())
    return Error{ErrorCode::kDataError, "corpus", "no usable corpus rows in " + std::to_string(sources.size()) +
                                                      " file(s)"};

  // Template down-weighting: rows of one repository sharing the same
  // hyperparameter template count together as (about) one row per group of
  // the profile they fall in.
  std::unordered_map<std::string, int> template_count;
  auto template_key = [](const ConfigRecord& r) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s|%s|%s|%s|%.6g|%d|%d|%s", r.source_repo.c_str(), r.task_type.c_str(),
                  r.size_bucket.c_str(), r.adapter_type.c_str(), r.learning_rate, r.effective_batch_size,
                  r.lora_r.value_or(0), r.optimizer.c_str());
    return std::string(buf);
  };
  for (const auto& r : c.records_) ++template_count[template_key(r)];
  for (auto& r : c.records_) {
    r.weight = 1.0 / template_count[template_key(r)];
    ++c.stats_.accepted_by_source[r.source_repo.empty() ? r.source_file.str() : r.source_repo.str()];
  }
  c.stats_.rows_accepted = static_cast<int>(c.records_.size());
  return c;
}

}  // namespace ftconfig
