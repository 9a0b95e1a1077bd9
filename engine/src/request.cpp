// Request parsing: JSON object -> Request, with one error per bad field.
#include <cmath>
#include <set>

#include "ftconfig/recommend.h"
#include "json_util.h"
#include "ftconfig/json_text.h"
#include "ftconfig/limits.h"
#include "json_fast.h"
#include "outline.h"

// Runs once per engine or once per answer: optimized for size in WebAssembly (outline.h).
FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN

namespace ftconfig {

namespace {

const char* const kFields[] = {
    "platform", "plan", "gpu_override", "gpu", "num_gpus", "model", "model_params_b", "architecture",
    "model_size_bucket", "task_type", "task", "adapter_type", "adapter", "strategy", "dataset_size",
    "dataset_name", "max_seq_length", "data_tokens", "allow_qlora", "output_dir", "notes", "evidence", "framework",
    "exploration_seed"};

const char* const kArchFields[] = {"hidden_size", "intermediate_size", "num_layers", "num_attention_heads",
                                   "num_kv_heads", "head_dim", "vocab_size", "max_position_embeddings",
                                   "tie_word_embeddings", "is_moe", "num_experts", "experts_per_token",
                                   "gated_mlp", "experts_linear", "architecture"};

std::string TypeName(const json& v) {
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  return "null";
}

Error TypeError(const std::string& field, const char* expected, const json& v) {
  return Error{ErrorCode::kInvalidType, field,
               "\"" + field + "\" must be " + expected + ", got " + TypeName(v)};
}

// Reads an optional string field; null counts as absent. Names are at most
// kMaxNameLength bytes (docs/api.md, "Limits"): a 10 KB model name used to
// cost seconds of closest-name matching.
std::optional<Error> GetString(const json& j, const char* key, std::string* out,
                               size_t max_len = kMaxNameLength) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) return TypeError(key, "a string", *it);
  if (it->get_ref<const std::string&>().size() > max_len)
    return Error{ErrorCode::kInvalidValue, key,
                 "\"" + std::string(key) + "\" is longer than " + std::to_string(max_len) + " bytes"};
  *out = internal::Trim(it->get<std::string>());
  return std::nullopt;
}

std::optional<Error> GetNumber(const json& j, const char* key, std::optional<double>* out, double min,
                               double max, bool integer, const char* what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) return TypeError(key, integer ? "an integer" : "a number", *it);
  double d = it->get<double>();
  if (!std::isfinite(d) || d < min || d > max || (integer && std::floor(d) != d)) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "\"%s\" must be %s between %.15g and %.15g (%s), got %s", key,
                  integer ? "an integer" : "a number", min, max, what, it->dump().c_str());
    return Error{ErrorCode::kInvalidValue, key, buf};
  }
  *out = d;
  return std::nullopt;
}

// "exploration_seed": an integer 0..4294967295 (GetNumber's %g would print the bound as 4.29497e+09).
std::optional<Error> GetSeed(const json& j, std::optional<uint32_t>* out) {
  auto it = j.find("exploration_seed");
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) return TypeError("exploration_seed", "an integer", *it);
  const double d = it->get<double>();
  if (!(d >= 0 && d <= 4294967295.0) || std::floor(d) != d)
    return Error{ErrorCode::kInvalidValue, "exploration_seed",
                 "\"exploration_seed\" must be an integer between 0 and 4294967295, got " + it->dump()};
  *out = static_cast<uint32_t>(d);
  return std::nullopt;
}

// "data_tokens": {"p50", "p95", "max"}, each optional, ordered.
std::optional<Error> GetDataTokens(const json& j, std::optional<DataTokens>* out) {
  auto it = j.find("data_tokens");
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) return TypeError("data_tokens", "an object with p50, p95 and max", *it);
  DataTokens t;
  const std::pair<const char*, std::optional<int>*> fields[] = {{"p50", &t.p50}, {"p95", &t.p95}, {"max", &t.max}};
  for (const auto& [key, value] : it->items())
    if (key != "p50" && key != "p95" && key != "max")
      return Error{ErrorCode::kUnknownField, "data_tokens." + key,
                   "unknown field \"data_tokens." + key + "\"; accepted: p50, p95, max"};
  for (const auto& [key, slot] : fields) {
    std::optional<double> v;
    std::string name = std::string("data_tokens.") + key;
    if (auto e = GetNumber(*it, key, &v, 1, 1048576, true, "tokens per example")) {
      e->field = name;
      e->message = "\"" + name + "\"" + e->message.substr(e->message.find('"', 1) + 1);
      return e;
    }
    if (v) *slot = static_cast<int>(*v);
  }
  if ((t.p50 && t.p95 && *t.p50 > *t.p95) || (t.p95 && t.max && *t.p95 > *t.max) || (t.p50 && t.max && *t.p50 > *t.max))
    return Error{ErrorCode::kInvalidValue, "data_tokens", "\"data_tokens\" must be ordered: p50 <= p95 <= max"};
  if (!t.p50 && !t.p95 && !t.max)
    return Error{ErrorCode::kMissingField, "data_tokens", "\"data_tokens\" needs at least one of p50, p95, max"};
  *out = t;
  return std::nullopt;
}

}  // namespace

Result<Request> ParseRequest(const std::string& text) {
  json j = internal::ParseJson(text);
  if (j.is_discarded())
    return Error{ErrorCode::kInvalidJson, "",
                 "the request is not valid JSON (expected one JSON object): " + JsonSyntaxError(text)};
  return ParseRequest(j);
}

Result<Request> ParseRequest(const json& j) {
  if (!j.is_object()) return Error{ErrorCode::kInvalidType, "", "the request must be a JSON object"};
  std::set<std::string> known(std::begin(kFields), std::end(kFields));
  for (const auto& [key, value] : j.items()) {
    if (!known.count(key)) {
      std::string list;
      for (const char* f : kFields) list += std::string(list.empty() ? "" : ", ") + f;
      return Error{ErrorCode::kUnknownField, key, "unknown request field \"" + key + "\"; accepted: " + list};
    }
  }
  Request r;
  std::optional<double> num;
#define FT_TRY(expr) \
  if (auto err_ = (expr)) return *err_
  FT_TRY(GetString(j, "platform", &r.platform));
  FT_TRY(GetString(j, "plan", &r.plan));
  FT_TRY(GetString(j, "gpu", &r.gpu_override));
  FT_TRY(GetString(j, "gpu_override", &r.gpu_override));
  FT_TRY(GetNumber(j, "num_gpus", &num, 1, 1024, true, "GPUs per node"));
  if (num) r.num_gpus = static_cast<int>(*num);
  FT_TRY(GetString(j, "model", &r.model));
  FT_TRY(GetNumber(j, "model_params_b", &r.model_params_b, 0.001, 2000, false, "billions of parameters"));
  FT_TRY(GetString(j, "model_size_bucket", &r.model_size_bucket));
  if (!r.model_size_bucket.empty() && r.model_size_bucket != "small" && r.model_size_bucket != "medium" &&
      r.model_size_bucket != "large")
    return Error{ErrorCode::kInvalidValue, "model_size_bucket",
                 "\"model_size_bucket\" must be \"small\" (<1B), \"medium\" (1-7B) or \"large\" (>7B)"};
  if (auto it = j.find("architecture"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return TypeError("architecture", "an object", *it);
    std::set<std::string> arch_known(std::begin(kArchFields), std::end(kArchFields));
    ModelArch a;
    for (const auto& [key, value] : it->items()) {
      std::string field = "architecture." + key;
      if (!arch_known.count(key))
        return Error{ErrorCode::kUnknownField, field, "unknown architecture field \"" + key + "\""};
      if (key == "tie_word_embeddings" || key == "is_moe" || key == "gated_mlp" || key == "experts_linear") {
        if (!value.is_boolean()) return TypeError(field, "a boolean", value);
        continue;
      }
      if (key == "architecture") {
        if (!value.is_string()) return TypeError(field, "a string", value);
        std::string v = value.get<std::string>();
        if (v != "decoder" && v != "encoder" && v != "encoder-decoder")
          return Error{ErrorCode::kInvalidValue, field,
                       "\"" + field + "\" must be \"decoder\", \"encoder\" or \"encoder-decoder\""};
        continue;
      }
      const ArchFieldRange* range = ArchRange(key.c_str());
      if (!value.is_number_integer() || !range || value.get<int64_t>() < range->min ||
          value.get<int64_t>() > range->max)
        return Error{ErrorCode::kInvalidValue, field,
                     "\"" + field + "\" must be an integer from " + std::to_string(range ? range->min : 0) + " to " +
                         std::to_string(range ? range->max : 0) + ", got " + value.dump(-1, ' ', false, json::error_handler_t::replace)};
    }
    const json& o = *it;
    auto geti = [&](const char* k, int def) { return static_cast<int>(internal::NumOr(o, k, def)); };
    a.hidden_size = geti("hidden_size", 0);
    a.num_layers = geti("num_layers", 0);
    if (a.hidden_size <= 0 || a.num_layers <= 0)
      return Error{ErrorCode::kMissingField, "architecture.hidden_size",
                   "\"architecture\" needs at least hidden_size and num_layers"};
    a.num_attention_heads = geti("num_attention_heads", std::max(1, a.hidden_size / 128));
    a.num_kv_heads = geti("num_kv_heads", a.num_attention_heads);
    a.head_dim = geti("head_dim", a.hidden_size / std::max(1, a.num_attention_heads));
    a.intermediate_size = geti("intermediate_size", a.hidden_size * 8 / 3);
    a.vocab_size = geti("vocab_size", 32000);
    a.max_position_embeddings = geti("max_position_embeddings", 4096);
    a.tie_word_embeddings = internal::Bool(o, "tie_word_embeddings").value_or(false);
    a.is_moe = internal::Bool(o, "is_moe").value_or(false);
    a.num_experts = geti("num_experts", 0);
    a.experts_per_token = geti("experts_per_token", 0);
    a.gated_mlp = internal::Bool(o, "gated_mlp").value_or(true);
    a.experts_linear = internal::Bool(o, "experts_linear").value_or(true);
    a.architecture = internal::Str(o, "architecture", "decoder");
    r.model_arch = a;
  }
  std::string task;
  FT_TRY(GetString(j, "task", &task));
  FT_TRY(GetString(j, "task_type", &task));
  if (!task.empty()) r.task_type = task;
  std::string adapter;
  FT_TRY(GetString(j, "adapter", &adapter));
  FT_TRY(GetString(j, "adapter_type", &adapter));
  if (!adapter.empty()) {
    std::string a = internal::Lower(adapter);
    if (a == "full" || a == "none" || a == "full_finetune") a = "none";
    if (a != "none" && a != "lora" && a != "qlora")
      return Error{ErrorCode::kInvalidValue, "adapter_type",
                   "\"adapter_type\" must be \"none\" (full fine-tuning), \"lora\" or \"qlora\", got \"" + adapter +
                       "\""};
    r.adapter_type = a;
  }
  std::string strategy;
  FT_TRY(GetString(j, "strategy", &strategy));
  if (!strategy.empty()) {
    std::string s = internal::Lower(strategy);
    if (s != "auto" && s != "deterministic" && s != "hybrid" && s != "hybrid_ml")
      return Error{ErrorCode::kInvalidValue, "strategy",
                   "\"strategy\" must be \"auto\", \"deterministic\", \"hybrid\" or \"hybrid_ml\", got \"" + strategy +
                       "\""};
    r.strategy = s;
  }
  FT_TRY(GetNumber(j, "dataset_size", &r.dataset_size, 1, 1e10, true, "training examples"));
  FT_TRY(GetString(j, "dataset_name", &r.dataset_name));
  num.reset();  // reused: must not carry num_gpus over
  FT_TRY(GetNumber(j, "max_seq_length", &num, 16, 1048576, true, "tokens"));
  if (num) r.max_seq_length = static_cast<int>(*num);
  FT_TRY(GetDataTokens(j, &r.data_tokens));
  if (auto it = j.find("allow_qlora"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) return TypeError("allow_qlora", "a boolean", *it);
    r.allow_qlora = it->get<bool>();
  }
  FT_TRY(GetString(j, "output_dir", &r.output_dir, kMaxPathLength));
  FT_TRY(GetString(j, "notes", &r.notes, kMaxNotesLength));
  FT_TRY(GetString(j, "framework", &r.framework));
  FT_TRY(GetSeed(j, &r.exploration_seed));
  if (auto it = j.find("evidence"); it != j.end() && !it->is_null()) {
    auto ev = ParseEvidence(*it, "evidence");
    if (!ev.ok()) return ev.error();
    r.evidence = std::move(ev.value());
  }
#undef FT_TRY
  return r;
}

}  // namespace ftconfig

FTCONFIG_OPTIMIZE_FOR_SIZE_END
