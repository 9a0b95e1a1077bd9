// ftconfig estimate: peak VRAM per GPU (with a breakdown), throughput and a
// fit verdict for one training setup, or one per line with --jsonl. The input
// keys are those of the measurement table (docs/memory-model.md, "CLI").
// Exit codes: 0 fits (or no GPU given), 1 does not fit, 2 bad input.
#include <cmath>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "data_files.h"
#include "ftconfig/json_text.h"
#include "ftconfig/memory.h"

namespace ftconfig::cli {
namespace {

using json = nlohmann::json;

struct EstimateOptions {
  std::string input = "-";
  bool jsonl = false;
  std::string format = "json";
  std::string gpu;  // --gpu overrides the input's "gpu"
};

// Lazily loaded catalog: only needed for model_name and gpu lookups, so an
// estimate from architecture fields works without the data folder.
class LazyCatalog {
 public:
  explicit LazyCatalog(std::string dir) : dir_(std::move(dir)) {}
  Result<const Catalog*> Get() {
    if (!tried_) {
      tried_ = true;
      auto r = LoadCatalog(dir_);
      if (r.ok()) catalog_ = std::make_unique<Catalog>(std::move(r).value());
      else error_ = r.error();
    }
    if (catalog_) return static_cast<const Catalog*>(catalog_.get());
    return error_;
  }

 private:
  std::string dir_;
  bool tried_ = false;
  std::unique_ptr<Catalog> catalog_;
  Error error_;
};

double R2(double v) { return std::round(v * 100.0) / 100.0; }
double R3(double v) { return std::round(v * 1000.0) / 1000.0; }

// Field readers: absent or null -> nullopt; wrong type -> an error naming the field.
struct Reader {
  const json& j;
  std::optional<Error> error;

  const json* Get(const char* key) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return nullptr;
    return &*it;
  }
  void Fail(ErrorCode code, const std::string& field, const std::string& msg) {
    if (!error) error = Error{code, field, msg};
  }
  std::optional<std::string> Str(const char* key) {
    const json* v = Get(key);
    if (!v) return std::nullopt;
    if (!v->is_string()) {
      Fail(ErrorCode::kInvalidType, key, std::string("\"") + key + "\" must be a string");
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
    if (v->is_number_integer() && (v->get<long long>() == 0 || v->get<long long>() == 1)) return v->get<long long>() == 1;
    Fail(ErrorCode::kInvalidType, key, std::string("\"") + key + "\" must be true or false");
    return std::nullopt;
  }
  // An enum-like string; `parse` returns false for unknown names.
  template <typename T, typename F>
  std::optional<T> Enum(const char* key, F parse, const char* accepted) {
    auto s = Str(key);
    if (!s) return std::nullopt;
    T out{};
    if (!parse(*s, &out)) {
      Fail(ErrorCode::kInvalidValue, key, "unknown " + std::string(key) + " \"" + *s + "\"; accepted: " + accepted);
      return std::nullopt;
    }
    return out;
  }
};

struct Confidence {
  double score = 0.9;
  std::vector<std::string> reasons;
  void Penalize(double p, const std::string& why) {
    score -= p;
    reasons.push_back(why);
  }
};

// One input object -> (answer JSON, exit code). Exit 2 answers carry "error".
std::pair<json, int> EstimateOne(const json& in, LazyCatalog& lazy, const std::string& gpu_override) {
  if (!in.is_object()) {
    Error e{ErrorCode::kInvalidJson, "", "each input must be a JSON object"};
    return {json{{"error", {{"code", ToString(e.code)}, {"field", e.field}, {"message", e.message}}}}, 2};
  }
  Reader r{in, std::nullopt};
  auto fail = [&](const Error& e) {
    json out = {{"error", {{"code", ToString(e.code)}, {"field", e.field}, {"message", e.message}}}};
    if (in.contains("id") && !in["id"].is_null()) out["id"] = in["id"];
    return std::make_pair(out, 2);
  };
  std::vector<std::string> assumptions;
  Confidence conf;

  // ---- setup fields
  TrainSetup st;
  auto method = r.Enum<Method>("method", ParseMethod, "full, lora, qlora, dora, freeze");
  auto wq = r.Enum<WeightQuant>("weight_quant", ParseWeightQuant, "none, nf4 (also 4bit, gptq, awq), int8");
  std::string precision_raw;
  if (auto p = r.Str("precision")) precision_raw = *p;
  std::optional<Precision> precision;
  if (!precision_raw.empty()) {
    Precision p;
    if (ParsePrecision(precision_raw, &p)) precision = p;
    else r.Fail(ErrorCode::kInvalidValue, "precision",
                "unknown precision \"" + precision_raw + "\"; accepted: bf16, fp16 (pure 16-bit weights), mixed-bf16, mixed-fp16 (fp32 weights + autocast), fp32");
  }
  std::string optimizer_raw;
  if (auto o = r.Str("optimizer")) optimizer_raw = *o;
  std::optional<Optimizer> optimizer;
  if (!optimizer_raw.empty()) {
    Optimizer o;
    if (ParseOptimizer(optimizer_raw, &o)) optimizer = o;
    else r.Fail(ErrorCode::kInvalidValue, "optimizer",
                "unknown optimizer \"" + optimizer_raw + "\"; accepted: adamw (adamw_torch, adamw_torch_fused), adamw_8bit, paged_adamw_8bit, paged_adamw_32bit, adafactor, sgd");
  }
  auto batch = r.Int("batch_size_per_device", 1, 1 << 20);
  auto accum = r.Int("gradient_accumulation_steps", 1, 1 << 20);
  auto seq = r.Int("seq_len", 1, 1 << 24);
  if (!seq) seq = r.Int("max_seq_length", 1, 1 << 24);
  auto gc = r.Bool("gradient_checkpointing");
  auto fa = r.Bool("flash_attention");
  auto packing = r.Bool("packing");
  auto lora_r = r.Int("lora_r", 1, 1 << 16);
  std::optional<LoraTarget> target;
  unsigned module_mask = 0;
  if (auto t = r.Get("lora_target")) {
    std::string ts;
    if (t->is_string()) ts = t->get<std::string>();
    else if (t->is_array()) {
      for (const auto& e : *t)
        if (e.is_string()) ts += e.get<std::string>() + ",";
    } else {
      r.Fail(ErrorCode::kInvalidType, "lora_target", "\"lora_target\" must be a string or a list of module names");
    }
    LoraTarget lt;
    if (!ts.empty()) {
      module_mask = ParseLoraModules(ts);
      bool named = ParseLoraTarget(ts, &lt);
      if (named) target = lt;
      if (named || module_mask != 0) {
        if (module_mask != 0 && !(named && lt == LoraTarget::kAllLinearPlusEmbed))
          target = module_mask == kLoraAllLinear ? LoraTarget::kAllLinear : target.value_or(LoraTarget::kAllLinear);
      } else r.Fail(ErrorCode::kInvalidValue, "lora_target",
                  "unknown lora_target \"" + ts + "\"; accepted: q,v / q,k,v,o / all-linear / all-linear+embed (or module names)");
    }
  }
  auto lora_dropout = r.Num("lora_dropout", 0, 1);
  auto num_gpus = r.Int("num_gpus", 1, 1 << 16);
  std::optional<Sharding> sharding;
  if (auto z = r.Get("zero_stage")) {
    if (z->is_number_integer() && z->get<long long>() >= 0 && z->get<long long>() <= 3) {
      static const Sharding kStages[] = {Sharding::kNone, Sharding::kZero1, Sharding::kZero2, Sharding::kZero3};
      sharding = kStages[z->get<long long>()];
    } else if (z->is_string()) {
      Sharding s;
      if (ParseSharding(z->get<std::string>(), &s)) sharding = s;
      else r.Fail(ErrorCode::kInvalidValue, "zero_stage", "\"zero_stage\" must be 0, 1, 2 or 3");
    } else {
      r.Fail(ErrorCode::kInvalidValue, "zero_stage", "\"zero_stage\" must be 0, 1, 2 or 3");
    }
  }
  if (auto sh = r.Enum<Sharding>("sharding", ParseSharding, "none, ddp, zero1, zero2, zero3, fsdp")) sharding = sh;
  auto offload = r.Bool("cpu_offload");
  auto act_offload = r.Bool("activation_offload");
  auto eval_batch = r.Int("eval_batch_size", 1, 1 << 20);
  auto eval_seq = r.Int("eval_seq_len", 1, 1 << 24);
  auto eval_new = r.Int("eval_max_new_tokens", 0, 1 << 20);
  auto ce = r.Enum<CrossEntropy>("cross_entropy", ParseCrossEntropy, "fp32, native, chunked");
  auto avg_seq = r.Int("avg_seq_len", 1, 1 << 24);
  auto dq = r.Bool("double_quant");
  auto qhead = r.Bool("quantize_lm_head");
  auto tie_override = r.Bool("tie_word_embeddings");
  auto fused = r.Bool("fused_optimizer");
  auto adapter_dtype = r.Str("adapter_dtype");

  // ---- model fields
  auto model_name = r.Str("model_name");
  if (!model_name) model_name = r.Str("model");
  auto params_b = r.Num("params_b", 1e-4, 1e5);
  if (!params_b) params_b = r.Num("model_params_b", 1e-4, 1e5);
  ModelArch given;
  bool has_arch = false;
  {
    auto hs = r.Int("hidden_size", 1, 1 << 20);
    auto nl = r.Int("num_layers", 1, 1 << 16);
    if (!nl) nl = r.Int("num_hidden_layers", 1, 1 << 16);
    auto is = r.Int("intermediate_size", 1, 1 << 22);
    auto nh = r.Int("num_attention_heads", 1, 1 << 16);
    auto kv = r.Int("num_kv_heads", 1, 1 << 16);
    if (!kv) kv = r.Int("num_key_value_heads", 1, 1 << 16);
    auto hd = r.Int("head_dim", 1, 1 << 16);
    auto vs = r.Int("vocab_size", 1, 1 << 24);
    auto tie = r.Bool("tie_word_embeddings");
    auto moe = r.Bool("is_moe");
    auto ne = r.Int("num_experts", 1, 1 << 16);
    auto ept = r.Int("experts_per_token", 1, 1 << 16);
    auto gated = r.Bool("gated_mlp");
    if (hs && nl) {
      has_arch = true;
      given.hidden_size = *hs;
      given.num_layers = *nl;
      given.intermediate_size = is.value_or(0);
      given.num_attention_heads = nh.value_or(0);
      given.num_kv_heads = kv.value_or(0);
      given.head_dim = hd.value_or(0);
      given.vocab_size = vs.value_or(0);
      given.tie_word_embeddings = tie.value_or(false);
      given.is_moe = moe.value_or(ne.value_or(0) > 1);
      given.num_experts = ne.value_or(0);
      given.experts_per_token = ept.value_or(0);
      given.gated_mlp = gated.value_or(true);
      given.params_b = params_b.value_or(0);
    } else if (hs || nl) {
      r.Fail(ErrorCode::kMissingField, hs ? "num_layers" : "hidden_size",
             "architecture fields need at least hidden_size and num_layers");
    }
  }
  std::optional<std::string> gpu_name;
  if (!gpu_override.empty()) gpu_name = gpu_override;
  else gpu_name = r.Str("gpu");
  if (r.error) return fail(*r.error);

  // ---- resolve the model
  ModelArch arch;
  json model_out;
  if (has_arch) {
    arch = given;
    model_out = {{"source", "architecture"}};
    conf.Penalize(0.05, "architecture given by hand, not from the catalog");
  } else if (model_name) {
    auto cat = lazy.Get();
    if (!cat.ok()) return fail(cat.error());
    const Model* m = cat.value()->FindModel(*model_name);
    if (m) {
      arch = m->arch;
      model_out = {{"source", "catalog"}, {"id", m->id}};
      if (params_b && arch.params_b > 0 && std::fabs(*params_b - arch.params_b) > 0.1 * arch.params_b)
        assumptions.push_back("params_b " + std::to_string(*params_b).substr(0, 6) + " differs from the catalog's " +
                              std::to_string(arch.params_b).substr(0, 6) + "; the catalog architecture is used");
    } else if (params_b) {
      arch = TypicalArchForParams(*params_b);
      model_out = {{"source", "params_b"}};
      conf.Penalize(0.2, "model \"" + *model_name + "\" not in the catalog: typical architecture for its params_b");
    } else {
      std::string msg = "model \"" + *model_name + "\" is not in the catalog; give params_b (billions) or the architecture";
      auto close = cat.value()->ClosestModelNames(*model_name);
      if (!close.empty()) {
        msg += " (closest:";
        for (size_t i = 0; i < close.size(); ++i) msg += (i ? ", " : " ") + close[i];
        msg += ")";
      }
      return fail(Error{ErrorCode::kUnknownModel, "model_name", msg});
    }
  } else if (params_b) {
    arch = TypicalArchForParams(*params_b);
    model_out = {{"source", "params_b"}};
    conf.Penalize(0.2, "only params_b given: typical architecture assumed");
  } else {
    return fail(Error{ErrorCode::kMissingField, "model_name",
                      "give model_name (catalog id or alias), params_b, or architecture fields (hidden_size, num_layers, ...)"});
  }

  // ---- resolve the GPU
  const Gpu* gpu = nullptr;
  if (gpu_name) {
    auto cat = lazy.Get();
    if (!cat.ok()) return fail(cat.error());
    auto g = cat.value()->FindGpu(*gpu_name, "gpu");
    if (!g.ok()) return fail(g.error());
    gpu = g.value();
  }

  // ---- defaults for absent fields (docs/memory-model.md, "CLI")
  st.method = method ? *method : (wq && *wq != WeightQuant::kNone ? Method::kQlora : Method::kLora);
  if (!method) assumptions.push_back(std::string("method not given: ") + ToString(st.method));
  st.weight_quant = wq ? *wq : (st.method == Method::kQlora ? WeightQuant::kNf4 : WeightQuant::kNone);
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
    conf.Penalize(0.05, "precision not given");
  }
  // "mixed-*" means the model itself is fp32 (the measurement-table meaning).
  st.fp32_base_weights = precision && (st.precision == Precision::kBf16Mixed || st.precision == Precision::kFp16Mixed);
  st.optimizer = optimizer.value_or(Optimizer::kAdamW);
  if (!optimizer) assumptions.push_back("optimizer not given: adamw (torch, foreach)");
  std::string okey = optimizer_raw;
  for (auto& ch : okey) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  st.fused_optimizer = fused.value_or(okey.find("fused") != std::string::npos);
  st.batch_size_per_device = batch.value_or(1);
  if (!batch) {
    assumptions.push_back("batch_size_per_device not given: 1");
    conf.Penalize(0.1, "batch size not given");
  }
  st.gradient_accumulation_steps = accum.value_or(1);
  st.seq_len = seq.value_or(1024);
  if (!seq) {
    assumptions.push_back("seq_len not given: 1024 (TRL SFT default max_length)");
    conf.Penalize(0.1, "sequence length not given");
  }
  st.gradient_checkpointing = gc.value_or(false);
  if (!gc) assumptions.push_back("gradient_checkpointing not given: false (transformers default)");
  st.flash_attention = fa.value_or(true);
  if (!fa) assumptions.push_back("flash_attention not given: true (PyTorch SDPA, the transformers default attention)");
  st.packing = packing.value_or(false);
  st.lora_r = lora_r.value_or(8);
  bool adapter = st.method == Method::kLora || st.method == Method::kQlora || st.method == Method::kDora;
  if (adapter && !lora_r) assumptions.push_back("lora_r not given: 8 (PEFT default)");
  st.lora_target = target.value_or(LoraTarget::kAllLinear);
  st.lora_module_mask = module_mask;
  if (adapter && !target) assumptions.push_back("lora_target not given: all-linear");
  st.lora_dropout = lora_dropout.value_or(0.05);
  st.num_gpus = num_gpus.value_or(1);
  st.sharding = sharding.value_or(Sharding::kNone);
  st.cpu_offload = offload.value_or(false);
  st.activation_offload = act_offload.value_or(false);
  st.eval_batch_size = eval_batch.value_or(0);
  st.eval_seq_len = eval_seq.value_or(0);
  st.eval_max_new_tokens = eval_new.value_or(0);
  st.cross_entropy = ce.value_or(CrossEntropy::kFp32Upcast);
  st.nf4_double_quant = dq.value_or(false);
  st.avg_seq_len = avg_seq.value_or(0);
  st.quantize_lm_head = qhead.value_or(false);
  if (tie_override && !has_arch && arch.tie_word_embeddings != *tie_override) {
    // A separate head holds its own vocab x hidden copy (and vice versa).
    double head_b = static_cast<double>(arch.vocab_size) * arch.hidden_size / 1e9;
    arch.params_b += *tie_override ? -head_b : head_b;
    arch.tie_word_embeddings = *tie_override;
    assumptions.push_back(std::string("tie_word_embeddings overridden: ") + (*tie_override ? "tied" : "separate output head"));
  }
  if (adapter_dtype) {
    std::string a = *adapter_dtype;
    if (a == "fp32" || a == "float32") st.adapter_fp32 = true;
    else if (a == "bf16" || a == "fp16" || a == "bfloat16" || a == "float16") st.adapter_fp32 = false;
    else return fail(Error{ErrorCode::kInvalidValue, "adapter_dtype", "\"adapter_dtype\" must be fp32 or bf16"});
  }
  if (gpu && !gpu->bf16 && (st.precision == Precision::kBf16Mixed || st.precision == Precision::kBf16Pure))
    assumptions.push_back(gpu->name + " has no bf16: the run would fall back to fp16 or fail (memory is the same)");

  // ---- estimate
  MemoryEstimate m = EstimateMemory(arch, st);
  for (const auto& n : m.notes) assumptions.push_back(n);
  if (st.method == Method::kFreeze || st.method == Method::kDora) conf.Penalize(0.05, std::string(ToString(st.method)) + " is less validated than full/lora/qlora");
  if (st.num_gpus > 1) conf.Penalize(0.15, "multi-GPU sharding is modelled but not validated against per-GPU measurements");
  if (!st.flash_attention && st.seq_len > 4096) conf.Penalize(0.05, "eager attention at long sequence");

  json out;
  if (in.contains("id") && !in["id"].is_null()) out["id"] = in["id"];
  model_out["params_b"] = R3(arch.params_b);
  out["model"] = model_out;
  out["setup"] = {{"method", ToString(st.method)},
                  {"precision", ToString(st.precision)},
                  {"weight_quant", ToString(st.weight_quant)},
                  {"optimizer", ToString(st.optimizer)},
                  {"batch_size_per_device", st.batch_size_per_device},
                  {"gradient_accumulation_steps", st.gradient_accumulation_steps},
                  {"seq_len", st.seq_len},
                  {"gradient_checkpointing", st.gradient_checkpointing},
                  {"flash_attention", st.flash_attention},
                  {"num_gpus", st.num_gpus},
                  {"sharding", ToString(st.num_gpus > 1 && st.sharding == Sharding::kNone ? Sharding::kDdp : st.sharding)},
                  {"cross_entropy", ToString(st.cross_entropy)}};
  if (adapter) {
    out["setup"]["lora_r"] = st.lora_r;
    out["setup"]["lora_target"] = ToString(st.lora_target);
    out["setup"]["lora_dropout"] = st.lora_dropout;
  }
  out["peak_vram_gb"] = R2(m.peak_gb);
  out["max_allocated_gb"] = R2(m.max_allocated_gb);
  out["reserved_gb"] = R2(m.reserved_gb);
  out["eval_peak_gb"] = R2(m.eval_peak_gb);
  out["merge_peak_gb"] = adapter ? json(R2(m.merge_peak_gb)) : json(nullptr);
  const MemoryBreakdown& b = m.breakdown;
  out["breakdown"] = {{"weights_gb", R2(b.weights_gb)},         {"adapters_gb", R2(b.adapters_gb)},
                      {"gradients_gb", R2(b.gradients_gb)},     {"optimizer_gb", R2(b.optimizer_gb)},
                      {"activations_gb", R2(b.activations_gb)}, {"logits_gb", R2(b.logits_gb)},
                      {"overhead_gb", R2(b.overhead_gb)},       {"cuda_context_gb", R2(m.cuda_context_gb)},
                      {"fragmentation_gb", R2(m.fragmentation_gb)}};
  out["peak_phase"] = m.peak_phase;
  out["trainable_params_b"] = R3(m.trainable_params_b);

  int code = 0;
  if (gpu) {
    ThroughputEstimate t = EstimateThroughput(arch, st, *gpu);
    for (const auto& n : t.notes) assumptions.push_back(n);
    out["tokens_per_sec"] = std::round(t.tokens_per_sec);
    out["flops_per_token"] = t.flops_per_token;
    out["mfu_assumed"] = R3(t.efficiency);
    // usable_vram_gb is what one process can allocate (the catalog already
    // subtracts the CUDA context), so the allocator's reserved peak is what
    // must fit: training or evaluation, whichever is larger.
    double need = std::max(m.reserved_gb, m.eval_peak_gb - m.cuda_context_gb);
    bool fits = need <= gpu->usable_vram_gb;
    out["gpu"] = {{"id", gpu->id}, {"name", gpu->name}, {"usable_vram_gb", gpu->usable_vram_gb}};
    out["usable_vram_gb"] = gpu->usable_vram_gb;
    out["required_gb"] = R2(need);
    out["fits"] = fits;
    out["margin_gb"] = R2(gpu->usable_vram_gb - need);
    if (fits && gpu->usable_vram_gb - need < 0.1 * gpu->usable_vram_gb)
      conf.Penalize(0.1, "thin margin: within 10% of the usable memory");
    code = fits ? 0 : 1;
  } else {
    out["tokens_per_sec"] = nullptr;
    out["fits"] = nullptr;
  }
  double score = std::max(0.05, std::min(1.0, conf.score));
  out["confidence"] = {{"level", score >= 0.8 ? "high" : score >= 0.6 ? "medium" : "low"},
                       {"score", R2(score)},
                       {"reasons", conf.reasons}};
  out["assumptions"] = assumptions;
  return {out, code};
}

void PrintText(const json& o, std::ostream& os) {
  if (o.contains("error")) {
    os << "error: " << o["error"].value("field", "") << ": " << o["error"].value("message", "") << "\n";
    return;
  }
  os << "peak VRAM per GPU " << o["peak_vram_gb"] << " GB (max allocated " << o["max_allocated_gb"] << ", reserved "
     << o["reserved_gb"] << "), peak in " << o["peak_phase"].get<std::string>() << "\n";
  for (const auto& [k, v] : o["breakdown"].items()) os << "  " << k << std::string(k.size() < 18 ? 18 - k.size() : 1, ' ') << v << "\n";
  os << "eval peak " << o["eval_peak_gb"] << " GB, merge peak " << o["merge_peak_gb"] << " GB\n";
  if (!o["fits"].is_null())
    os << (o["fits"].get<bool>() ? "FITS" : "DOES NOT FIT") << " on " << o["gpu"]["name"].get<std::string>() << " ("
       << o["usable_vram_gb"] << " GB usable, margin " << o["margin_gb"] << " GB); ~" << o["tokens_per_sec"]
       << " tokens/s\n";
  os << "confidence " << o["confidence"]["level"].get<std::string>() << "\n";
  for (const auto& a : o["assumptions"]) os << "  - " << a.get<std::string>() << "\n";
}

}  // namespace

void AddEstimateCommand(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<EstimateOptions>();
  auto* cmd = app.add_subcommand("estimate", "Estimate peak VRAM and throughput for a training setup");
  cmd->add_option("input", opts->input, "JSON file with the setup (default: stdin, or -)");
  cmd->add_flag("--jsonl", opts->jsonl, "One JSON object per line; one answer line per input line, in order");
  cmd->add_option("--gpu", opts->gpu, "GPU to check the fit against (overrides the input's \"gpu\")");
  cmd->add_option("--format", opts->format, "json (default) or text")->check(CLI::IsMember({"json", "text"}));
  cmd->callback([&ctx, opts]() {
    ctx.exit_code = RunGuarded([&]() -> int {
      auto text = ReadInput(opts->input, "input");
      if (!text.ok()) return ReportError(text.error());
      LazyCatalog lazy(ctx.data_dir);
      auto emit = [&](const json& o) {
        if (opts->format == "text") PrintText(o, std::cout);
        else std::cout << o.dump() << "\n";
      };
      if (!opts->jsonl) {
        json j = json::parse(text.value(), nullptr, false);
        if (j.is_discarded())
          return ReportError({ErrorCode::kInvalidJson, "input", "input is not valid JSON: " + JsonSyntaxError(text.value())});
        auto [o, code] = EstimateOne(j, lazy, opts->gpu);
        if (code == 2) {
          const json& e = o["error"];
          std::cerr << "ftconfig: " << e.value("field", "") << (e.value("field", "").empty() ? "" : ": ")
                    << e.value("message", "") << std::endl;
        }
        emit(o);
        std::cout.flush();
        return code;
      }
      // --jsonl: exit 2 if any line was bad input, else 1 if any did not fit.
      std::istringstream lines(text.value());
      std::string line;
      int worst = 0;
      size_t n = 0;
      while (std::getline(lines, line)) {
        ++n;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        json j = json::parse(line, nullptr, false);
        json o;
        int code;
        if (j.is_discarded()) {
          o = {{"error", {{"code", ToString(ErrorCode::kInvalidJson)}, {"field", "line " + std::to_string(n)},
                          {"message", "line is not valid JSON: " + JsonSyntaxError(line)}}}};
          code = 2;
        } else {
          std::tie(o, code) = EstimateOne(j, lazy, opts->gpu);
        }
        if (code == 2) o["line"] = n;
        emit(o);
        worst = std::max(worst, code);
      }
      std::cout.flush();
      return worst;
    });
  });
}

}  // namespace ftconfig::cli
