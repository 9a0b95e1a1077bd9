#include "ftconfig/estimate.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>
#include <iomanip>
#include <sstream>
#include <vector>

#include "ftconfig/frameworks.h"
#include "ftconfig/json_text.h"
#include "ftconfig/limits.h"
#include "ftconfig/memory.h"
#include "json_util.h"

namespace ftconfig {
namespace {

std::string LayerTypeList() {
  std::string out;
  for (const char* name : kLayerTypes) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

using json = nlohmann::json;

using internal::Round2;
using internal::Round3;

json ErrorJson(const Error& e) { return json{{"error", ErrorObject(e)}}; }


// Reads typed fields of one input object. Absent or null means "not given";
// the first wrong field is remembered and reported (the others are ignored).
class Fields {
 public:
  explicit Fields(const json& j) : j_(j) {}

  const std::optional<Error>& error() const { return error_; }
  void Fail(ErrorCode code, const std::string& field, const std::string& message) {
    if (!error_) error_ = Error{code, field, message};
  }

  const json* Get(const char* key) const {
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  std::optional<std::string> Str(const char* key) {
    const json* v = Get(key);
    if (!v) return std::nullopt;
    if (!v->is_string()) {
      Fail(ErrorCode::kInvalidType, key, std::string("\"") + key + "\" must be a string");
      return std::nullopt;
    }
    if (v->get_ref<const std::string&>().size() > kMaxNameLength) {
      Fail(ErrorCode::kInvalidValue, key,
           std::string("\"") + key + "\" is longer than " + std::to_string(kMaxNameLength) + " bytes");
      return std::nullopt;
    }
    return v->get<std::string>();
  }

  std::optional<double> Num(const char* key, double min, double max) {
    const json* v = Get(key);
    if (!v) return std::nullopt;
    if (!v->is_number()) {
      Fail(ErrorCode::kInvalidType, key, std::string("\"") + key + "\" must be a number");
      return std::nullopt;
    }
    double d = v->get<double>();
    if (!std::isfinite(d) || d < min || d > max) {
      std::ostringstream m;
      m << std::setprecision(15) << "\"" << key << "\" must be between " << min << " and " << max;
      Fail(ErrorCode::kInvalidValue, key, m.str());
      return std::nullopt;
    }
    return d;
  }

  std::optional<int> Int(const char* key, int min, int max) {
    auto d = Num(key, min, max);
    if (!d) return std::nullopt;
    if (std::floor(*d) != *d) {
      Fail(ErrorCode::kInvalidValue, key, std::string("\"") + key + "\" must be a whole number");
      return std::nullopt;
    }
    return static_cast<int>(*d);
  }

  std::optional<bool> Bool(const char* key) {
    const json* v = Get(key);
    if (!v) return std::nullopt;
    if (v->is_boolean()) return v->get<bool>();
    if (v->is_number_integer()) {
      long long n = v->get<long long>();
      if (n == 0 || n == 1) return n == 1;
    }
    Fail(ErrorCode::kInvalidType, key, std::string("\"") + key + "\" must be true or false");
    return std::nullopt;
  }

  // An enum-like string; `parse` returns false for unknown names. Where
  // `empty_is_absent`, "" means not given; `raw` receives the text as written.
  template <typename T, typename Parse>
  std::optional<T> Enum(const char* key, Parse parse, const char* accepted, bool empty_is_absent = false,
                        std::string* raw = nullptr) {
    auto s = Str(key);
    if (!s || (empty_is_absent && s->empty())) return std::nullopt;
    if (raw) *raw = *s;
    T out{};
    if (!parse(*s, &out)) {
      Fail(ErrorCode::kInvalidValue, key, "unknown " + std::string(key) + " \"" + *s + "\"; accepted: " + accepted);
      return std::nullopt;
    }
    return out;
  }

 private:
  const json& j_;
  std::optional<Error> error_;
};

// An architecture field in its documented range (ftconfig/limits.h, shared
// with the request's "architecture"); `range_of` names the range to use.
std::optional<int> ArchInt(Fields& f, const char* key, const char* range_of) {
  const ArchFieldRange* r = ArchRange(range_of);
  return f.Int(key, static_cast<int>(r->min), static_cast<int>(r->max));
}

// "other" / "unknown": the person knows the value is none of the listed ones.
// The estimate goes on with a named assumption instead of refusing.
bool IsOtherValue(const std::string& s) {
  std::string k;
  for (char ch : s) k.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
  return k == "other" || k == "unknown" || k == "custom";
}

bool FieldIsOther(Fields& f, const char* key) {
  const json* v = f.Get(key);
  return v && v->is_string() && IsOtherValue(v->get<std::string>());
}

struct Confidence {
  double score = 0.9;
  std::vector<std::string> reasons;
  void Lower(double by, const std::string& why) {
    score -= by;
    reasons.push_back(why);
  }
};

// The resolved setup as the answer shows it.
json SetupJson(const TrainSetup& st, const FrameworkProfile* framework) {
  Sharding shown = st.num_gpus > 1 && st.sharding == Sharding::kNone ? Sharding::kDdp : st.sharding;
  json setup = {{"method", ToString(st.method)},
                {"precision", ToString(st.precision)},
                {"weight_quant", ToString(st.weight_quant)},
                {"optimizer", ToString(st.optimizer)},
                {"batch_size_per_device", st.batch_size_per_device},
                {"gradient_accumulation_steps", st.gradient_accumulation_steps},
                {"seq_len", st.seq_len},
                {"gradient_checkpointing", st.gradient_checkpointing},
                {"flash_attention", st.flash_attention},
                {"num_gpus", st.num_gpus},
                {"sharding", ToString(shown)},
                {"cross_entropy", ToString(st.cross_entropy)},
                {"framework", framework ? json(framework->name) : json(nullptr)}};
  if (st.cross_entropy == CrossEntropy::kFp32Upcast) setup["logits_shift_copy"] = st.logits_shift_copy;
  if (st.num_labels > 0) setup["num_labels"] = st.num_labels;
  if (framework) {
    setup["activation_offload"] = st.activation_offload;
    setup["quant_backend"] = ToString(st.quant_backend);
    setup["optimizer_in_backward"] = st.optimizer_in_backward;
  }
  if (st.method == Method::kLora || st.method == Method::kQlora || st.method == Method::kDora) {
    setup["lora_r"] = st.lora_r;
    setup["lora_target"] = ToString(st.lora_target);
    setup["lora_dropout"] = st.lora_dropout;
  }
  return setup;
}

// Peak memory, the evaluation and merge peaks and the breakdown.
void AddMemoryJson(const MemoryEstimate& m, bool adapter, json* out) {
  (*out)["peak_vram_gb"] = Round2(m.peak_gb);
  (*out)["max_allocated_gb"] = Round2(m.max_allocated_gb);
  (*out)["reserved_gb"] = Round2(m.reserved_gb);
  (*out)["eval_peak_gb"] = Round2(m.eval_peak_gb);
  (*out)["merge_peak_gb"] = adapter ? json(Round2(m.merge_peak_gb)) : json(nullptr);
  const MemoryBreakdown& b = m.breakdown;
  (*out)["breakdown"] = {{"weights_gb", Round2(b.weights_gb)},         {"adapters_gb", Round2(b.adapters_gb)},
                         {"gradients_gb", Round2(b.gradients_gb)},     {"optimizer_gb", Round2(b.optimizer_gb)},
                         {"activations_gb", Round2(b.activations_gb)}, {"logits_gb", Round2(b.logits_gb)},
                         {"overhead_gb", Round2(b.overhead_gb)},       {"cuda_context_gb", Round2(m.cuda_context_gb)},
                         {"fragmentation_gb", Round2(m.fragmentation_gb)}};
  (*out)["activation_bytes_per_token"] = {
      {"layer", std::round(m.layer_activation_bytes_per_token * 10) / 10},
      {"checkpoint_per_layer", std::round(m.checkpoint_bytes_per_token * 10) / 10}};
}

// The input's fields as given (absent: nullopt). Read in a fixed order, so
// the first wrong field is the one reported.
struct EstimateInput {
  // Method, weights and optimizer; the trainer.
  std::optional<Method> method;
  std::optional<WeightQuant> weight_quant;
  std::optional<Precision> precision;
  std::optional<Optimizer> optimizer;
  std::string optimizer_name;
  bool quant_other = false, optimizer_other = false, framework_other = false;
  const FrameworkProfile* framework = nullptr;
  // The step.
  std::optional<int> batch, accumulation, seq_len;
  std::optional<bool> checkpointing, flash, packing;
  // Adapter.
  std::optional<int> lora_r;
  std::optional<LoraTarget> lora_target;
  unsigned module_mask = 0;  // named modules (q_proj, ...), 0 when only a set name was given
  std::optional<double> lora_dropout;
  // GPUs.
  std::optional<int> num_gpus;
  std::optional<Sharding> sharding;
  std::optional<bool> cpu_offload, activation_offload;
  // Evaluation and finer details.
  std::optional<int> eval_batch, eval_seq, eval_new_tokens, avg_seq_len, num_labels;
  std::optional<CrossEntropy> cross_entropy;
  std::optional<bool> double_quant, quantize_lm_head, tie_override, fused, shift_copy;
  std::optional<std::string> adapter_dtype;
  // Model and GPU.
  std::optional<std::string> model_name, gpu_name;
  std::optional<double> params_b;
  ModelArch given;
  bool has_arch = false;
};

// method, weight_quant, precision, optimizer ("other" allowed for the
// quantization and the optimizer) and framework.
void ReadMethodFields(Fields& f, EstimateInput* in) {
  in->method = f.Enum<Method>("method", ParseMethod, "full, lora, qlora, dora, freeze");
  in->quant_other = FieldIsOther(f, "weight_quant");
  in->optimizer_other = FieldIsOther(f, "optimizer");
  if (in->quant_other) in->weight_quant = WeightQuant::kNf4;
  else
    in->weight_quant =
        f.Enum<WeightQuant>("weight_quant", ParseWeightQuant, "none, nf4 (also 4bit, gptq, awq), int8, other");
  in->precision = f.Enum<Precision>(
      "precision", ParsePrecision,
      "bf16, fp16 (pure 16-bit weights), mixed-bf16, mixed-fp16 (fp32 weights + autocast), fp32", true);
  if (in->optimizer_other) {
    in->optimizer = Optimizer::kAdamW;
  } else {
    in->optimizer = f.Enum<Optimizer>(
        "optimizer", ParseOptimizer,
        "adamw (adamw_torch, adamw_torch_fused), adamw_8bit, paged_adamw_8bit, paged_adamw_32bit, adafactor, sgd, other",
        true, &in->optimizer_name);
  }
  if (auto name = f.Str("framework")) {
    in->framework_other = IsOtherValue(*name);
    if (!in->framework_other && !name->empty()) {
      in->framework = name->size() <= 64 ? FindFramework(*name) : nullptr;
      if (!in->framework)
        f.Fail(ErrorCode::kInvalidValue, "framework",
               "unknown framework \"" + name->substr(0, 64) + "\"; accepted: " + FrameworkNames() + ", other");
    }
  }
}

// lora_target: a set name ("all-linear", "q,v") or module names, as a string
// or a list; named modules also give the exact module mask.
void ReadLoraTarget(Fields& f, EstimateInput* in) {
  const json* t = f.Get("lora_target");
  if (!t) return;
  std::string names;
  if (t->is_string()) {
    names = t->get<std::string>();
  } else if (t->is_array()) {
    for (const auto& e : *t)
      if (e.is_string()) names += e.get<std::string>() + ",";
  } else {
    f.Fail(ErrorCode::kInvalidType, "lora_target", "\"lora_target\" must be a string or a list of module names");
  }
  if (names.empty()) return;
  in->module_mask = ParseLoraModules(names);
  LoraTarget parsed;
  bool named = ParseLoraTarget(names, &parsed);
  if (named) in->lora_target = parsed;
  if (!named && in->module_mask == 0) {
    f.Fail(ErrorCode::kInvalidValue, "lora_target",
           "unknown lora_target \"" + names +
               "\"; accepted: q,v / q,k,v,o / all-linear / all-linear+embed (or module names)");
  } else if (in->module_mask != 0 && !(named && parsed == LoraTarget::kAllLinearPlusEmbed)) {
    in->lora_target = in->module_mask == kLoraAllLinear ? LoraTarget::kAllLinear
                                                        : in->lora_target.value_or(LoraTarget::kAllLinear);
  }
}

// The step (batch, accumulation, sequence, checkpointing, attention, packing)
// and the adapter (rank, targets, dropout).
void ReadStepFields(Fields& f, EstimateInput* in) {
  in->batch = f.Int("batch_size_per_device", 1, 1 << 20);
  in->accumulation = f.Int("gradient_accumulation_steps", 1, 1 << 20);
  in->seq_len = f.Int("seq_len", 1, 1 << 24);
  if (!in->seq_len) in->seq_len = f.Int("max_seq_length", 1, 1 << 24);
  in->checkpointing = f.Bool("gradient_checkpointing");
  in->flash = f.Bool("flash_attention");
  in->packing = f.Bool("packing");
  in->lora_r = f.Int("lora_r", 1, 1 << 16);
  ReadLoraTarget(f, in);
  in->lora_dropout = f.Num("lora_dropout", 0, 1);
}

// num_gpus, zero_stage (0-3 or a name) / sharding, and the offloads.
void ReadParallelFields(Fields& f, EstimateInput* in) {
  in->num_gpus = f.Int("num_gpus", 1, 1 << 16);
  if (const json* z = f.Get("zero_stage")) {
    static const Sharding kByStage[] = {Sharding::kNone, Sharding::kZero1, Sharding::kZero2, Sharding::kZero3};
    Sharding parsed;
    if (z->is_number_integer() && z->get<long long>() >= 0 && z->get<long long>() <= 3)
      in->sharding = kByStage[z->get<long long>()];
    else if (z->is_string() && ParseSharding(z->get<std::string>(), &parsed))
      in->sharding = parsed;
    else
      f.Fail(ErrorCode::kInvalidValue, "zero_stage", "\"zero_stage\" must be 0, 1, 2 or 3");
  }
  if (auto s = f.Enum<Sharding>("sharding", ParseSharding, "none, ddp, zero1, zero2, zero3, fsdp")) in->sharding = s;
  in->cpu_offload = f.Bool("cpu_offload");
  in->activation_offload = f.Bool("activation_offload");
}

// Evaluation, loss, time and weight-format details.
void ReadDetailFields(Fields& f, EstimateInput* in) {
  in->eval_batch = f.Int("eval_batch_size", 1, 1 << 20);
  in->eval_seq = f.Int("eval_seq_len", 1, 1 << 24);
  in->eval_new_tokens = f.Int("eval_max_new_tokens", 0, 1 << 20);
  in->cross_entropy = f.Enum<CrossEntropy>("cross_entropy", ParseCrossEntropy, "fp32, native, chunked, fused_chunks");
  in->avg_seq_len = f.Int("avg_seq_len", 1, 1 << 24);
  in->double_quant = f.Bool("double_quant");
  in->quantize_lm_head = f.Bool("quantize_lm_head");
  in->tie_override = f.Bool("tie_word_embeddings");
  in->fused = f.Bool("fused_optimizer");
  in->shift_copy = f.Bool("logits_shift_copy");
  in->num_labels = f.Int("num_labels", 1, 1 << 20);
  in->adapter_dtype = f.Str("adapter_dtype");
}

// Fields that cannot exceed another given one: a token goes to at most every
// expert; a KV head serves one or more query heads.
void CheckAtMost(Fields& f, const char* field, const std::optional<int>& value, const char* bound_field,
                 const std::optional<int>& bound) {
  if (value && bound && *value > *bound)
    f.Fail(ErrorCode::kInvalidValue, field,
           std::string(field) + " (" + std::to_string(*value) + ") is more than " + bound_field + " (" +
               std::to_string(*bound) + ")");
}

// The architecture given by hand: hidden_size and num_layers at least.
void ReadArchFields(Fields& f, EstimateInput* in) {
  auto hidden = ArchInt(f, "hidden_size", "hidden_size");
  auto layers = ArchInt(f, "num_layers", "num_layers");
  if (!layers) layers = ArchInt(f, "num_hidden_layers", "num_layers");
  auto intermediate = ArchInt(f, "intermediate_size", "intermediate_size");
  auto heads = ArchInt(f, "num_attention_heads", "num_attention_heads");
  auto kv_heads = ArchInt(f, "num_kv_heads", "num_kv_heads");
  if (!kv_heads) kv_heads = ArchInt(f, "num_key_value_heads", "num_kv_heads");
  auto head_dim = ArchInt(f, "head_dim", "head_dim");
  auto vocab = ArchInt(f, "vocab_size", "vocab_size");
  auto tie = f.Bool("tie_word_embeddings");
  auto moe = f.Bool("is_moe");
  auto experts = ArchInt(f, "num_experts", "num_experts");
  auto experts_per_token = ArchInt(f, "experts_per_token", "experts_per_token");
  auto gated = f.Bool("gated_mlp");
  auto experts_linear = f.Bool("experts_linear");
  auto layer_type = f.Str("layer_type");
  CheckAtMost(f, "experts_per_token", experts_per_token, "num_experts", experts);
  CheckAtMost(f, "num_kv_heads", kv_heads, "num_attention_heads", heads);
  if (layer_type && !IsLayerType(*layer_type))
    f.Fail(ErrorCode::kInvalidValue, "layer_type",
           "unknown layer_type \"" + *layer_type + "\"; accepted: " + LayerTypeList() + ", or \"\" (Llama shape)");
  if (!hidden || !layers) {
    if (hidden || layers)
      f.Fail(ErrorCode::kMissingField, hidden ? "num_layers" : "hidden_size",
             "architecture fields need at least hidden_size and num_layers");
    return;
  }
  in->has_arch = true;
  ModelArch& g = in->given;
  g.hidden_size = *hidden;
  g.num_layers = *layers;
  g.intermediate_size = intermediate.value_or(0);
  g.num_attention_heads = heads.value_or(0);
  g.num_kv_heads = kv_heads.value_or(0);
  g.head_dim = head_dim.value_or(0);
  g.vocab_size = vocab.value_or(0);
  g.tie_word_embeddings = tie.value_or(false);
  g.is_moe = moe.value_or(experts.value_or(0) > 1);
  g.num_experts = experts.value_or(0);
  g.experts_per_token = experts_per_token.value_or(0);
  g.gated_mlp = gated.value_or(true);
  g.experts_linear = experts_linear.value_or(true);
  g.layer_type = layer_type.value_or("");
  g.params_b = in->params_b.value_or(0);
}

// The model (a catalog name, params_b, or the architecture) and the GPU.
void ReadModelFields(Fields& f, const std::string& gpu_override, EstimateInput* in) {
  in->model_name = f.Str("model_name");
  if (!in->model_name) in->model_name = f.Str("model");
  in->params_b = f.Num("params_b", 1e-4, 1e5);
  if (!in->params_b) in->params_b = f.Num("model_params_b", 1e-4, 1e5);
  ReadArchFields(f, in);
  if (!gpu_override.empty()) in->gpu_name = gpu_override;
  else in->gpu_name = f.Str("gpu");
}

// What the estimate knows besides the setup: its notes and its confidence.
struct Answer {
  std::vector<std::string> assumptions;
  Confidence conf;
};

// The model's architecture: given by hand, from the catalog, or typical for
// params_b. Fails for a name the catalog lacks without params_b.
std::optional<Error> ResolveModel(const EstimateInput& in, const CatalogSource& catalog_source, ModelArch* arch,
                                  json* model_out, Answer* a) {
  if (in.has_arch) {
    *arch = in.given;
    // No params_b with the architecture: counted from the shape (was reported as 0).
    if (arch->params_b <= 0) arch->params_b = ParamsFromShapeB(*arch);
    *model_out = {{"source", "architecture"}};
    a->conf.Lower(0.05, "architecture given by hand, not from the catalog");
    return std::nullopt;
  }
  if (!in.model_name && in.params_b) {
    *arch = TypicalArchForParams(*in.params_b);
    *model_out = {{"source", "params_b"}};
    a->conf.Lower(0.2, "only params_b given: typical architecture assumed");
    return std::nullopt;
  }
  if (!in.model_name)
    return Error{ErrorCode::kMissingField, "model_name",
                 "give model_name (catalog id or alias), params_b, or architecture fields (hidden_size, num_layers, ...)"};
  auto catalog = catalog_source();
  if (!catalog.ok()) return catalog.error();
  const ModelMatch match = catalog.value()->MatchModel(*in.model_name);
  if (const Model* m = match.model) {
    *arch = m->arch;
    *model_out = {{"source", "catalog"}, {"id", m->id}};
    if (std::string note = match.Note(*in.model_name); !note.empty()) a->assumptions.push_back(note);
    if (in.params_b && arch->params_b > 0 && std::fabs(*in.params_b - arch->params_b) > 0.1 * arch->params_b)
      a->assumptions.push_back("params_b " + std::to_string(*in.params_b).substr(0, 6) + " differs from the catalog's " +
                               std::to_string(arch->params_b).substr(0, 6) + "; the catalog architecture is used");
    return std::nullopt;
  }
  if (in.params_b) {
    *arch = TypicalArchForParams(*in.params_b);
    *model_out = {{"source", "params_b"}};
    a->conf.Lower(0.2, "model \"" + *in.model_name + "\" not in the catalog: typical architecture for its params_b");
    return std::nullopt;
  }
  if (auto nominal = NominalParamsFromName(*in.model_name)) {
    const double p = *nominal * kNominalParamsFactor;
    *arch = TypicalArchForParams(p);
    *model_out = {{"source", "name"}, {"params_b", p}};
    a->conf.Lower(0.3, "model \"" + *in.model_name + "\" not in the catalog: sized from its name");
    a->assumptions.push_back("model \"" + *in.model_name + "\" is not in the catalog: sized as a typical decoder of " +
                             std::to_string(p).substr(0, 5) + "B, the " + std::to_string(*nominal).substr(0, 5) +
                             "B its name states times " + std::to_string(kNominalParamsFactor).substr(0, 4) +
                             " (the largest real-to-nominal ratio in the catalog); "
                             "give params_b or the architecture for an exact estimate");
    return std::nullopt;
  }
  std::string message =
      "model \"" + *in.model_name + "\" is not in the catalog; give params_b (billions) or the architecture";
  auto closest = catalog.value()->ClosestModelNames(*in.model_name);
  if (!closest.empty()) {
    message += " (closest:";
    for (size_t i = 0; i < closest.size(); ++i) message += (i ? ", " : " ") + closest[i];
    message += ")";
  }
  return Error{ErrorCode::kUnknownModel, "model_name", message};
}

// The GPU as people write it; one the catalog does not know still gets a
// peak estimate, without a fit verdict.
std::optional<Error> ResolveGpu(const EstimateInput& in, const CatalogSource& catalog_source, const Gpu** gpu,
                                Answer* a) {
  *gpu = nullptr;
  if (!in.gpu_name) return std::nullopt;
  auto catalog = catalog_source();
  if (!catalog.ok()) return catalog.error();
  std::string gpu_note;
  auto found = catalog.value()->FindGpu(*in.gpu_name, "gpu", &gpu_note);
  if (found.ok()) {
    *gpu = found.value();
    if (!gpu_note.empty()) {
      a->assumptions.push_back(gpu_note);
      a->conf.Lower(0.05, "GPU memory size assumed");
    }
  } else {
    a->assumptions.push_back(found.error().message + "; peak memory estimated without a fit verdict or throughput");
    a->conf.Lower(0.1, "GPU not recognised: no fit verdict");
  }
  return std::nullopt;
}

// Method, weights, precision, batch and sequence, with the defaults for what
// was not given.
void SetupShape(const EstimateInput& in, const Gpu* gpu, TrainSetup* st, Answer* a) {
  st->method = in.method ? *in.method
                         : (in.weight_quant && *in.weight_quant != WeightQuant::kNone ? Method::kQlora : Method::kLora);
  if (!in.method) a->assumptions.push_back(std::string("method not given: ") + ToString(st->method));
  st->weight_quant = in.weight_quant ? *in.weight_quant
                                     : (st->method == Method::kQlora ? WeightQuant::kNf4 : WeightQuant::kNone);
  if (st->method == Method::kQlora && st->weight_quant == WeightQuant::kNone) st->weight_quant = WeightQuant::kNf4;
  bool bf16_ok = !gpu || gpu->bf16;
  if (in.precision) {
    st->precision = *in.precision;
  } else {
    bool full = st->method == Method::kFull || st->method == Method::kFreeze;
    st->precision = full ? (bf16_ok ? Precision::kBf16Mixed : Precision::kFp16Mixed)
                         : (bf16_ok ? Precision::kBf16Pure : Precision::kFp16Pure);
    a->assumptions.push_back(std::string("precision not given: ") + ToString(st->precision) +
                             (full ? " (fp32 master weights, 16-bit autocast)" : " (16-bit base weights, fp32 adapters)"));
    a->conf.Lower(0.05, "precision not given");
  }
  // "mixed-*" given explicitly means the model itself is fp32 (the
  // measurement-table meaning).
  st->fp32_base_weights =
      in.precision && (st->precision == Precision::kBf16Mixed || st->precision == Precision::kFp16Mixed);
  st->batch_size_per_device = in.batch.value_or(1);
  if (!in.batch) {
    a->assumptions.push_back("batch_size_per_device not given: 1");
    a->conf.Lower(0.1, "batch size not given");
  }
  st->gradient_accumulation_steps = in.accumulation.value_or(1);
  st->seq_len = in.seq_len.value_or(1024);
  if (!in.seq_len) {
    a->assumptions.push_back("seq_len not given: 1024 (TRL SFT default max_length)");
    a->conf.Lower(0.1, "sequence length not given");
  }
}

// The trainer's defaults: the framework's profile, else the transformers
// ones; a precision given explicitly stays.
void FrameworkDefaults(const EstimateInput& in, TrainSetup* st, Answer* a) {
  st->gradient_checkpointing = false;
  st->flash_attention = true;
  st->lora_dropout = 0.05;
  st->cross_entropy = CrossEntropy::kFp32Upcast;
  st->nf4_double_quant = false;
  st->activation_offload = false;
  st->optimizer = Optimizer::kAdamW;
  if (!in.framework) {
    if (in.framework_other) a->conf.Lower(0.1, "framework \"other\": transformers Trainer defaults assumed");
    st->framework = Framework::kUnspecified;
    return;
  }
  const FrameworkProfile& fw = *in.framework;
  const Precision before = st->precision;
  const bool fp32_base = st->fp32_base_weights;
  ApplyFramework(fw, st);
  if (in.precision) {
    st->precision = *in.precision;
    st->fp32_base_weights = fp32_base;
  } else if (st->precision != before) {
    a->assumptions.push_back(std::string("precision: ") + ToString(st->precision) + " (" + fw.name +
                             " keeps full fine-tuning in 16 bit)");
  }
  a->assumptions.push_back(std::string("framework ") + fw.name + ": its defaults for what was not given " +
                           "(docs/memory-model.md, \"Frameworks\")");
}

// "other" values and the defaults the trainer supplied, named.
void NoteDefaults(const EstimateInput& in, const TrainSetup& st, Answer* a) {
  const std::string by = in.framework ? std::string(" (") + in.framework->name + " default)" : "";
  if (in.quant_other) {
    a->assumptions.push_back("weight_quant \"other\": sized as bitsandbytes NF4 (0.56 bytes per weight)");
    a->conf.Lower(0.15, "quantization \"other\": NF4 assumed");
  }
  if (in.optimizer_other) {
    a->assumptions.push_back(
        "optimizer \"other\": sized as AdamW (two states per trainable parameter, the largest common)");
    a->conf.Lower(0.15, "optimizer \"other\": AdamW assumed");
  }
  if (!in.optimizer)
    a->assumptions.push_back(std::string("optimizer not given: ") +
                             (in.framework ? ToString(st.optimizer) + by : "adamw (torch, foreach)"));
  if (!in.checkpointing)
    a->assumptions.push_back(std::string("gradient_checkpointing not given: ") +
                             (st.gradient_checkpointing ? "true" : "false") +
                             (in.framework ? by : " (transformers default)"));
  if (in.flash) return;
  if (in.framework)
    a->assumptions.push_back(std::string("flash_attention not given: ") + (st.flash_attention ? "true" : "false") + by);
  else
    a->assumptions.push_back("flash_attention not given: true (PyTorch SDPA, the transformers default attention)");
}

bool IsAdapterMethod(Method m) { return m == Method::kLora || m == Method::kQlora || m == Method::kDora; }

// The given fields over the defaults: checkpointing, attention, adapter, GPUs,
// optimizer, evaluation and details.
void ApplyGivenFields(const EstimateInput& in, TrainSetup* st, Answer* a) {
  if (in.checkpointing) st->gradient_checkpointing = *in.checkpointing;
  if (in.flash) st->flash_attention = *in.flash;
  if (in.packing) st->packing = *in.packing;
  const bool adapter = IsAdapterMethod(st->method);
  st->lora_r = in.lora_r.value_or(8);
  if (adapter && !in.lora_r) a->assumptions.push_back("lora_r not given: 8 (PEFT default)");
  st->lora_target = in.lora_target.value_or(LoraTarget::kAllLinear);
  st->lora_module_mask = in.module_mask;
  if (adapter && !in.lora_target) a->assumptions.push_back("lora_target not given: all-linear");
  if (in.lora_dropout) st->lora_dropout = *in.lora_dropout;
  st->num_gpus = in.num_gpus.value_or(1);
  st->sharding = in.sharding.value_or(Sharding::kNone);
  st->cpu_offload = in.cpu_offload.value_or(false);
  if (in.activation_offload) st->activation_offload = *in.activation_offload;
  if (in.optimizer) {
    std::string optimizer_key = in.optimizer_name;
    for (auto& ch : optimizer_key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    st->optimizer = *in.optimizer;
    st->fused_optimizer = optimizer_key.find("fused") != std::string::npos;
  }
  if (in.fused) st->fused_optimizer = *in.fused;
  st->eval_batch_size = in.eval_batch.value_or(0);
  st->eval_seq_len = in.eval_seq.value_or(0);
  st->eval_max_new_tokens = in.eval_new_tokens.value_or(0);
  if (in.cross_entropy) st->cross_entropy = *in.cross_entropy;
  if (in.double_quant) st->nf4_double_quant = *in.double_quant;
  st->avg_seq_len = in.avg_seq_len.value_or(0);
  if (in.quantize_lm_head) st->quantize_lm_head = *in.quantize_lm_head;
  if (in.shift_copy) st->logits_shift_copy = *in.shift_copy;
  st->num_labels = in.num_labels.value_or(0);
}

// tie_word_embeddings over a catalog or typical architecture: a separate
// output head holds its own vocab x hidden copy (and vice versa).
void ApplyTieOverride(const EstimateInput& in, ModelArch* arch, Answer* a) {
  if (!in.tie_override || in.has_arch || arch->tie_word_embeddings == *in.tie_override) return;
  double head_b = static_cast<double>(arch->vocab_size) * arch->hidden_size / 1e9;
  arch->params_b += *in.tie_override ? -head_b : head_b;
  // Tiny tied models: the catalog's count minus a head can reach zero or less.
  if (arch->params_b <= 0) arch->params_b = ParamsFromShapeB(*arch);
  arch->tie_word_embeddings = *in.tie_override;
  a->assumptions.push_back(std::string("tie_word_embeddings overridden: ") +
                           (*in.tie_override ? "tied" : "separate output head"));
}

// adapter_dtype: fp32 (PEFT's autocast_adapter_dtype) or the 16-bit dtype.
std::optional<Error> ApplyAdapterDtype(const EstimateInput& in, TrainSetup* st) {
  if (!in.adapter_dtype) return std::nullopt;
  const std::string& d = *in.adapter_dtype;
  if (d == "fp32" || d == "float32") st->adapter_fp32 = true;
  else if (d == "bf16" || d == "fp16" || d == "bfloat16" || d == "float16") st->adapter_fp32 = false;
  else return Error{ErrorCode::kInvalidValue, "adapter_dtype", "\"adapter_dtype\" must be fp32 or bf16"};
  return std::nullopt;
}

// Confidence lowered for what the estimate is less validated on.
void LowerForSetup(const TrainSetup& st, Confidence* conf) {
  if (st.method == Method::kFreeze || st.method == Method::kDora)
    conf->Lower(0.05, std::string(ToString(st.method)) + " is less validated than full/lora/qlora");
  if (st.num_gpus > 1) conf->Lower(0.15, "multi-GPU sharding is modelled but not validated against per-GPU measurements");
  if (!st.flash_attention && st.seq_len > 4096) conf->Lower(0.05, "eager attention at long sequence");
}

// Throughput and the fit verdict on the GPU. Returns the exit code: 0 fits, 1 not.
int AddGpuJson(const ModelArch& arch, const TrainSetup& st, const Gpu& gpu, const MemoryEstimate& m,
               const Calibration& calibration, json* out, Answer* a) {
  ThroughputEstimate t = EstimateThroughput(arch, st, gpu);
  calibration.ApplyThroughput(&t);
  for (const auto& note : t.notes) a->assumptions.push_back(note);
  (*out)["tokens_per_sec"] = std::round(t.tokens_per_sec);
  (*out)["flops_per_token"] = t.flops_per_token;
  (*out)["mfu_assumed"] = Round3(t.efficiency);
  // usable_vram_gb is what one process can allocate (the catalog already
  // subtracts the CUDA context), so the allocator's reserved peak must fit:
  // training or evaluation, whichever is larger.
  double need = std::max(m.reserved_gb, m.eval_peak_gb - m.cuda_context_gb);
  bool fits = need <= gpu.usable_vram_gb;
  (*out)["gpu"] = {{"id", gpu.id}, {"name", gpu.name}, {"usable_vram_gb", gpu.usable_vram_gb}};
  (*out)["usable_vram_gb"] = gpu.usable_vram_gb;
  (*out)["required_gb"] = Round2(need);
  (*out)["fits"] = fits;
  (*out)["margin_gb"] = Round2(gpu.usable_vram_gb - need);
  if (fits && gpu.usable_vram_gb - need < 0.1 * gpu.usable_vram_gb)
    a->conf.Lower(0.1, "thin margin: within 10% of the usable memory");
  return fits ? 0 : 1;
}

// Parameters in billions as shown: three significant digits below 0.1 B (a
// tiny model's count rounded to 0.000 read as "no parameters").
double ShownParamsB(double p) {
  const double scale = p > 0 && p < 0.1 ? std::pow(10.0, 2 - std::floor(std::log10(p))) : 1000.0;
  return std::round(p * scale) / scale;
}

json ConfidenceJson(const Confidence& conf) {
  double score = std::max(0.05, std::min(1.0, conf.score));
  return {{"level", score >= 0.8 ? "high" : score >= 0.6 ? "medium" : "low"},
          {"score", Round2(score)},
          {"reasons", conf.reasons}};
}

}  // namespace

std::pair<json, int> EstimateFromJson(const json& in, const CatalogSource& catalog_source, const Calibration& calibration,
                                      const std::string& gpu_override) {
  if (!in.is_object())
    return {ErrorJson(Error{ErrorCode::kInvalidJson, "", "each input must be a JSON object"}), 2};
  // Checked before anything is echoed: dumping a 100,000-deep "id" overflowed the stack.
  if (JsonDepth(in) > kMaxInputDepth)
    return {ErrorJson(Error{ErrorCode::kInvalidValue, "input",
                            "input is nested more than " + std::to_string(kMaxInputDepth) + " levels deep"}),
            2};
  const bool has_id = in.contains("id") && !in["id"].is_null();
  auto fail = [&](const Error& e) {
    json out = ErrorJson(e);
    if (has_id) out["id"] = in["id"];
    return std::make_pair(out, 2);
  };
  Fields f(in);
  EstimateInput given;
  ReadMethodFields(f, &given);
  ReadStepFields(f, &given);
  ReadParallelFields(f, &given);
  ReadDetailFields(f, &given);
  ReadModelFields(f, gpu_override, &given);
  if (f.error()) return fail(*f.error());

  Answer a;
  ModelArch arch;
  json model_out;
  if (auto e = ResolveModel(given, catalog_source, &arch, &model_out, &a)) return fail(*e);
  const Gpu* gpu = nullptr;
  if (auto e = ResolveGpu(given, catalog_source, &gpu, &a)) return fail(*e);

  TrainSetup st;
  SetupShape(given, gpu, &st, &a);
  FrameworkDefaults(given, &st, &a);
  NoteDefaults(given, st, &a);
  ApplyGivenFields(given, &st, &a);
  ApplyTieOverride(given, &arch, &a);
  if (auto e = ApplyAdapterDtype(given, &st)) return fail(*e);
  if (gpu && !gpu->bf16 && (st.precision == Precision::kBf16Mixed || st.precision == Precision::kBf16Pure))
    a.assumptions.push_back(gpu->name + " has no bf16: the run would fall back to fp16 or fail (memory is the same)");

  MemoryEstimate m = EstimateMemory(arch, st);
  calibration.ApplyMemory(&m);
  for (const auto& note : m.notes) a.assumptions.push_back(note);
  LowerForSetup(st, &a.conf);

  json out;
  if (has_id) out["id"] = in["id"];
  model_out["params_b"] = ShownParamsB(arch.params_b);
  out["model"] = model_out;
  out["setup"] = SetupJson(st, given.framework);
  AddMemoryJson(m, IsAdapterMethod(st.method), &out);
  out["peak_phase"] = m.peak_phase;
  out["trainable_params_b"] = Round3(m.trainable_params_b);
  int code = 0;
  if (gpu) {
    code = AddGpuJson(arch, st, *gpu, m, calibration, &out, &a);
  } else {
    out["tokens_per_sec"] = nullptr;
    out["fits"] = nullptr;
  }
  out["confidence"] = ConfidenceJson(a.conf);
  out["assumptions"] = a.assumptions;
  if (calibration.loaded()) out["calibration"] = calibration.version;
  return {out, code};
}

}  // namespace ftconfig
