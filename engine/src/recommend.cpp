// The deterministic recommendation: profile medians from the safe pool, then
// hard clamps and an OOM-safe search. See docs/api.md for the response and
// docs/recommendation.md for the algorithm.
#include "ftconfig/recommend.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include "ftconfig/ranking.h"
#include "json_util.h"
#include "ftconfig/json_text.h"
#include "json_fast.h"
#include "outline.h"

// Runs once per engine or once per answer: optimized for size in WebAssembly (outline.h).
FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN

namespace ftconfig {

namespace {

// --- small numeric helpers -------------------------------------------------

int NearestPow2(double v, int lo, int hi) {
  if (!(v > 0)) return lo;
  int p = 1 << static_cast<int>(std::lround(std::log2(v)));
  return std::clamp(p, lo, hi);
}

using internal::Round2;
using internal::Round3;

// Learning rates are reported with two significant digits (2e-4, 1.5e-5).
double RoundSig2(double v) {
  if (!(v > 0)) return v;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2g", v);  // via text: 3e-4 stays the double nearest 0.0003
  return std::strtod(buf, nullptr);
}

// --- GPU tiers -----------------------------------------------------------------
// Caps by usable memory. They bound what the search starts from; the memory
// model decides what finally fits. Values follow what the corpus shows on each
// class of card (free T4 notebooks run 2048-token QLoRA at rank <= 64; 24 GB
// cards 4096; 40-80 GB cards 8192) — see docs/recommendation.md.
struct TierCaps {
  int max_seq;
  int max_rank;
  int max_batch;
};

TierCaps CapsFor(const Gpu& gpu) {
  double u = gpu.usable_vram_gb;
  if (u < 13) return {1024, 32, 8};
  if (u < 20) return {2048, 64, 16};
  if (u < 30) return {4096, 64, 32};
  if (u < 60) return {8192, 128, 64};
  return {8192, 256, 128};
}

// --- names used in the response (Hugging Face TrainingArguments spellings) --

std::string HfOptimizer(const std::string& canonical) {
  if (canonical == "adamw_8bit") return "adamw_bnb_8bit";
  if (canonical == "paged_adamw_8bit") return "paged_adamw_8bit";
  if (canonical == "paged_adamw_32bit") return "paged_adamw_32bit";
  if (canonical == "adafactor") return "adafactor";
  if (canonical == "sgd") return "sgd";
  return "adamw_torch";
}

Optimizer ModelOptimizer(const std::string& canonical) {
  if (canonical == "adamw_8bit") return Optimizer::kAdamW8bit;
  if (canonical == "paged_adamw_8bit") return Optimizer::kPagedAdamW8bit;
  if (canonical == "paged_adamw_32bit") return Optimizer::kPagedAdamW32bit;
  if (canonical == "adafactor") return Optimizer::kAdafactor;
  if (canonical == "sgd") return Optimizer::kSgd;
  return Optimizer::kAdamW;
}

LoraTarget ModelTarget(const std::string& canonical) {
  if (canonical == "qv") return LoraTarget::kQV;
  if (canonical == "attention") return LoraTarget::kAttention;
  if (canonical == "all_linear_embed") return LoraTarget::kAllLinearPlusEmbed;
  return LoraTarget::kAllLinear;
}

const char* TargetModules(const std::string& canonical) {
  if (canonical == "qv") return "q_proj,v_proj";
  if (canonical == "attention") return "q_proj,k_proj,v_proj,o_proj";
  if (canonical == "all_linear_embed") return "all-linear,embed_tokens,lm_head";
  return "all-linear";
}

// --- the working configuration -------------------------------------------------

struct Candidate {
  std::string adapter;  // none | lora | qlora
  int batch = 1;
  int accum = 1;
  int seq = 512;
  bool grad_ckpt = true;
  int lora_r = 16;
  std::string lora_target = "all_linear";
  std::string optimizer = "adamw";
  bool bf16 = true;
  bool fp32 = false;
  bool pure_bf16 = false;  // bf16 weights and optimizer math, no fp32 master copy
};

struct Context {
  const Gpu* gpu = nullptr;
  int num_gpus = 1;
  ModelArch arch;
  int sequences_per_example = 1;  // 2 for preference tasks (chosen + rejected)
  bool dpo = false;               // DPO: full fine-tuning keeps a reference model
  const Calibration* calibration = nullptr;  // telemetry calibration (ftconfig/calibration.h)
};

bool IsPreferenceTask(const std::string& task) {
  return task == "preference_dpo" || task == "preference_orpo" || task == "reward_modeling";
}

TrainSetup ToSetup(const Candidate& c, const Context& ctx) {
  TrainSetup s;
  s.method = c.adapter == "none" ? Method::kFull : c.adapter == "qlora" ? Method::kQlora : Method::kLora;
  s.weight_quant = c.adapter == "qlora" ? WeightQuant::kNf4 : WeightQuant::kNone;
  s.precision = c.fp32 ? Precision::kFp32
                : c.pure_bf16 ? Precision::kBf16Pure
                : c.bf16 ? Precision::kBf16Mixed : Precision::kFp16Mixed;
  s.optimizer = ModelOptimizer(c.optimizer);
  s.batch_size_per_device = c.batch;
  s.gradient_accumulation_steps = c.accum;
  s.seq_len = c.seq;
  s.gradient_checkpointing = c.grad_ckpt;
  // PyTorch SDPA picks a memory-efficient kernel on every CUDA GPU the stacks
  // support; FlashAttention 2 where the card has it. Both keep attention
  // memory linear in the sequence.
  s.flash_attention = true;
  s.lora_r = c.lora_r;
  s.lora_target = ModelTarget(c.lora_target);
  s.num_gpus = ctx.num_gpus;
  s.sharding = ctx.num_gpus > 1 ? Sharding::kDdp : Sharding::kNone;
  s.eval_batch_size = c.batch;
  s.nf4_double_quant = c.adapter == "qlora";  // the response sets bnb_4bit_use_double_quant
  s.sequences_per_example = ctx.sequences_per_example;
  s.reference_model = ctx.dpo && c.adapter == "none";
  return s;
}

struct FitResult {
  MemoryEstimate estimate;
  double limit_gb = 0;
  double peak_gb = 0;  // max of the training and evaluation peaks
  bool fits = false;
};

FTCONFIG_NOINLINE FitResult Check(const Candidate& c, const Context& ctx) {
  FitResult r;
  r.estimate = EstimateMemory(ctx.arch, ToSetup(c, ctx));
  if (ctx.calibration) ctx.calibration->ApplyMemory(&r.estimate);
  r.limit_gb = ctx.gpu->usable_vram_gb * Engine::kFitFraction;
  r.peak_gb = std::max(r.estimate.peak_gb, r.estimate.eval_peak_gb);
  r.fits = r.peak_gb <= r.limit_gb;
  return r;
}

// The OOM-safe search. Order (each step only when the previous ones are
// exhausted): halve the per-device batch while doubling accumulation (the
// effective batch is kept); shorten the sequence down to 512; enable gradient
// checkpointing; shorten the sequence down to 128; switch full fine-tuning
// to an 8-bit optimizer, then to pure bf16 weights (no fp32 master copy, as
// LLaMA-Factory's pure_bf16 does) on GPUs with bf16; switch LoRA to QLoRA
// when allowed and supported.
struct SearchOutcome {
  Candidate cand;
  FitResult fit;
  std::vector<std::string> steps;
};

SearchOutcome Search(Candidate c, const Context& ctx, bool allow_qlora) {
  SearchOutcome out;
  for (int guard = 0; guard < 64; ++guard) {
    FitResult f = Check(c, ctx);
    if (f.fits) {
      out.cand = c;
      out.fit = f;
      return out;
    }
    char buf[200];
    if (c.batch > 1) {
      c.batch /= 2;
      c.accum *= 2;
      std::snprintf(buf, sizeof buf, "batch_size_per_device lowered to %d with gradient_accumulation_steps %d "
                    "(estimated %.1f GB > limit %.1f GB)", c.batch, c.accum, f.peak_gb, f.limit_gb);
    } else if (c.seq > 512) {
      c.seq = std::max(512, c.seq / 2);
      std::snprintf(buf, sizeof buf, "max_seq_length shortened to %d (estimated %.1f GB > limit %.1f GB)", c.seq,
                    f.peak_gb, f.limit_gb);
    } else if (!c.grad_ckpt) {
      c.grad_ckpt = true;
      std::snprintf(buf, sizeof buf, "gradient_checkpointing enabled (estimated %.1f GB > limit %.1f GB)",
                    f.peak_gb, f.limit_gb);
    } else if (c.seq > 128) {
      c.seq = std::max(128, c.seq / 2);
      std::snprintf(buf, sizeof buf, "max_seq_length shortened to %d (estimated %.1f GB > limit %.1f GB)", c.seq,
                    f.peak_gb, f.limit_gb);
    } else if (c.adapter == "none" && c.optimizer != "adamw_8bit" && c.optimizer != "paged_adamw_8bit" &&
               ctx.gpu->bnb_4bit) {
      c.optimizer = "paged_adamw_8bit";
      std::snprintf(buf, sizeof buf, "optimizer switched to 8-bit paged AdamW (estimated %.1f GB > limit %.1f GB)",
                    f.peak_gb, f.limit_gb);
    } else if (c.adapter == "none" && ctx.gpu->bf16 && !c.pure_bf16 && !c.fp32) {
      c.pure_bf16 = true;
      std::snprintf(buf, sizeof buf, "pure bf16 training: weights and optimizer math in bf16 without an fp32 master "
                    "copy (estimated %.1f GB > limit %.1f GB)", f.peak_gb, f.limit_gb);
    } else if (c.adapter == "lora" && allow_qlora && ctx.gpu->bnb_4bit) {
      c.adapter = "qlora";
      if (c.optimizer == "adamw") c.optimizer = "paged_adamw_8bit";
      std::snprintf(buf, sizeof buf, "switched LoRA to QLoRA (4-bit NF4 base weights; estimated %.1f GB > limit %.1f GB)",
                    f.peak_gb, f.limit_gb);
    } else {
      out.cand = c;
      out.fit = f;
      return out;  // does not fit
    }
    out.steps.push_back(buf);
  }
  out.cand = c;
  out.fit = Check(c, ctx);
  return out;
}

// A corpus config as written, applied to the request's model and GPU.
FTCONFIG_NOINLINE Candidate FromRecord(const ConfigRecord& r, const std::string& adapter, const Gpu& gpu) {
  Candidate c;
  c.adapter = adapter;
  c.batch = r.batch_size_per_device;
  c.accum = r.gradient_accumulation_steps;
  c.seq = r.max_seq_length.value_or(1024);
  c.grad_ckpt = r.gradient_checkpointing.value_or(true);
  c.lora_r = r.lora_r.value_or(16);
  c.lora_target = r.lora_target.empty() ? "all_linear" : r.lora_target;
  c.optimizer = r.optimizer.empty() ? "adamw" : r.optimizer;
  c.bf16 = gpu.bf16;
  return c;
}

// Memory headroom of a candidate as a fraction of usable memory (negative:
// it does not fit as written).
FTCONFIG_NOINLINE double Headroom(const Candidate& c, const Context& ctx) {
  FitResult f = Check(c, ctx);
  return (f.limit_gb - f.peak_gb) / ctx.gpu->usable_vram_gb;
}

// The members whose config, as written, fits the request's model and GPU.
FTCONFIG_NOINLINE std::vector<size_t> FitsAsWritten(const std::vector<ConfigRecord>& recs,
                                                    const std::vector<size_t>& members, const std::string& adapter,
                                                    const Context& ctx) {
  std::vector<size_t> out;
  for (size_t i : members)
    if (Check(FromRecord(recs[i], adapter, *ctx.gpu), ctx).fits) out.push_back(i);
  return out;
}

// Weighted median of (value, weight) pairs by the profiles' convention (the
// first value whose cumulative weight passes half; exactly half: the mean of
// it and the next). Callers pass log learning rates, so a tie is a geometric
// mean.
double WeightedMedianOf(std::vector<std::pair<double, double>> vw) {
  std::sort(vw.begin(), vw.end());
  double total = 0;
  for (const auto& p : vw) total += p.second;
  double cum = 0;
  for (size_t i = 0; i < vw.size(); ++i) {
    cum += vw[i].second;
    if (cum > total / 2 + 1e-12 * total) return vw[i].first;
    if (std::fabs(cum - total / 2) <= 1e-12 * total)
      return i + 1 < vw.size() ? (vw[i].first + vw[i + 1].first) / 2 : vw[i].first;
  }
  return vw.empty() ? 0 : vw.back().first;
}

// The learning rate by source vote: each source repository among `members`
// proposes the weighted median (log space) of its own learning rates, and the
// answer is the median (log space) of those proposals, one vote per
// repository. Learning rates follow framework conventions (one repository's
// recipes share one: Axolotl's 2e-5 for full fine-tuning, Unsloth's 2e-4 for
// LoRA), so a repository with many similar configs must not outvote the
// others: an unseen practitioner is closest to the convention most
// repositories share. `sources` receives the number of votes. Returns 0 when
// no member has a learning rate.
FTCONFIG_NOINLINE double SourceVoteLearningRate(const std::vector<ConfigRecord>& recs, const std::vector<size_t>& members,
                              const std::vector<double>& weights, int* sources) {
  std::map<std::string, std::vector<std::pair<double, double>>> by_source;
  for (size_t k = 0; k < members.size(); ++k) {
    const ConfigRecord& r = recs[members[k]];
    if (!(r.learning_rate > 0) || !(weights[k] > 0)) continue;
    by_source[r.source_repo].push_back({std::log10(r.learning_rate), weights[k]});
  }
  std::vector<std::pair<double, double>> proposals;
  for (auto& [repo, vw] : by_source) proposals.push_back({WeightedMedianOf(vw), 1.0});
  if (sources) *sources = static_cast<int>(proposals.size());
  if (proposals.empty()) return 0;
  return std::pow(10.0, WeightedMedianOf(proposals));
}

// Hyperparameter distance between two configs, for MMR diversity: learning
// rate in log10, effective batch, rank and sequence in log2.
FTCONFIG_NOINLINE double ConfigDistance(const ConfigRecord& a, const ConfigRecord& b) {
  double d = std::fabs(std::log10(a.learning_rate / b.learning_rate));
  d += 0.25 * std::fabs(std::log2(std::max(1, a.effective_batch_size) / double(std::max(1, b.effective_batch_size))));
  if (a.lora_r && b.lora_r) d += 0.25 * std::fabs(std::log2(double(*a.lora_r) / *b.lora_r));
  if (a.max_seq_length && b.max_seq_length) d += 0.25 * std::fabs(std::log2(double(*a.max_seq_length) / *b.max_seq_length));
  if (a.model_name != b.model_name) d += 0.2;
  return d;
}

json BreakdownJson(const MemoryBreakdown& b) {
  return json{{"weights", Round3(b.weights_gb)},         {"adapters", Round3(b.adapters_gb)},
              {"gradients", Round3(b.gradients_gb)},     {"optimizer", Round3(b.optimizer_gb)},
              {"activations", Round3(b.activations_gb)}, {"logits", Round3(b.logits_gb)},
              {"overhead", Round3(b.overhead_gb)}};
}

// Average tokens per training example when the dataset does not say. Alpaca-
// style instruction data averages a few hundred tokens per example with Llama
// tokenizers; 300 is used and reported as an assumption.
constexpr double kDefaultTokensPerExample = 300;
// Training-set size when the request gives none (reported as an assumption).
constexpr double kDefaultDatasetSize = 10000;

}  // namespace

double ConfigHeadroom(const ConfigRecord& config, const ModelArch& arch, const Gpu& gpu, int num_gpus,
                      const std::string& task_type, const std::string& adapter_type) {
  Context ctx{&gpu, std::max(1, num_gpus), arch, IsPreferenceTask(task_type) ? 2 : 1, task_type == "preference_dpo"};
  return Headroom(FromRecord(config, adapter_type, gpu), ctx);
}

const char* Engine::Version() { return FTCONFIG_VERSION; }

Result<std::shared_ptr<const Engine>> Engine::Create(const EngineData& data) {
  std::shared_ptr<Engine> e(new Engine());
  FTCONFIG_ASSIGN_OR_RETURN(catalog, Catalog::Load(data.catalog));
  e->catalog_ = std::move(catalog);
  if (!data.corpus_snapshot_json.empty()) {
    json snap = internal::ParseJson(data.corpus_snapshot_json);
    if (snap.is_discarded())
      return Error{ErrorCode::kDataError, "corpus_snapshot",
                   "the corpus snapshot is not valid JSON: " + JsonSyntaxError(data.corpus_snapshot_json)};
    FTCONFIG_ASSIGN_OR_RETURN(corpus, Corpus::FromSnapshot(snap));
    e->corpus_ = std::move(corpus);
  } else {
    FTCONFIG_ASSIGN_OR_RETURN(corpus, Corpus::Build(data.corpus, e->catalog_));
    e->corpus_ = std::move(corpus);
  }
  e->profiles_ = ProfileTable::Build(e->corpus_);
  auto load_artifact = [](const std::string& text, const char* what) -> Result<json> {
    json j = internal::ParseJson(text);
    if (j.is_discarded())
      return Error{ErrorCode::kDataError, what, std::string(what) + " is not valid JSON: " + JsonSyntaxError(text)};
    return j;
  };
  if (!data.reranker_json.empty()) {
    FTCONFIG_ASSIGN_OR_RETURN(j, load_artifact(data.reranker_json, "reranker"));
    FTCONFIG_ASSIGN_OR_RETURN(model, Reranker::Load(j));
    e->reranker_ = std::move(model);
  }
  if (!data.hp_predictor_json.empty()) {
    FTCONFIG_ASSIGN_OR_RETURN(j, load_artifact(data.hp_predictor_json, "hp_predictor"));
    FTCONFIG_ASSIGN_OR_RETURN(model, HpPredictor::Load(j));
    e->hp_predictor_ = std::move(model);
  }
  if (!data.calibration_json.empty()) {
    FTCONFIG_ASSIGN_OR_RETURN(cal, Calibration::Load(data.calibration_json));
    e->calibration_ = std::move(cal);
  }
  if (!(data.mmr_lambda >= 0 && data.mmr_lambda <= 1))
    return Error{ErrorCode::kInvalidValue, "mmr_lambda", "mmr_lambda must be between 0 and 1"};
  e->mmr_lambda_ = data.mmr_lambda;
  return std::shared_ptr<const Engine>(std::move(e));
}

Result<json> Engine::Recommend(const std::string& request_json) const {
  FTCONFIG_ASSIGN_OR_RETURN(req, ParseRequest(request_json));
  return Recommend(req);
}

Result<json> Engine::Recommend(const Request& req) const {
  std::vector<std::string> warnings, clamps, assumptions;
  json conf_reasons = json::array();
  double confidence = 1.0;
  auto penalize = [&](double amount, const std::string& reason) {
    confidence -= amount;
    conf_reasons.push_back(reason);
  };

  // ---- GPU and platform
  const Platform* platform = nullptr;
  const Plan* plan = nullptr;
  if (!req.platform.empty()) {
    FTCONFIG_ASSIGN_OR_RETURN(p, catalog_.FindPlatform(req.platform));
    platform = p;
    if (req.plan.empty()) {
      if (platform->plans.size() == 1) {
        plan = &platform->plans[0];
      } else {
        std::string ids;
        for (const auto& pl : platform->plans) ids += (ids.empty() ? "\"" : ", \"") + pl.id + "\"";
        return Error{ErrorCode::kMissingField, "plan",
                     "platform \"" + platform->id + "\" has several plans; give \"plan\": one of " + ids};
      }
    } else {
      FTCONFIG_ASSIGN_OR_RETURN(pl, catalog_.FindPlan(*platform, req.plan));
      plan = pl;
    }
  } else if (!req.plan.empty()) {
    return Error{ErrorCode::kMissingField, "platform", "\"plan\" needs a \"platform\""};
  }
  const Gpu* gpu = nullptr;
  if (!req.gpu_override.empty()) {
    FTCONFIG_ASSIGN_OR_RETURN(g, catalog_.FindGpu(req.gpu_override, "gpu_override"));
    gpu = g;
    if (plan && !plan->gpu.empty() && plan->gpu != gpu->id)
      warnings.push_back("gpu_override \"" + gpu->name + "\" replaces the plan's " + plan->gpu +
                         "; price and session limits of the plan may not apply");
  } else if (plan && !plan->gpu.empty()) {
    gpu = catalog_.GpuById(plan->gpu);
  } else if (plan) {
    return Error{ErrorCode::kMissingField, "gpu_override",
                 "platform \"" + platform->id + "\" plan \"" + plan->id + "\" needs \"gpu_override\" naming your GPU"};
  } else {
    return Error{ErrorCode::kMissingField, "platform",
                 "give \"platform\" and \"plan\" (see ftconfig catalog platforms) or \"gpu_override\""};
  }
  if (!gpu->cuda)
    return Error{ErrorCode::kUnsupported, req.gpu_override.empty() ? "plan" : "gpu_override",
                 gpu->name + " is not a CUDA GPU; ftconfig's dependency stacks and estimates cover NVIDIA CUDA GPUs only"};
  int num_gpus = req.num_gpus.value_or(plan && (req.gpu_override.empty() || plan->gpu == gpu->id) ? plan->gpu_count : 1);

  // ---- model
  ModelArch arch;
  std::string model_id = req.model;
  std::string model_source;
  if (!req.model.empty()) {
    if (const Model* m = catalog_.FindModel(req.model)) {
      arch = m->arch;
      model_id = m->id;
      model_source = "catalog";
    } else if (req.model_arch || req.model_params_b) {
      model_source = req.model_arch ? "architecture" : "params";
    } else {
      auto close = catalog_.ClosestModelNames(req.model);
      std::string list;
      for (const auto& c : close) list += (list.empty() ? "\"" : ", \"") + c + "\"";
      return Error{ErrorCode::kUnknownModel, "model",
                   "unknown model \"" + req.model + "\"; closest known: " + list +
                       ". Give \"model_params_b\" (billions of parameters) to use a model outside the catalog"};
    }
  } else if (req.model_arch) {
    model_source = "architecture";
  } else if (req.model_params_b) {
    model_source = "params";
  } else if (!req.model_size_bucket.empty()) {
    model_source = "size_bucket";
  } else {
    return Error{ErrorCode::kMissingField, "model",
                 "give \"model\" (a catalog id or alias), or \"model_params_b\", or \"model_size_bucket\""};
  }
  if (model_source == "architecture") {
    arch = *req.model_arch;
    if (req.model_params_b) arch.params_b = *req.model_params_b;
    else {
      // Parameters from the given shape: embeddings + per-layer attention and MLP.
      double h = arch.hidden_size, kv = arch.num_kv_heads * std::max(1, arch.head_dim);
      double attn = h * h * 2 + h * kv * 2;
      double mlp = (arch.gated_mlp ? 3.0 : 2.0) * h * arch.intermediate_size;
      arch.params_b = (arch.num_layers * (attn + mlp) + h * arch.vocab_size * (arch.tie_word_embeddings ? 1 : 2)) / 1e9;
    }
    penalize(0.05, "model architecture given by hand, not from the catalog");
  } else if (model_source == "params") {
    arch = TypicalArchForParams(*req.model_params_b);
    penalize(0.1, "model not in the catalog: a typical architecture for " + std::to_string(*req.model_params_b).substr(0, 5) +
                      "B parameters was assumed");
  } else if (model_source == "size_bucket") {
    // The largest model of the bucket, so the answer is safe for any member.
    double p = req.model_size_bucket == "small" ? 1.0 : req.model_size_bucket == "medium" ? 7.5 : 13.0;
    arch = TypicalArchForParams(p);
    penalize(0.25, "only the size bucket is known: sized for a " + std::to_string(static_cast<int>(p * 10) / 10.0).substr(0, 4) +
                       "B model, the largest typical of \"" + req.model_size_bucket + "\"");
    if (req.model_size_bucket == "large")
      warnings.push_back("\"large\" covers everything above 7B; estimates assume 13B — give the model for a real answer");
  }
  if (arch.architecture != "decoder")
    penalize(0.1, "the memory model and the corpus are built for decoder-only models; this is " + arch.architecture);

  // ---- task and adapter
  std::string task = catalog_.CanonicalTask(req.task_type);
  if (task.empty()) {
    std::string ids;
    for (const auto& t : catalog_.tasks()) ids += (ids.empty() ? "\"" : ", \"") + t.id + "\"";
    return Error{ErrorCode::kUnknownTask, "task_type", "unknown task \"" + req.task_type + "\"; expected one of " + ids};
  }
  std::string adapter = req.adapter_type;
  if (adapter == "qlora" && !gpu->bnb_4bit) {
    warnings.push_back(gpu->name + " has no bitsandbytes 4-bit support: QLoRA replaced by LoRA");
    adapter = "lora";
  }

  // ---- profile and safe pool
  std::string bucket = SizeBucket(arch.params_b);
  GroupKey key{task, bucket, adapter};
  ProfileMatch match = profiles_.Lookup(key);
  bool task_in_corpus = false;
  for (const auto& r : corpus_.records())
    if (r.task_type == task) { task_in_corpus = true; break; }
  const TaskType* task_info = catalog_.TaskById(task);
  bool ood_task = !task_in_corpus || (task_info && !task_info->corpus_supported);
  switch (match.level) {
    case FallbackLevel::kExact: break;
    case FallbackLevel::kTaskAdapter:
      penalize(0.15, "no exact profile for " + key.ToString() + ": used the same task and adapter across model sizes (" + match.group + ")");
      break;
    case FallbackLevel::kAdapterSize:
      penalize(0.25, "no profile for task \"" + task + "\" with " + adapter + ": used the same adapter and model size (" + match.group + ")");
      break;
    case FallbackLevel::kGlobal:
      penalize(0.4, "no close profile: used the global " + match.group + " profile");
      break;
  }
  if (ood_task) penalize(0.3, "task \"" + task + "\" has no direct support in the corpus");
  if (match.profile.weight_sum < 8)
    penalize(0.1, "thin profile: " + std::to_string(match.profile.count) + " configs from " +
                      std::to_string(match.profile.sources) + " source(s)");

  Context ctx{gpu, num_gpus, arch, IsPreferenceTask(task) ? 2 : 1, task == "preference_dpo"};
  ctx.calibration = &calibration_;
  TierCaps caps = CapsFor(*gpu);

  // Safe pool: the profile's configs that would fit this GPU as written
  // (their batch and sequence, with the requested model).
  std::vector<size_t> safe = FitsAsWritten(corpus_.records(), match.profile.members, adapter, ctx);
  Profile pool = match.profile;
  bool safe_pool_used = false;
  if (!safe.empty()) {
    pool = Summarize(corpus_.records(), safe);
    safe_pool_used = true;
  } else {
    penalize(0.1, "none of the profile's " + std::to_string(match.profile.count) +
                      " configs fits this GPU as written: values come from the whole profile, then the clamps");
  }

  // ---- strategy
  std::string used = "deterministic";
  std::string why_strategy;
  bool have_reranker = reranker_.has_value();
  json strategy_decision;  // strategy "auto" only: the learning brain's decision (brain.h)
  if (req.strategy == "auto") {
    used = have_reranker ? "hybrid_ml" : "hybrid";
    why_strategy = have_reranker ? "auto: a trained reranker is loaded, so hybrid_ml ran"
                                 : "auto: no trained reranker is loaded, so the hybrid ranking ran";
    BrainDecision d = DecideStrategy(req.evidence ? &*req.evidence : nullptr, {task, req.adapter_type, bucket},
                                     used, have_reranker);
    if (d.applied) used = d.chosen, why_strategy = "auto, learning brain: " + d.reason;
    strategy_decision = DecisionJson(d);
  } else if (req.strategy == "hybrid_ml" && !have_reranker) {
    used = "hybrid";
    why_strategy = "hybrid_ml requested but no reranker artifact is loaded: fell back to hybrid";
  } else {
    used = req.strategy;
    why_strategy = "requested";
  }

  QueryContext query;
  query.task_type = task;
  query.size_bucket = bucket;
  query.adapter_type = adapter;
  if (const Model* m = catalog_.FindModel(model_id)) query.family = m->family;
  query.params_b = arch.params_b;
  query.seq_len = req.max_seq_length.value_or(0);
  query.gpu_usable_gb = gpu->usable_vram_gb;
  query.dataset_size = req.dataset_size.value_or(0);
  query.num_gpus = num_gpus;

  // Ranking (hybrid, hybrid_ml): every corpus config with a compatible
  // adapter (LoRA and QLoRA rank together; full fine-tuning alone), scored
  // by the heuristic; hybrid_ml re-scores the heuristic's top 50 with the
  // reranker. The top k, weighted by score, replace the profile as the pool.
  std::string source_label = safe_pool_used ? "safe pool of the profile" : "profile";
  json candidates = json::array();
  constexpr size_t kTopK = 10;
  constexpr size_t kRerankDepth = 50;
  double lr_vote = 0;
  int lr_vote_sources = 0;
  std::string lr_vote_scope = "compatible configs";
  // Out of line (outline.h): the loops over the corpus stay out of Recommend.
  if (used == "hybrid" || used == "hybrid_ml") [&]() FTCONFIG_NOINLINE {
    struct Scored { size_t idx; double score; double headroom; };
    std::vector<Scored> ranked;
    const auto& recs = corpus_.records();
    // Two passes: similarity with neutral efficiency for every compatible
    // config, then the memory model only for the best kShortlist of them
    // (estimating all ~400 would dominate the request's latency).
    constexpr size_t kShortlist = 60;
    // Each loop below in a function of its own (outline.h).
    [&]() FTCONFIG_NOINLINE {
      for (size_t i = 0; i < recs.size(); ++i) {
        const ConfigRecord& r = recs[i];
        bool compatible = adapter == "none" ? r.adapter_type == "none" : r.adapter_type != "none";
        if (!compatible) continue;
        ranked.push_back({i, HeuristicScore(query, r, 0.0, hybrid_weights_), 0.0});
      }
    }();
    auto by_score = [](const Scored& a, const Scored& b) {
      return a.score != b.score ? a.score > b.score : a.idx < b.idx;
    };
    std::sort(ranked.begin(), ranked.end(), by_score);
    std::vector<Scored> beyond_shortlist;
    if (ranked.size() > kShortlist) {
      beyond_shortlist.assign(ranked.begin() + kShortlist, ranked.end());
      ranked.resize(kShortlist);
    }
    for (auto& sc : ranked) {
      sc.headroom = Headroom(FromRecord(recs[sc.idx], adapter, *gpu), ctx);
      sc.score = HeuristicScore(query, recs[sc.idx], sc.headroom, hybrid_weights_);
    }
    std::sort(ranked.begin(), ranked.end(), by_score);
    if (used == "hybrid_ml" && !ranked.empty()) {
      size_t depth = std::min(kRerankDepth, ranked.size());
      for (size_t k = 0; k < depth; ++k)
        ranked[k].score = reranker_->Score(PairFeatures(query, recs[ranked[k].idx], ranked[k].headroom));
      // Squash learned scores to (0, 1) so they can weigh medians.
      for (size_t k = 0; k < depth; ++k) ranked[k].score = 1.0 / (1.0 + std::exp(-ranked[k].score));
      std::sort(ranked.begin(), ranked.begin() + depth, by_score);
    }
    // The learning rate: a source vote over every compatible config, each
    // weighted by its final score (the shortlist's scores with memory
    // headroom and, for hybrid_ml, the reranker's; the first-pass similarity
    // beyond it). A learning rate does not change memory, so configs that do
    // not fit as written vote too. Full-parameter preference tuning (DPO,
    // ORPO, reward models) runs at learning rates 10-100x below full SFT in
    // most recipes: its vote is among configs of the same task when two or
    // more repositories have them.
    [&]() FTCONFIG_NOINLINE {
      std::vector<Scored> all = ranked;
      all.insert(all.end(), beyond_shortlist.begin(), beyond_shortlist.end());
      std::set<std::string> same_task_sources;
      if (adapter == "none" && IsPreferenceTask(task))
        for (const auto& sc : all)
          if (recs[sc.idx].task_type == task) same_task_sources.insert(recs[sc.idx].source_repo);
      const bool same_task_only = same_task_sources.size() >= 2;
      std::vector<size_t> members;
      std::vector<double> w;
      for (const auto& sc : all) {
        if (same_task_only && recs[sc.idx].task_type != task) continue;
        members.push_back(sc.idx);
        w.push_back(std::max(sc.score, 1e-3));
      }
      lr_vote = SourceVoteLearningRate(recs, members, w, &lr_vote_sources);
      if (same_task_only) lr_vote_scope = "full-parameter " + task + " configs";
    }();
    // Neighbours that do not fit as written still inform the learning rate,
    // but prefer those that fit when there are enough of them.
    std::vector<size_t> top;
    std::vector<double> top_w;
    for (const auto& sc : ranked)
      if (sc.headroom >= 0 && top.size() < kTopK) top.push_back(sc.idx), top_w.push_back(std::max(sc.score, 1e-3));
    if (top.size() < 3)
      for (const auto& sc : ranked)
        if (sc.headroom < 0 && top.size() < kTopK) top.push_back(sc.idx), top_w.push_back(std::max(sc.score, 1e-3));
    if (!top.empty()) {
      pool = Summarize(recs, top, &top_w);
      source_label = "score-weighted top " + std::to_string(top.size()) + " neighbours (" + used + ")";
    }
    // Alternatives for people: maximal marginal relevance over the top 30,
    // so that the list differs meaningfully (lambda = relevance weight).
    [&]() FTCONFIG_NOINLINE {
      std::vector<size_t> shortlist;
      for (size_t k = 0; k < ranked.size() && k < 30; ++k) shortlist.push_back(k);
      std::vector<size_t> chosen;
      while (chosen.size() < 5 && chosen.size() < shortlist.size()) {
        double best_v = -1e18;
        size_t best_k = 0;
        for (size_t k : shortlist) {
          if (std::find(chosen.begin(), chosen.end(), k) != chosen.end()) continue;
          double max_sim = 0;
          for (size_t c2 : chosen)
            max_sim = std::max(max_sim, std::exp(-ConfigDistance(recs[ranked[k].idx], recs[ranked[c2].idx])));
          double v = mmr_lambda_ * ranked[k].score - (1 - mmr_lambda_) * max_sim;
          if (v > best_v) best_v = v, best_k = k;
        }
        chosen.push_back(best_k);
      }
      for (size_t k : chosen) {
        const ConfigRecord& r = recs[ranked[k].idx];
        json c = {{"rank", candidates.size() + 1}, {"id", r.id}, {"source_repo", r.source_repo},
                  {"source_path", r.source_path}, {"model_name", r.model_name}, {"task_type", r.task_type},
                  {"adapter_type", r.adapter_type}, {"score", Round3(ranked[k].score)},
                  {"learning_rate", r.learning_rate}, {"effective_batch_size", r.effective_batch_size},
                  {"batch_size_per_device", r.batch_size_per_device},
                  {"max_seq_length", r.max_seq_length ? json(*r.max_seq_length) : json(nullptr)},
                  {"lora_r", r.lora_r ? json(*r.lora_r) : json(nullptr)},
                  {"fits_as_written", ranked[k].headroom >= 0}};
        candidates.push_back(c);
      }
    }();
  }();

  // ---- base values
  Candidate c;
  c.adapter = adapter;
  c.bf16 = gpu->bf16;
  c.fp32 = gpu->compute_capability < 6.0;
  int effective = NearestPow2(pool.effective_batch_median, 1, 1024);
  effective = std::max(effective, num_gpus);
  int seq = req.max_seq_length.value_or(NearestPow2(pool.seq_len_median.value_or(1024), 128, 32768));
  c.grad_ckpt = pool.gradient_checkpointing_mode.value_or(true);
  c.lora_r = NearestPow2(pool.lora_r_median.value_or(16), 4, 512);
  double alpha_ratio = (pool.lora_alpha_median && pool.lora_r_median && *pool.lora_r_median > 0)
                           ? *pool.lora_alpha_median / *pool.lora_r_median
                           : 2.0;
  // Snap to the ratios practitioners use (alpha = r/2, r, 2r or 4r).
  alpha_ratio = std::pow(2.0, std::clamp(std::round(std::log2(std::max(alpha_ratio, 1e-3))), -1.0, 2.0));
  c.lora_target = pool.lora_target_mode.empty() ? "all_linear" : pool.lora_target_mode;
  std::string optimizer = pool.optimizer_mode;
  if (optimizer.empty() || optimizer == "other") optimizer = adapter == "qlora" ? "paged_adamw_8bit" : "adamw";
  if ((optimizer == "adamw_8bit" || optimizer.rfind("paged", 0) == 0) && !gpu->bnb_4bit) optimizer = "adamw";
  c.optimizer = optimizer;
  double lr = pool.lr_median;
  std::string lr_why = "weighted median of the " + source_label + " (" + std::to_string(pool.count) + " configs, " +
                       match.group + ")";
  if (used == "deterministic" && match.profile.lr_median > 0) {
    // The learning rate does not change memory: all the profile's configs
    // inform it, not only those that fit this GPU as written.
    lr = match.profile.lr_median;
    lr_why = "weighted median of the profile " + match.group + " (" + std::to_string(match.profile.count) + " configs)";
  }
  if (lr_vote > 0) {
    lr = lr_vote;
    lr_why = "median of " + std::to_string(lr_vote_sources) + " source repositories' learning rates (each its " +
             "score-weighted median over the " + lr_vote_scope + " ranked for this request)";
  }
  json provenance = json::object();
  std::string base_source = (used == "hybrid" || used == "hybrid_ml") ? "neighbours" : "profile_median";
  for (const char* k : {"learning_rate", "effective_batch_size", "max_seq_length", "lora_r", "lora_alpha", "num_epochs",
                        "optimizer", "lr_scheduler", "warmup_ratio", "weight_decay", "lora_dropout", "lora_target"})
    provenance[k] = base_source;
  provenance["precision"] = "gpu";
  provenance["batch_size_per_device"] = "search";
  provenance["gradient_accumulation_steps"] = "search";
  if (req.max_seq_length) provenance["max_seq_length"] = "request";

  // Direct hyperparameter predictor: the effective batch and LoRA rank are
  // blended conservatively (geometric mean with the baseline), only when its
  // interval is informative, and always followed by the clamps and the
  // OOM-safe search.
  json predictor_json = nullptr;
  if (hp_predictor_ && used == "hybrid_ml") {
    auto preds = hp_predictor_->Predict(QueryFeatures(query));
    predictor_json = json::object();
    for (const auto& [name, p] : preds)
      predictor_json[name] = {{"value", p.value}, {"lo", p.lo}, {"hi", p.hi}};
    auto informative = [](const HpPredictor::Prediction& p) { return p.value > 0 && p.lo > 0 && p.hi / p.lo <= 30; };
    // The learning rate is reported (hp_predictions) but not blended: held
    // out, the predictor's learning rate lands within 3x of the
    // practitioner's less often than the source vote (docs/ranking.md), and a
    // geometric mean of two conventions (2e-5 and 2e-4) matches neither.
    if (auto it = preds.find("effective_batch_size"); it != preds.end() && informative(it->second)) {
      effective = std::max(num_gpus, NearestPow2(std::sqrt(effective * it->second.value), 1, 1024));
      provenance["effective_batch_size"] = "predictor";
    }
    if (adapter != "none")
      if (auto it = preds.find("lora_r"); it != preds.end() && informative(it->second)) {
        c.lora_r = NearestPow2(std::sqrt(c.lora_r * it->second.value), 4, 512);
        provenance["lora_r"] = "predictor";
      }
  }

  // ---- clamps by GPU tier, fallback level and OOD
  auto clamp_int = [&](int& v, int cap, const std::string& name, const std::string& why) {
    if (v > cap) {
      provenance[name] = "clamp";
      clamps.push_back(name + " " + std::to_string(v) + " -> " + std::to_string(cap) + " (" + why + ")");
      v = cap;
    }
  };
  int max_pos = arch.max_position_embeddings > 0 ? arch.max_position_embeddings : 1048576;
  if (req.max_seq_length && *req.max_seq_length > max_pos)
    warnings.push_back("max_seq_length " + std::to_string(*req.max_seq_length) + " exceeds the model's context of " +
                       std::to_string(max_pos));
  clamp_int(seq, max_pos, "max_seq_length", "model context length");
  clamp_int(seq, caps.max_seq, "max_seq_length", "GPU tier " + gpu->tier + " cap");
  clamp_int(c.lora_r, caps.max_rank, "lora_r", "GPU tier " + gpu->tier + " cap");
  int batch_cap = caps.max_batch;
  if (match.level >= FallbackLevel::kAdapterSize) {
    // Conservative caps when the profile is not specific to this task.
    clamp_int(seq, 1024, "max_seq_length", "fallback profile: conservative cap");
    clamp_int(c.lora_r, 16, "lora_r", "fallback profile: conservative cap");
    batch_cap = std::min(batch_cap, 8);
    // The profile's learning rate is lowered to its first quartile; the
    // ranked strategies' learning rate comes from the configs closest to the
    // request, not from this mixed profile, and is kept.
    if (lr > match.profile.lr_q1 && match.profile.lr_q1 > 0 && used == "deterministic") {
      clamps.push_back("learning_rate lowered to the profile's first quartile (fallback profile)");
      provenance["learning_rate"] = "clamp";
      lr = match.profile.lr_q1;
      lr_why = "first quartile of the fallback profile " + match.group + " (conservative)";
    }
  }
  if (ood_task) {
    clamp_int(seq, 512, "max_seq_length", "task without corpus support: strict cap");
    batch_cap = std::min(batch_cap, 4);
  }
  c.seq = seq;
  int per_device_target = std::max(1, effective / num_gpus);
  c.batch = std::min(per_device_target, batch_cap);
  c.batch = NearestPow2(c.batch, 1, batch_cap);
  if (c.batch > per_device_target) c.batch = per_device_target;
  c.accum = std::max(1, per_device_target / c.batch);
  if (c.batch < per_device_target && per_device_target > batch_cap)
    clamps.push_back("batch_size_per_device capped at " + std::to_string(c.batch) + " (GPU tier / fallback cap), "
                     "gradient_accumulation_steps " + std::to_string(c.accum) + " keeps the effective batch");

  // ---- OOM-safe search
  SearchOutcome so = Search(c, ctx, req.allow_qlora);
  for (auto& s : so.steps) clamps.push_back(s);
  Candidate best = so.cand;
  if (best.seq != c.seq) provenance["max_seq_length"] = "search";
  if (best.optimizer != c.optimizer) provenance["optimizer"] = "search";
  if (best.grad_ckpt != c.grad_ckpt) provenance["gradient_checkpointing"] = "search";
  if (best.adapter != c.adapter) provenance["adapter_type"] = "search";
  if (best.pure_bf16) provenance["precision"] = "search";
  FitResult fit = so.fit;

  json resp;
  resp["engine_version"] = Version();
  resp["fits"] = fit.fits;
  resp["request"] = {{"platform", platform ? platform->id : ""}, {"plan", plan ? plan->id : ""},
                     {"model", model_id}, {"model_params_b", Round3(arch.params_b)}, {"model_source", model_source},
                     {"task_type", task}, {"adapter_type", req.adapter_type}, {"strategy", req.strategy}};

  // ---- hyperparameters
  double epochs = pool.epochs_median.value_or(3.0);
  double dataset_size = req.dataset_size.value_or(0);
  std::string epochs_why = "median of the pool";
  if (dataset_size <= 0 && !req.dataset_name.empty())
    if (const DatasetInfo* d = catalog_.FindDataset(req.dataset_name); d && d->num_examples) dataset_size = *d->num_examples;
  if (dataset_size <= 0) {
    dataset_size = kDefaultDatasetSize;
    assumptions.push_back("dataset_size unknown: time and cost assume 10,000 examples");
  }
  // Large datasets need fewer passes; small ones overfit past ~3 epochs.
  if (dataset_size >= catalog_.dataset_medium_max()) { epochs = std::min(epochs, 1.0); epochs_why = "large dataset: one epoch"; }
  else if (dataset_size >= catalog_.dataset_small_max()) { epochs = std::min(epochs, 2.0); epochs_why = "medium dataset: at most two epochs"; }
  else epochs = std::min(epochs, 3.0);
  epochs = std::max(1.0, std::round(epochs));
  double warmup = pool.warmup_ratio_median.value_or(0.03);
  double weight_decay = pool.weight_decay_median.value_or(0.0);
  std::string scheduler = pool.scheduler_mode.empty() || pool.scheduler_mode == "other" || pool.scheduler_mode == "step"
                              ? "cosine" : pool.scheduler_mode;
  std::string precision = best.fp32 ? "fp32" : best.bf16 ? "bf16" : "fp16";
  if (!gpu->bf16) clamps.push_back("precision fp16: " + gpu->name + " has no bf16");
  json hp;
  hp["learning_rate"] = RoundSig2(lr);
  hp["batch_size_per_device"] = best.batch;
  hp["gradient_accumulation_steps"] = best.accum;
  hp["effective_batch_size"] = best.batch * best.accum * num_gpus;
  hp["per_device_eval_batch_size"] = best.batch;
  hp["max_seq_length"] = best.seq;
  hp["num_epochs"] = epochs;
  hp["optimizer"] = HfOptimizer(best.optimizer);
  hp["lr_scheduler"] = scheduler;
  hp["warmup_ratio"] = Round3(warmup);
  hp["weight_decay"] = Round3(weight_decay);
  hp["precision"] = precision;
  hp["gradient_checkpointing"] = best.grad_ckpt;
  hp["pure_bf16"] = best.pure_bf16;
  hp["attn_implementation"] = gpu->flash_attention2 ? "flash_attention_2" : "sdpa";
  hp["adapter_type"] = best.adapter;
  json why;
  why["learning_rate"] = lr_why;
  why["effective_batch_size"] = "median effective batch of the pool (" + std::to_string(static_cast<int>(pool.effective_batch_median)) + "), rounded to a power of two";
  why["batch_size_per_device"] = "largest per-device batch whose estimate fits; accumulation keeps the effective batch";
  why["max_seq_length"] = req.max_seq_length ? "as requested, within the GPU tier and model limits" : "median of the pool within the GPU tier cap";
  why["num_epochs"] = epochs_why;
  why["optimizer"] = "most common optimizer in the pool";
  why["precision"] = best.pure_bf16 ? "pure bf16 (no fp32 master weights): needed to fit full fine-tuning"
                     : gpu->bf16   ? "bf16 mixed precision (supported by this GPU)"
                                   : "fp16 mixed precision: no bf16 on this GPU";
  why["gradient_checkpointing"] = best.grad_ckpt ? "enabled: most pool configs use it or memory needed it" : "off: fits without it, and it costs ~30% speed";
  if (best.adapter != "none") {
    int alpha = static_cast<int>(std::lround(best.lora_r * alpha_ratio));
    hp["lora_r"] = best.lora_r;
    hp["lora_alpha"] = std::max(1, alpha);
    hp["lora_dropout"] = Round3(pool.lora_dropout_median.value_or(0.05));
    hp["lora_target"] = TargetModules(best.lora_target);
    why["lora_r"] = "median rank of the pool, within the GPU tier cap";
    why["lora_alpha"] = "the pool's median alpha/rank ratio (" + std::to_string(alpha_ratio).substr(0, 4) + ") times the rank";
    why["lora_target"] = "most common target set in the pool";
  }
  if (best.adapter == "qlora") {
    hp["load_in_4bit"] = true;
    hp["bnb_4bit_quant_type"] = "nf4";
    hp["bnb_4bit_compute_dtype"] = gpu->bf16 ? "bfloat16" : "float16";
    hp["bnb_4bit_use_double_quant"] = true;
  }
  resp["hyperparameters"] = hp;
  resp["why"] = why;

  // The response's sections, each out of line (outline.h): Liftoff compiles
  // smaller functions faster, and one that does not run is not compiled.
  // ---- GPU and memory
  [&]() FTCONFIG_NOINLINE {
    resp["gpu"] = {{"id", gpu->id}, {"name", gpu->name}, {"count", num_gpus}, {"vram_gb", gpu->vram_gb},
                   {"usable_gb", gpu->usable_vram_gb}, {"compute_capability", gpu->compute_capability},
                   {"bf16", gpu->bf16}, {"flash_attention2", gpu->flash_attention2}};
    const MemoryEstimate& est = fit.estimate;
    resp["vram"] = {{"per_gpu_gb", Round2(est.peak_gb)},
                    {"eval_peak_gb", Round2(est.eval_peak_gb)},
                    {"merge_peak_gb", Round2(est.merge_peak_gb)},
                    {"breakdown", BreakdownJson(est.breakdown)},
                    {"usable_gb", gpu->usable_vram_gb},
                    {"limit_gb", Round2(fit.limit_gb)},
                    {"fit_fraction", kFitFraction},
                    {"margin_gb", Round2(gpu->usable_vram_gb - fit.peak_gb)},
                    {"margin_fraction", Round3((gpu->usable_vram_gb - fit.peak_gb) / gpu->usable_vram_gb)},
                    {"trainable_params_b", Round3(est.trainable_params_b)},
                    {"notes", est.notes}};
    if (fit.fits && (gpu->usable_vram_gb - fit.peak_gb) / gpu->usable_vram_gb < 0.16)
      penalize(0.1, "thin memory margin: the estimate uses most of the GPU");
    if (est.merge_peak_gb > gpu->usable_vram_gb)
      warnings.push_back("merging the adapter into the base weights needs ~" + std::to_string(static_cast<int>(std::ceil(est.merge_peak_gb))) +
                         " GB: merge on CPU or a larger GPU, or keep the adapter separate");

    // ---- time and cost
    ThroughputEstimate tp = EstimateThroughput(arch, ToSetup(best, ctx), *gpu);
    calibration_.ApplyThroughput(&tp);
    double tokens_per_example = kDefaultTokensPerExample;
    if (!req.dataset_name.empty())
      if (const DatasetInfo* d = catalog_.FindDataset(req.dataset_name); d && d->avg_tokens) tokens_per_example = *d->avg_tokens;
    if (tokens_per_example == kDefaultTokensPerExample)
      assumptions.push_back("examples average ~300 tokens (no dataset statistics)");
    tokens_per_example = std::min<double>(tokens_per_example, best.seq) * ctx.sequences_per_example;
    double total_tokens = dataset_size * tokens_per_example * epochs;
    double hours = tp.tokens_per_sec > 0 ? total_tokens / tp.tokens_per_sec / 3600.0 : 0;
    json time = {{"tokens_per_sec", Round2(tp.tokens_per_sec)}, {"hours", Round2(hours)},
                 {"total_tokens", total_tokens}, {"dataset_size", dataset_size}, {"epochs", epochs},
                 {"mfu_assumed", Round3(tp.efficiency)}};
    if (plan && plan->price_per_gpu_hour_usd && (req.gpu_override.empty() || plan->gpu == gpu->id)) {
      time["price_per_gpu_hour_usd"] = *plan->price_per_gpu_hour_usd;
      time["cost_usd"] = Round2(hours * *plan->price_per_gpu_hour_usd * num_gpus);
    } else {
      time["cost_usd"] = nullptr;
    }
    if (plan && plan->session_limit_hours) {
      time["session_limit_hours"] = *plan->session_limit_hours;
      time["fits_session"] = hours <= *plan->session_limit_hours;
      if (hours > *plan->session_limit_hours)
        warnings.push_back("estimated " + std::to_string(hours).substr(0, 5) + " h exceeds the " +
                           std::to_string(*plan->session_limit_hours).substr(0, 4) +
                           " h session limit: save checkpoints (save_steps) and resume, or use fewer examples/epochs");
    } else {
      time["session_limit_hours"] = nullptr;
      time["fits_session"] = nullptr;
    }
    resp["time"] = time;

    // ---- dependencies
    if (const Stack* st = catalog_.SelectStack(*gpu, platform ? platform->id : "")) {
      json deps = st->pins;
      if (!gpu->flash_attention2 && deps.contains("optional") && deps["optional"].is_object())
        deps["optional"].erase("flash-attn");
      resp["dependencies"] = deps;
    } else {
      resp["dependencies"] = nullptr;
      warnings.push_back("no pinned dependency stack matches " + gpu->name);
    }
  }();

  // ---- strategy, profile, diagnostics
  [&]() FTCONFIG_NOINLINE {
    resp["strategy"] = {{"requested", req.strategy}, {"used", used}, {"why", why_strategy},
                        {"reranker", {{"status", reranker_ ? "loaded" : "missing"},
                                      {"version", reranker_ ? json(reranker_->version()) : json(nullptr)},
                                      {"kind", reranker_ ? json(reranker_->kind()) : json(nullptr)}}},
                        {"hp_predictor", {{"status", hp_predictor_ ? "loaded" : "missing"},
                                          {"version", hp_predictor_ ? json(hp_predictor_->version()) : json(nullptr)}}}};
    if (!predictor_json.is_null()) resp["strategy"]["hp_predictions"] = predictor_json;
    if (!strategy_decision.is_null()) resp["strategy_decision"] = strategy_decision;
    resp["candidates"] = candidates;
    resp["provenance"] = provenance;
    resp["profile"] = {{"group", match.group}, {"requested_group", key.ToString()},
                       {"fallback_level", ToString(match.level)}, {"pool_size", match.profile.count},
                       {"pool_weight", Round2(match.profile.weight_sum)}, {"sources", match.profile.sources},
                       {"safe_pool_size", static_cast<int>(safe.size())},
                       {"lr_iqr", {RoundSig2(match.profile.lr_q1), RoundSig2(match.profile.lr_q3)}}};
    json drew_on = json::array();
    for (size_t k = 0; k < std::min<size_t>(5, pool.members.size()); ++k) {
      const ConfigRecord& r = corpus_.records()[pool.members[k]];
      drew_on.push_back({{"id", r.id}, {"source_repo", r.source_repo}, {"source_path", r.source_path}});
    }
    resp["profile"]["examples"] = drew_on;
    resp["diagnostics"] = {{"ood_task", ood_task}, {"task_in_corpus", task_in_corpus}, {"clamps", clamps},
                           {"assumptions", assumptions}, {"search_steps", so.steps.size()}};
  }();

  // ---- does not fit: what would
  if (!fit.fits) [&]() FTCONFIG_NOINLINE {
    json suggestion = nullptr;
    std::vector<const Gpu*> order;
    for (const auto& g : catalog_.gpus())
      if (g.cuda) order.push_back(&g);
    std::stable_sort(order.begin(), order.end(),
                     [](const Gpu* a, const Gpu* b) { return a->usable_vram_gb < b->usable_vram_gb; });
    for (const Gpu* g : order) {
      if (g->usable_vram_gb <= gpu->usable_vram_gb) continue;
      Context c2 = ctx;
      c2.gpu = g;
      Candidate start = c;
      start.bf16 = g->bf16;
      SearchOutcome o = Search(start, c2, req.allow_qlora);
      if (!o.fit.fits) continue;
      suggestion = {{"gpu", g->id}, {"name", g->name}, {"usable_gb", g->usable_vram_gb},
                    {"estimated_gb", Round2(o.fit.peak_gb)}};
      // The cheapest plan offering that GPU (free first).
      const Platform* best_p = nullptr;
      const Plan* best_plan = nullptr;
      for (const auto& p : catalog_.platforms())
        for (const auto& pl : p.plans) {
          if (pl.gpu != g->id) continue;
          double price = pl.price_per_gpu_hour_usd.value_or(1e9);
          double best_price = best_plan ? best_plan->price_per_gpu_hour_usd.value_or(1e9) : 2e9;
          if (price < best_price) best_p = &p, best_plan = &pl;
        }
      if (best_plan) {
        suggestion["platform"] = best_p->id;
        suggestion["plan"] = best_plan->id;
        suggestion["price_per_gpu_hour_usd"] =
            best_plan->price_per_gpu_hour_usd ? json(*best_plan->price_per_gpu_hour_usd) : json(nullptr);
      }
      break;
    }
    std::string msg = "does not fit: even with batch 1, sequence " + std::to_string(best.seq) +
                      ", gradient checkpointing" + (best.adapter == "qlora" ? " and 4-bit weights" : "") +
                      " the estimate is " + std::to_string(fit.peak_gb).substr(0, 5) + " GB against a limit of " +
                      std::to_string(fit.limit_gb).substr(0, 5) + " GB on " + gpu->name;
    if (!suggestion.is_null()) msg += "; the smallest GPU that fits is " + suggestion["name"].get<std::string>();
    if (adapter == "lora" && !req.allow_qlora && gpu->bnb_4bit) msg += "; allowing QLoRA (allow_qlora) may fit";
    resp["does_not_fit"] = {{"message", msg}, {"smallest_fitting", suggestion}};
    warnings.insert(warnings.begin(), msg);
    penalize(1.0, "the configuration does not fit the GPU");
  }();

  confidence = std::clamp(confidence, 0.05, 1.0);
  if (!fit.fits) confidence = 0.0;
  std::string level = confidence >= 0.75 ? "high" : confidence >= 0.5 ? "medium" : "low";
  if (conf_reasons.empty()) conf_reasons.push_back("exact profile with enough configs and a comfortable memory margin");
  resp["confidence"] = {{"score", Round2(confidence)}, {"level", fit.fits ? level : "none"}, {"reasons", conf_reasons}};
  resp["warnings"] = warnings;
  return resp;
}

}  // namespace ftconfig

FTCONFIG_OPTIMIZE_FOR_SIZE_END
