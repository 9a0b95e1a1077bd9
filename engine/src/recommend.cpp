// Engine::Create and Engine::Recommend: the recommendation pipeline's stages
// in order (recommend_internal.h lists them and their files). See docs/api.md
// for the response and docs/recommendation.md for the method.
#include "ftconfig/recommend.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "corpus_index.h"
#include "ftconfig/json_text.h"
#include "json_fast.h"
#include "json_util.h"
#include "outline.h"
#include "recommend_internal.h"

// Runs once per engine or once per answer: optimized for size in WebAssembly (outline.h).
FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN

namespace ftconfig {

namespace internal {

int NearestPow2(double v, int lo, int hi) {
  if (!(v > 0)) return lo;
  int p = 1 << static_cast<int>(std::lround(std::log2(std::min(v, 1e9))));
  return std::clamp(p, lo, hi);
}

std::string Gb(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GB", v);
  return buf;
}

// Learning rates are reported with two significant digits (2e-4, 1.5e-5).
double RoundSig2(double v) {
  if (!(v > 0)) return v;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2g", v);  // via text: 3e-4 stays the double nearest 0.0003
  return std::strtod(buf, nullptr);
}

// Hugging Face TrainingArguments spellings.
std::string HfOptimizer(const std::string& canonical) {
  if (canonical == "adamw_8bit") return "adamw_bnb_8bit";
  if (canonical == "paged_adamw_8bit" || canonical == "paged_adamw_32bit" || canonical == "adafactor" ||
      canonical == "sgd")
    return canonical;
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

namespace {

// Caps by usable memory on what the plan starts from (rank, micro-batch);
// the memory model decides what finally fits.
struct TierCaps {
  int max_rank;
  int max_batch;
};

TierCaps CapsFor(const Gpu& gpu) {
  double u = gpu.usable_vram_gb;
  if (u < 13) return {32, 8};
  if (u < 20) return {64, 16};
  if (u < 30) return {64, 32};
  if (u < 60) return {128, 64};
  return {256, 128};
}

// The configuration the memory plan starts from: the base values, the
// micro-batch as large as the effective batch allows within the tier cap.
Candidate StartCandidate(const Target& t, const Pool& pool, const Values& v) {
  TierCaps caps = CapsFor(*t.gpu);
  Candidate c;
  c.adapter = t.adapter;
  c.bf16 = t.gpu->bf16;
  c.fp32 = t.gpu->compute_capability < 6.0;
  c.seq = v.seq.value;
  c.grad_ckpt = v.grad_ckpt;
  c.lora_r = std::min(v.lora_r.value, caps.max_rank);
  c.lora_target = v.lora_target.value;
  c.optimizer = v.optimizer.value;
  c.distribution = t.num_gpus > 1 ? "ddp" : "none";
  int batch_cap = caps.max_batch;
  if (pool.match.level >= FallbackLevel::kAdapterSize) batch_cap = std::min(batch_cap, 8);
  if (pool.ood_task) batch_cap = std::min(batch_cap, 4);
  int per_device = std::max(1, v.effective_batch.value / t.num_gpus);
  c.batch = NearestPow2(std::min(per_device, batch_cap), 1, batch_cap);
  c.batch = std::min(c.batch, per_device);
  c.accum = std::max(1, per_device / c.batch);
  return c;
}

}  // namespace
}  // namespace internal

namespace {

// The binary snapshot, else the JSON snapshot, else the JSONL files.
Result<Corpus> LoadCorpus(const EngineData& data, const Catalog& catalog) {
  if (!data.corpus_snapshot_binary.empty()) return Corpus::FromBinarySnapshot(data.corpus_snapshot_binary);
  if (data.corpus_snapshot_json.empty()) return Corpus::Build(data.corpus, catalog);
  json snap = internal::ParseJson(data.corpus_snapshot_json);
  if (snap.is_discarded())
    return Error{ErrorCode::kDataError, "corpus_snapshot",
                 "the corpus snapshot is not valid JSON: " + JsonSyntaxError(data.corpus_snapshot_json)};
  return Corpus::FromSnapshot(snap);
}

}  // namespace

const char* Engine::Version() { return FTCONFIG_VERSION; }

Result<std::shared_ptr<const Engine>> Engine::Create(const EngineData& data) {
  std::shared_ptr<Engine> e(new Engine());
  FTCONFIG_ASSIGN_OR_RETURN(catalog, Catalog::Load(data.catalog));
  e->catalog_ = std::move(catalog);
  FTCONFIG_ASSIGN_OR_RETURN(corpus, LoadCorpus(data, e->catalog_));
  e->corpus_ = std::move(corpus);
  e->profiles_ = ProfileTable::Build(e->corpus_);
  e->index_ = std::make_shared<const internal::CorpusIndex>(internal::CorpusIndex::Build(e->corpus_.records()));
  // A distilled corpus answers with what its whole corpus taught.
  e->learned_ = e->corpus_.learned() ? *e->corpus_.learned() : internal::LearnFromCorpus(e->corpus_.records());
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
  using namespace internal;
  FTCONFIG_ASSIGN_OR_RETURN(target, ResolveTarget(catalog_, req));
  Context ctx = MakeContext(*target.gpu, target.num_gpus, target.arch, target.task);
  // The calibration of this context (family x framework x GPU class), with its memory guard.
  const Calibration calibration =
      calibration_.ForContext({target.family.empty() ? "unknown" : target.family, "unknown", GpuClass(target.gpu->tier)});
  ctx.calibration = &calibration;
  // Without a framework the memory model's own defaults (those of the
  // Hugging Face Trainer with PEFT and bitsandbytes) apply.
  if (!req.framework.empty()) ctx.framework = target.framework;
  PoolInputs pool_in{corpus_, *index_, profiles_, reranker_ ? &*reranker_ : nullptr,
                     hp_predictor_ ? &*hp_predictor_ : nullptr, hybrid_weights_, mmr_lambda_};
  Pool pool = BuildPool(pool_in, req, target, ctx);
  Values values = BaseValues(catalog_, *index_, req, target, pool, learned_);
  Candidate start = StartCandidate(target, pool, values);
  PlanOutcome plan = PlanMemory(start, ctx, req.allow_qlora, values.seq_floor);
  auto agreement = learned_.rule_agreement.find(target.task);
  ResponseInputs out_in{catalog_, calibration, pool_in.reranker, pool_in.hp_predictor, corpus_.records(),
                        agreement == learned_.rule_agreement.end() ? std::pair<double, double>{0, 0} : agreement->second};
  return BuildResponse(out_in, req, target, pool, values, ctx, plan, start);
}

}  // namespace ftconfig

FTCONFIG_OPTIMIZE_FOR_SIZE_END
