#include "ftconfig/estimate.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>
#include <sstream>
#include <vector>

#include "ftconfig/frameworks.h"
#include "ftconfig/json_text.h"
#include "ftconfig/limits.h"
#include "ftconfig/memory.h"
#include "json_util.h"

namespace ftconfig {
namespace {

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
      m << "\"" << key << "\" must be between " << min << " and " << max;
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
  auto fail = [&](const Error& e) {
    json out = ErrorJson(e);
    if (in.contains("id") && !in["id"].is_null()) out["id"] = in["id"];
    return std::make_pair(out, 2);
  };
  Fields f(in);
  std::vector<std::string> assumptions;
  Confidence conf;

  // ---- training setup
  auto method = f.Enum<Method>("method", ParseMethod, "full, lora, qlora, dora, freeze");
  const bool quant_other = FieldIsOther(f, "weight_quant");
  const bool optimizer_other = FieldIsOther(f, "optimizer");
  std::optional<WeightQuant> weight_quant;
  if (quant_other) weight_quant = WeightQuant::kNf4;
  else weight_quant = f.Enum<WeightQuant>("weight_quant", ParseWeightQuant, "none, nf4 (also 4bit, gptq, awq), int8, other");
  auto precision = f.Enum<Precision>(
      "precision", ParsePrecision,
      "bf16, fp16 (pure 16-bit weights), mixed-bf16, mixed-fp16 (fp32 weights + autocast), fp32", true);
  std::string optimizer_name;
  std::optional<Optimizer> optimizer;
  if (optimizer_other) {
    optimizer = Optimizer::kAdamW;
  } else {
    optimizer = f.Enum<Optimizer>(
        "optimizer", ParseOptimizer,
        "adamw (adamw_torch, adamw_torch_fused), adamw_8bit, paged_adamw_8bit, paged_adamw_32bit, adafactor, sgd, other",
        true, &optimizer_name);
  }
  const FrameworkProfile* framework = nullptr;
  bool framework_other = false;
  if (auto name = f.Str("framework")) {
    framework_other = IsOtherValue(*name);
    if (!framework_other && !name->empty()) {
      framework = name->size() <= 64 ? FindFramework(*name) : nullptr;
      if (!framework)
        f.Fail(ErrorCode::kInvalidValue, "framework",
               "unknown framework \"" + name->substr(0, 64) + "\"; accepted: " + FrameworkNames() + ", other");
    }
  }
  auto batch = f.Int("batch_size_per_device", 1, 1 << 20);
  auto accumulation = f.Int("gradient_accumulation_steps", 1, 1 << 20);
  auto seq_len = f.Int("seq_len", 1, 1 << 24);
  if (!seq_len) seq_len = f.Int("max_seq_length", 1, 1 << 24);
  auto checkpointing = f.Bool("gradient_checkpointing");
  auto flash = f.Bool("flash_attention");
  auto packing = f.Bool("packing");
  auto lora_r = f.Int("lora_r", 1, 1 << 16);
  std::optional<LoraTarget> lora_target;
  unsigned module_mask = 0;  // named modules (q_proj, ...), 0 when only a set name was given
  if (const json* t = f.Get("lora_target")) {
    std::string names;
    if (t->is_string()) {
      names = t->get<std::string>();
    } else if (t->is_array()) {
      for (const auto& e : *t)
        if (e.is_string()) names += e.get<std::string>() + ",";
    } else {
      f.Fail(ErrorCode::kInvalidType, "lora_target", "\"lora_target\" must be a string or a list of module names");
    }
    if (!names.empty()) {
      module_mask = ParseLoraModules(names);
      LoraTarget parsed;
      bool named = ParseLoraTarget(names, &parsed);
      if (named) lora_target = parsed;
      if (!named && module_mask == 0) {
        f.Fail(ErrorCode::kInvalidValue, "lora_target",
               "unknown lora_target \"" + names +
                   "\"; accepted: q,v / q,k,v,o / all-linear / all-linear+embed (or module names)");
      } else if (module_mask != 0 && !(named && parsed == LoraTarget::kAllLinearPlusEmbed)) {
        lora_target = module_mask == kLoraAllLinear ? LoraTarget::kAllLinear
                                                    : lora_target.value_or(LoraTarget::kAllLinear);
      }
    }
  }
  auto lora_dropout = f.Num("lora_dropout", 0, 1);
  auto num_gpus = f.Int("num_gpus", 1, 1 << 16);
  std::optional<Sharding> sharding;
  if (const json* z = f.Get("zero_stage")) {
    static const Sharding kByStage[] = {Sharding::kNone, Sharding::kZero1, Sharding::kZero2, Sharding::kZero3};
    Sharding parsed;
    if (z->is_number_integer() && z->get<long long>() >= 0 && z->get<long long>() <= 3)
      sharding = kByStage[z->get<long long>()];
    else if (z->is_string() && ParseSharding(z->get<std::string>(), &parsed))
      sharding = parsed;
    else
      f.Fail(ErrorCode::kInvalidValue, "zero_stage", "\"zero_stage\" must be 0, 1, 2 or 3");
  }
  if (auto s = f.Enum<Sharding>("sharding", ParseSharding, "none, ddp, zero1, zero2, zero3, fsdp")) sharding = s;
  auto cpu_offload = f.Bool("cpu_offload");
  auto activation_offload = f.Bool("activation_offload");
  auto eval_batch = f.Int("eval_batch_size", 1, 1 << 20);
  auto eval_seq = f.Int("eval_seq_len", 1, 1 << 24);
  auto eval_new_tokens = f.Int("eval_max_new_tokens", 0, 1 << 20);
  auto cross_entropy = f.Enum<CrossEntropy>("cross_entropy", ParseCrossEntropy, "fp32, native, chunked");
  auto avg_seq_len = f.Int("avg_seq_len", 1, 1 << 24);
  auto double_quant = f.Bool("double_quant");
  auto quantize_lm_head = f.Bool("quantize_lm_head");
  auto tie_override = f.Bool("tie_word_embeddings");
  auto fused = f.Bool("fused_optimizer");
  auto adapter_dtype = f.Str("adapter_dtype");

  // ---- model
  auto model_name = f.Str("model_name");
  if (!model_name) model_name = f.Str("model");
  auto params_b = f.Num("params_b", 1e-4, 1e5);
  if (!params_b) params_b = f.Num("model_params_b", 1e-4, 1e5);
  ModelArch given;
  bool has_arch = false;
  {
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
    if (hidden && layers) {
      has_arch = true;
      given.hidden_size = *hidden;
      given.num_layers = *layers;
      given.intermediate_size = intermediate.value_or(0);
      given.num_attention_heads = heads.value_or(0);
      given.num_kv_heads = kv_heads.value_or(0);
      given.head_dim = head_dim.value_or(0);
      given.vocab_size = vocab.value_or(0);
      given.tie_word_embeddings = tie.value_or(false);
      given.is_moe = moe.value_or(experts.value_or(0) > 1);
      given.num_experts = experts.value_or(0);
      given.experts_per_token = experts_per_token.value_or(0);
      given.gated_mlp = gated.value_or(true);
      given.params_b = params_b.value_or(0);
    } else if (hidden || layers) {
      f.Fail(ErrorCode::kMissingField, hidden ? "num_layers" : "hidden_size",
             "architecture fields need at least hidden_size and num_layers");
    }
  }
  std::optional<std::string> gpu_name;
  if (!gpu_override.empty()) gpu_name = gpu_override;
  else gpu_name = f.Str("gpu");
  if (f.error()) return fail(*f.error());

  ModelArch arch;
  json model_out;
  if (has_arch) {
    arch = given;
    // No params_b with the architecture: counted from the shape (was reported as 0).
    if (arch.params_b <= 0) arch.params_b = ParamsFromShapeB(arch);
    model_out = {{"source", "architecture"}};
    conf.Lower(0.05, "architecture given by hand, not from the catalog");
  } else if (model_name) {
    auto catalog = catalog_source();
    if (!catalog.ok()) return fail(catalog.error());
    if (const Model* m = catalog.value()->FindModel(*model_name)) {
      arch = m->arch;
      model_out = {{"source", "catalog"}, {"id", m->id}};
      if (params_b && arch.params_b > 0 && std::fabs(*params_b - arch.params_b) > 0.1 * arch.params_b)
        assumptions.push_back("params_b " + std::to_string(*params_b).substr(0, 6) + " differs from the catalog's " +
                              std::to_string(arch.params_b).substr(0, 6) + "; the catalog architecture is used");
    } else if (params_b) {
      arch = TypicalArchForParams(*params_b);
      model_out = {{"source", "params_b"}};
      conf.Lower(0.2, "model \"" + *model_name + "\" not in the catalog: typical architecture for its params_b");
    } else {
      std::string message =
          "model \"" + *model_name + "\" is not in the catalog; give params_b (billions) or the architecture";
      auto closest = catalog.value()->ClosestModelNames(*model_name);
      if (!closest.empty()) {
        message += " (closest:";
        for (size_t i = 0; i < closest.size(); ++i) message += (i ? ", " : " ") + closest[i];
        message += ")";
      }
      return fail(Error{ErrorCode::kUnknownModel, "model_name", message});
    }
  } else if (params_b) {
    arch = TypicalArchForParams(*params_b);
    model_out = {{"source", "params_b"}};
    conf.Lower(0.2, "only params_b given: typical architecture assumed");
  } else {
    return fail(Error{ErrorCode::kMissingField, "model_name",
                      "give model_name (catalog id or alias), params_b, or architecture fields (hidden_size, num_layers, ...)"});
  }

  const Gpu* gpu = nullptr;
  if (gpu_name) {
    auto catalog = catalog_source();
    if (!catalog.ok()) return fail(catalog.error());
    std::string gpu_note;
    auto found = catalog.value()->FindGpu(*gpu_name, "gpu", &gpu_note);
    if (found.ok()) {
      gpu = found.value();
      if (!gpu_note.empty()) {
        assumptions.push_back(gpu_note);
        conf.Lower(0.05, "GPU memory size assumed");
      }
    } else {
      // A peak estimate needs no GPU: answer it without a fit verdict.
      assumptions.push_back(found.error().message + "; peak memory estimated without a fit verdict or throughput");
      conf.Lower(0.1, "GPU not recognised: no fit verdict");
    }
  }

  // ---- defaults for what was not given
  TrainSetup st;
  st.method = method ? *method
                     : (weight_quant && *weight_quant != WeightQuant::kNone ? Method::kQlora : Method::kLora);
  if (!method) assumptions.push_back(std::string("method not given: ") + ToString(st.method));
  st.weight_quant = weight_quant ? *weight_quant
                                 : (st.method == Method::kQlora ? WeightQuant::kNf4 : WeightQuant::kNone);
  if (st.method == Method::kQlora && st.weight_quant == WeightQuant::kNone) st.weight_quant = WeightQuant::kNf4;
  bool bf16_ok = !gpu || gpu->bf16;
  if (precision) {
    st.precision = *precision;
  } else {
    bool full = st.method == Method::kFull || st.method == Method::kFreeze;
    st.precision = full ? (bf16_ok ? Precision::kBf16Mixed : Precision::kFp16Mixed)
                        : (bf16_ok ? Precision::kBf16Pure : Precision::kFp16Pure);
    assumptions.push_back(std::string("precision not given: ") + ToString(st.precision) +
                          (full ? " (fp32 master weights, 16-bit autocast)" : " (16-bit base weights, fp32 adapters)"));
    conf.Lower(0.05, "precision not given");
  }
  // "mixed-*" given explicitly means the model itself is fp32 (the
  // measurement-table meaning).
  st.fp32_base_weights =
      precision && (st.precision == Precision::kBf16Mixed || st.precision == Precision::kFp16Mixed);
  st.batch_size_per_device = batch.value_or(1);
  if (!batch) {
    assumptions.push_back("batch_size_per_device not given: 1");
    conf.Lower(0.1, "batch size not given");
  }
  st.gradient_accumulation_steps = accumulation.value_or(1);
  st.seq_len = seq_len.value_or(1024);
  if (!seq_len) {
    assumptions.push_back("seq_len not given: 1024 (TRL SFT default max_length)");
    conf.Lower(0.1, "sequence length not given");
  }
  // Trainer defaults: the framework's profile, else the transformers ones.
  st.gradient_checkpointing = false;
  st.flash_attention = true;
  st.lora_dropout = 0.05;
  st.cross_entropy = CrossEntropy::kFp32Upcast;
  st.nf4_double_quant = false;
  st.activation_offload = false;
  st.optimizer = Optimizer::kAdamW;
  if (framework) {
    const Precision before = st.precision;
    const bool fp32_base = st.fp32_base_weights;
    ApplyFramework(*framework, &st);
    if (precision) {
      st.precision = *precision;
      st.fp32_base_weights = fp32_base;
    }
    else if (st.precision != before)
      assumptions.push_back(std::string("precision: ") + ToString(st.precision) + " (" + framework->name +
                            " keeps full fine-tuning in 16 bit)");
    assumptions.push_back(std::string("framework ") + framework->name + ": its defaults for what was not given " +
                          "(docs/memory-model.md, \"Frameworks\")");
  } else {
    if (framework_other) conf.Lower(0.1, "framework \"other\": transformers Trainer defaults assumed");
    st.framework = Framework::kUnspecified;
  }
  const std::string by = framework ? std::string(" (") + framework->name + " default)" : "";
  if (quant_other) {
    assumptions.push_back("weight_quant \"other\": sized as bitsandbytes NF4 (0.56 bytes per weight)");
    conf.Lower(0.15, "quantization \"other\": NF4 assumed");
  }
  if (optimizer_other) {
    assumptions.push_back("optimizer \"other\": sized as AdamW (two states per trainable parameter, the largest common)");
    conf.Lower(0.15, "optimizer \"other\": AdamW assumed");
  }
  if (!optimizer)
    assumptions.push_back(std::string("optimizer not given: ") +
                          (framework ? ToString(st.optimizer) + by : "adamw (torch, foreach)"));
  if (checkpointing) st.gradient_checkpointing = *checkpointing;
  else assumptions.push_back(std::string("gradient_checkpointing not given: ") + (st.gradient_checkpointing ? "true" : "false") +
                             (framework ? by : " (transformers default)"));
  if (flash) st.flash_attention = *flash;
  else if (framework) assumptions.push_back(std::string("flash_attention not given: ") + (st.flash_attention ? "true" : "false") + by);
  else assumptions.push_back("flash_attention not given: true (PyTorch SDPA, the transformers default attention)");
  if (packing) st.packing = *packing;
  st.lora_r = lora_r.value_or(8);
  bool adapter = st.method == Method::kLora || st.method == Method::kQlora || st.method == Method::kDora;
  if (adapter && !lora_r) assumptions.push_back("lora_r not given: 8 (PEFT default)");
  st.lora_target = lora_target.value_or(LoraTarget::kAllLinear);
  st.lora_module_mask = module_mask;
  if (adapter && !lora_target) assumptions.push_back("lora_target not given: all-linear");
  if (lora_dropout) st.lora_dropout = *lora_dropout;
  st.num_gpus = num_gpus.value_or(1);
  st.sharding = sharding.value_or(Sharding::kNone);
  st.cpu_offload = cpu_offload.value_or(false);
  if (activation_offload) st.activation_offload = *activation_offload;
  if (optimizer) {
    std::string optimizer_key = optimizer_name;
    for (auto& ch : optimizer_key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    st.optimizer = *optimizer;
    st.fused_optimizer = optimizer_key.find("fused") != std::string::npos;
  }
  if (fused) st.fused_optimizer = *fused;
  st.eval_batch_size = eval_batch.value_or(0);
  st.eval_seq_len = eval_seq.value_or(0);
  st.eval_max_new_tokens = eval_new_tokens.value_or(0);
  if (cross_entropy) st.cross_entropy = *cross_entropy;
  if (double_quant) st.nf4_double_quant = *double_quant;
  st.avg_seq_len = avg_seq_len.value_or(0);
  if (quantize_lm_head) st.quantize_lm_head = *quantize_lm_head;
  if (tie_override && !has_arch && arch.tie_word_embeddings != *tie_override) {
    // A separate output head holds its own vocab x hidden copy (and vice versa).
    double head_b = static_cast<double>(arch.vocab_size) * arch.hidden_size / 1e9;
    arch.params_b += *tie_override ? -head_b : head_b;
    // Tiny tied models: the catalog's count minus a head can reach zero or less.
    if (arch.params_b <= 0) arch.params_b = ParamsFromShapeB(arch);
    arch.tie_word_embeddings = *tie_override;
    assumptions.push_back(std::string("tie_word_embeddings overridden: ") +
                          (*tie_override ? "tied" : "separate output head"));
  }
  if (adapter_dtype) {
    const std::string& a = *adapter_dtype;
    if (a == "fp32" || a == "float32") st.adapter_fp32 = true;
    else if (a == "bf16" || a == "fp16" || a == "bfloat16" || a == "float16") st.adapter_fp32 = false;
    else return fail(Error{ErrorCode::kInvalidValue, "adapter_dtype", "\"adapter_dtype\" must be fp32 or bf16"});
  }
  if (gpu && !gpu->bf16 && (st.precision == Precision::kBf16Mixed || st.precision == Precision::kBf16Pure))
    assumptions.push_back(gpu->name + " has no bf16: the run would fall back to fp16 or fail (memory is the same)");

  // ---- estimate
  MemoryEstimate m = EstimateMemory(arch, st);
  calibration.ApplyMemory(&m);
  for (const auto& note : m.notes) assumptions.push_back(note);
  if (st.method == Method::kFreeze || st.method == Method::kDora)
    conf.Lower(0.05, std::string(ToString(st.method)) + " is less validated than full/lora/qlora");
  if (st.num_gpus > 1) conf.Lower(0.15, "multi-GPU sharding is modelled but not validated against per-GPU measurements");
  if (!st.flash_attention && st.seq_len > 4096) conf.Lower(0.05, "eager attention at long sequence");

  json out;
  if (in.contains("id") && !in["id"].is_null()) out["id"] = in["id"];
  // Three significant digits below 0.1 B: a tiny model's count rounded to 0.000 read as "no parameters".
  const double p = arch.params_b;
  const double scale = p > 0 && p < 0.1 ? std::pow(10.0, 2 - std::floor(std::log10(p))) : 1000.0;
  model_out["params_b"] = std::round(p * scale) / scale;
  out["model"] = model_out;
  out["setup"] = SetupJson(st, framework);
  AddMemoryJson(m, adapter, &out);
  out["peak_phase"] = m.peak_phase;
  out["trainable_params_b"] = Round3(m.trainable_params_b);

  int code = 0;
  if (gpu) {
    ThroughputEstimate t = EstimateThroughput(arch, st, *gpu);
    calibration.ApplyThroughput(&t);
    for (const auto& note : t.notes) assumptions.push_back(note);
    out["tokens_per_sec"] = std::round(t.tokens_per_sec);
    out["flops_per_token"] = t.flops_per_token;
    out["mfu_assumed"] = Round3(t.efficiency);
    // usable_vram_gb is what one process can allocate (the catalog already
    // subtracts the CUDA context), so the allocator's reserved peak must fit:
    // training or evaluation, whichever is larger.
    double need = std::max(m.reserved_gb, m.eval_peak_gb - m.cuda_context_gb);
    bool fits = need <= gpu->usable_vram_gb;
    out["gpu"] = {{"id", gpu->id}, {"name", gpu->name}, {"usable_vram_gb", gpu->usable_vram_gb}};
    out["usable_vram_gb"] = gpu->usable_vram_gb;
    out["required_gb"] = Round2(need);
    out["fits"] = fits;
    out["margin_gb"] = Round2(gpu->usable_vram_gb - need);
    if (fits && gpu->usable_vram_gb - need < 0.1 * gpu->usable_vram_gb)
      conf.Lower(0.1, "thin margin: within 10% of the usable memory");
    code = fits ? 0 : 1;
  } else {
    out["tokens_per_sec"] = nullptr;
    out["fits"] = nullptr;
  }
  double score = std::max(0.05, std::min(1.0, conf.score));
  out["confidence"] = {{"level", score >= 0.8 ? "high" : score >= 0.6 ? "medium" : "low"},
                       {"score", Round2(score)},
                       {"reasons", conf.reasons}};
  out["assumptions"] = assumptions;
  if (calibration.loaded()) out["calibration"] = calibration.version;
  return {out, code};
}

}  // namespace ftconfig
