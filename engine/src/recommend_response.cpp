// Stage 6 of the recommendation: the response JSON (docs/api.md) — the
// configuration with what set each value, memory, time and cost, the
// dependency stack, the strategy and evidence, and for a request that does
// not fit, what would.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ftconfig/lora_modules.h"
#include "json_util.h"
#include "outline.h"
#include "recommend_internal.h"

FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN

namespace ftconfig::internal {

namespace {

// PEFT's target_modules value: "all-linear" (PEFT's own shorthand: every
// linear layer but the output head, valid for every architecture), or the
// model family's module names for the narrower classes (ftconfig/lora_modules.h).
std::string TargetModules(const Target& t, const std::string& cls) {
  if (cls == "all_linear") return "all-linear";
  std::string joined;
  for (const auto& m : LoraTargetModules(t.family, t.model_id, cls)) joined += (joined.empty() ? "" : ",") + m;
  return joined;
}

json BreakdownJson(const MemoryBreakdown& b) {
  return json{{"weights", Round3(b.weights_gb)},         {"adapters", Round3(b.adapters_gb)},
              {"gradients", Round3(b.gradients_gb)},     {"optimizer", Round3(b.optimizer_gb)},
              {"activations", Round3(b.activations_gb)}, {"logits", Round3(b.logits_gb)},
              {"overhead", Round3(b.overhead_gb)}};
}

// Which stage set each field, and why, after the memory plan.
void Explain(const Values& v, const PlanOutcome& plan, const Candidate& start, json* why, json* provenance) {
  auto put = [&](const char* field, const std::string& source, const std::string& text) {
    (*provenance)[field] = source;
    (*why)[field] = text;
  };
  put("learning_rate", v.learning_rate.source, v.learning_rate.why);
  put("effective_batch_size", v.effective_batch.source, v.effective_batch.why);
  put("max_seq_length", v.seq.source, v.seq.why);
  put("num_epochs", v.epochs.source, v.epochs.why);
  put("optimizer", v.optimizer.source, v.optimizer.why);
  put("lr_scheduler", v.scheduler.source, v.scheduler.why);
  put("warmup_ratio", v.warmup_ratio.source, v.warmup_ratio.why);
  put("weight_decay", v.weight_decay.source, v.weight_decay.why);
  put("batch_size_per_device", "plan", "largest micro-batch whose estimate fits; accumulation keeps the effective batch");
  put("gradient_accumulation_steps", "plan", "effective batch / (micro-batch x GPUs)");
  put("precision", "gpu", "bf16 mixed precision where the GPU has bf16, else fp16 mixed precision");
  put("distribution", "plan", plan.cand.distribution == "none" ? "one GPU" : "data parallel across the GPUs");
  put("gradient_checkpointing", "pool", start.grad_ckpt ? "on: most configs of the pool use it" : "off: the pool's configs train without it");
  if (plan.cand.adapter != "none") {
    put("lora_r", v.lora_r.source, v.lora_r.why);
    put("lora_alpha", v.lora_alpha.source, v.lora_alpha.why);
    put("lora_target", v.lora_target.source, v.lora_target.why);
    put("lora_dropout", v.lora_dropout.source, v.lora_dropout.why);
  }
  for (const PlanStep& s : plan.steps) {
    std::string field = s.field == "adapter_type" ? "adapter_type" : s.field;
    (*provenance)[field] = "plan";
    (*why)[field] = "memory plan: " + s.what;
    if (field == "lora_r") put("lora_alpha", "plan", "memory plan: the alpha/rank ratio of the rule, at the smaller rank");
  }
}

json Hyperparameters(const Target& t, const Values& v, const Candidate& best) {
  json hp;
  hp["learning_rate"] = RoundSig2(v.learning_rate.value);
  hp["batch_size_per_device"] = best.batch;
  hp["gradient_accumulation_steps"] = best.accum;
  hp["effective_batch_size"] = best.batch * best.accum * t.num_gpus;
  hp["per_device_eval_batch_size"] = best.batch;
  hp["max_seq_length"] = best.seq;
  hp["num_epochs"] = v.epochs.value;
  hp["optimizer"] = HfOptimizer(best.optimizer);
  hp["lr_scheduler"] = v.scheduler.value;
  hp["warmup_ratio"] = Round3(v.warmup_ratio.value);
  hp["weight_decay"] = Round3(v.weight_decay.value);
  hp["precision"] = best.fp32 ? "fp32" : best.bf16 ? "bf16" : "fp16";
  hp["gradient_checkpointing"] = best.grad_ckpt;
  hp["pure_bf16"] = best.pure_bf16;
  hp["attn_implementation"] = AttentionImplementation(t.arch.layer_type, t.gpu->flash_attention2);
  hp["adapter_type"] = best.adapter;
  hp["distribution"] = best.distribution;
  if (best.adapter != "none") {
    hp["lora_r"] = best.lora_r;
    hp["lora_alpha"] = best.lora_r == v.lora_r.value ? v.lora_alpha.value : best.lora_r * v.lora_alpha.value / v.lora_r.value;
    hp["lora_dropout"] = Round3(v.lora_dropout.value);
    hp["lora_target_class"] = best.lora_target;
    hp["lora_target"] = TargetModules(t, best.lora_target);
    hp["lora_target_modules"] = LoraTargetModules(t.family, t.model_id, best.lora_target);
  }
  if (best.adapter == "qlora") {
    hp["load_in_4bit"] = true;
    hp["bnb_4bit_quant_type"] = "nf4";
    hp["bnb_4bit_compute_dtype"] = t.gpu->bf16 ? "bfloat16" : "float16";
    hp["bnb_4bit_use_double_quant"] = true;
  }
  return hp;
}

json VramJson(const Gpu& gpu, const FitResult& fit) {
  const MemoryEstimate& est = fit.estimate;
  return {{"per_gpu_gb", Round2(est.peak_gb)},
          {"eval_peak_gb", Round2(est.eval_peak_gb)},
          {"merge_peak_gb", Round2(est.merge_peak_gb)},
          {"breakdown", BreakdownJson(est.breakdown)},
          {"usable_gb", gpu.usable_vram_gb},
          {"limit_gb", Round2(fit.limit_gb)},
          {"fit_fraction", Engine::kFitFraction},
          {"margin_gb", Round2(gpu.usable_vram_gb - fit.peak_gb)},
          {"margin_fraction", Round3((gpu.usable_vram_gb - fit.peak_gb) / gpu.usable_vram_gb)},
          {"trainable_params_b", Round3(est.trainable_params_b)},
          {"notes", est.notes}};
}

json TimeJson(const ResponseInputs& in, const Request& req, const Target& t, const Values& v, const Context& ctx,
              const Candidate& best, std::vector<std::string>* warnings) {
  ThroughputEstimate tp = EstimateThroughput(t.arch, ToSetup(best, ctx), *t.gpu);
  in.calibration.ApplyThroughput(&tp);
  double tokens = std::min<double>(v.tokens_per_example, best.seq) * ctx.sequences_per_example;
  double total_tokens = v.dataset_size * tokens * v.epochs.value;
  double hours = tp.tokens_per_sec > 0 ? total_tokens / tp.tokens_per_sec / 3600.0 : 0;
  json time = {{"tokens_per_sec", Round2(tp.tokens_per_sec)}, {"hours", Round2(hours)},
               {"total_tokens", total_tokens}, {"dataset_size", v.dataset_size}, {"epochs", v.epochs.value},
               {"mfu_assumed", Round3(tp.efficiency)}, {"cost_usd", nullptr},
               {"session_limit_hours", nullptr}, {"fits_session", nullptr}};
  const Plan* plan = t.plan;
  if (plan && plan->price_per_gpu_hour_usd && (req.gpu_override.empty() || plan->gpu == t.gpu->id)) {
    time["price_per_gpu_hour_usd"] = *plan->price_per_gpu_hour_usd;
    time["cost_usd"] = Round2(hours * *plan->price_per_gpu_hour_usd * t.num_gpus);
  }
  if (plan && plan->session_limit_hours) {
    time["session_limit_hours"] = *plan->session_limit_hours;
    time["fits_session"] = hours <= *plan->session_limit_hours;
    if (hours > *plan->session_limit_hours) {
      char buf[200];
      std::snprintf(buf, sizeof buf, "estimated %.1f h exceeds the %.1f h session limit: save checkpoints (save_steps) "
                    "and resume, or use fewer examples/epochs", hours, *plan->session_limit_hours);
      warnings->push_back(buf);
    }
  }
  return time;
}

json Dependencies(const Catalog& catalog, const Target& t, std::vector<std::string>* warnings) {
  const Stack* st = catalog.SelectStack(*t.gpu, t.platform ? t.platform->id : "");
  if (!st) {
    warnings->push_back("no pinned dependency stack matches " + t.gpu->name);
    return nullptr;
  }
  json deps = st->pins;
  // flash-attn only where the answer asks for FlashAttention 2 (the GPU has
  // it and so does the model's transformers class).
  const bool fa2 = AttentionImplementation(t.arch.layer_type, t.gpu->flash_attention2) == "flash_attention_2";
  if (!fa2 && deps.contains("optional") && deps["optional"].is_object()) deps["optional"].erase("flash-attn");
  return deps;
}

json StrategyJson(const ResponseInputs& in, const Request& req, const Pool& pool) {
  json s = {{"requested", req.strategy}, {"used", pool.strategy_used}, {"why", pool.strategy_why},
            {"reranker", {{"status", in.reranker ? "loaded" : "missing"},
                          {"version", in.reranker ? json(in.reranker->version()) : json(nullptr)},
                          {"kind", in.reranker ? json(in.reranker->kind()) : json(nullptr)}}},
            {"hp_predictor", {{"status", in.hp_predictor ? "loaded" : "missing"},
                              {"version", in.hp_predictor ? json(in.hp_predictor->version()) : json(nullptr)}}}};
  if (!pool.predictor.is_null()) s["hp_predictions"] = pool.predictor;
  return s;
}

json ProfileJson(const ResponseInputs& in, const Pool& p) {
  json j = {{"group", p.match.group}, {"requested_group", p.key.ToString()},
            {"fallback_level", ToString(p.match.level)}, {"pool_size", p.match.profile.count},
            {"pool_weight", Round2(p.match.profile.weight_sum)}, {"sources", p.match.profile.sources},
            {"safe_pool_size", static_cast<int>(p.safe.size())},
            {"lr_iqr", {RoundSig2(p.match.profile.lr_q1), RoundSig2(p.match.profile.lr_q3)}}};
  json drew_on = json::array();
  for (size_t k = 0; k < std::min<size_t>(5, p.pool.members.size()); ++k) {
    const ConfigRecord& r = in.records[p.pool.members[k]];
    drew_on.push_back({{"id", r.id}, {"source_repo", r.source_repo}, {"source_path", r.source_path}});
  }
  j["examples"] = drew_on;
  return j;
}

}  // namespace

json BuildResponse(const ResponseInputs& in, const Request& req, const Target& t, const Pool& pool, const Values& v,
                   const Context& ctx, const PlanOutcome& plan, const Candidate& start) {
  std::vector<std::string> warnings = t.warnings;
  const Candidate& best = plan.cand;
  json resp;
  resp["engine_version"] = Engine::Version();
  resp["fits"] = plan.fit.fits;
  resp["request"] = {{"platform", t.platform ? t.platform->id : ""}, {"plan", t.plan ? t.plan->id : ""},
                     {"model", t.model_id}, {"model_params_b", Round3(t.arch.params_b)},
                     {"model_source", t.model_source}, {"task_type", t.task}, {"adapter_type", req.adapter_type},
                     {"strategy", req.strategy}, {"framework", t.framework->name}};
  // The name as given when it is not the catalog id (a fine-tune, a quantized
  // copy, a fork): the exports load that checkpoint.
  if (!req.model.empty() && req.model != t.model_id) resp["request"]["model_name"] = req.model;
  resp["framework"] = {{"id", t.framework->name}, {"label", t.framework->label},
                       {"why", req.framework.empty() ? "not given: the memory figures are for the Hugging Face Trainer "
                                                       "with TRL, PEFT and bitsandbytes (give framework for another)"
                                                     : "as requested: the memory figures use its techniques and defaults"}};
  json why = json::object(), provenance = json::object();
  Explain(v, plan, start, &why, &provenance);
  resp["hyperparameters"] = Hyperparameters(t, v, best);
  resp["why"] = why;
  resp["memory_plan"] = json::array();
  for (const PlanStep& s : plan.steps) resp["memory_plan"].push_back({{"field", s.field}, {"step", s.what}});
  const Gpu& gpu = *t.gpu;
  resp["gpu"] = {{"id", gpu.id}, {"name", gpu.name}, {"count", t.num_gpus}, {"vram_gb", gpu.vram_gb},
                 {"usable_gb", gpu.usable_vram_gb}, {"compute_capability", gpu.compute_capability},
                 {"bf16", gpu.bf16}, {"flash_attention2", gpu.flash_attention2}};
  resp["vram"] = VramJson(gpu, plan.fit);
  if (best.adapter == "qlora" && FusedExperts(t.arch))
    warnings.push_back("the 4-bit figures are for Unsloth's own NF4 checkpoint of " + t.model_id +
                       "; the exports (transformers/TRL, axolotl, LLaMA-Factory) would load its experts in bf16 "
                       "(about " + std::to_string(static_cast<int>(std::ceil(2 * t.arch.params_b))) +
                       " GB of weights) and are refused for it: train in 4 bits with Unsloth's gpt-oss notebook, or "
                       "ask for adapter_type lora with framework hf-trainer to export");
  if (plan.fit.estimate.merge_peak_gb > gpu.usable_vram_gb)
    warnings.push_back("merging the adapter into the base weights needs ~" + Gb(plan.fit.estimate.merge_peak_gb) +
                       ": merge on CPU or a larger GPU, or keep the adapter separate");
  if (t.task == "vision_language" && v.seq.source == "rule" && best.seq < v.seq.value)
    warnings.push_back("max_seq_length " + std::to_string(best.seq) + ": the memory plan shortened the " +
                       std::to_string(v.seq.value) + " tokens vision-language data gets; an example whose text and "
                       "image tokens pass it is cut, and a cut image fails the training (give data_tokens, or check "
                       "your longest example)");
  if (req.max_seq_length && v.seq.source == "clamp")
    warnings.push_back("max_seq_length " + std::to_string(*req.max_seq_length) + " exceeds the model's context of " +
                       std::to_string(v.seq.value));
  resp["time"] = TimeJson(in, req, t, v, ctx, best, &warnings);
  resp["dependencies"] = Dependencies(in.catalog, t, &warnings);
  resp["strategy"] = StrategyJson(in, req, pool);
  if (!pool.strategy_decision.is_null()) resp["strategy_decision"] = pool.strategy_decision;
  resp["candidates"] = pool.candidates;
  if (req.exploration_seed) resp["exploration"] = Exploration(req, t, pool, v, in.records);
  resp["provenance"] = provenance;
  resp["profile"] = ProfileJson(in, pool);
  json clamps = json::array();
  for (const PlanStep& s : plan.steps) clamps.push_back(s.what);
  resp["diagnostics"] = {{"ood_task", pool.ood_task}, {"task_in_corpus", pool.task_in_corpus}, {"clamps", clamps},
                         {"assumptions", v.assumptions}, {"search_steps", plan.steps.size()},
                         {"sequence_floor", v.seq_floor}};
  if (!plan.fit.fits) {
    resp["does_not_fit"] = DoesNotFit(in.catalog, req, t, v, ctx, start, plan);
    warnings.insert(warnings.begin(), resp["does_not_fit"]["message"].get<std::string>());
  }
  Confidence c = Score(t, pool, v, plan, in.agreement);
  resp["confidence"] = {{"score", Round2(c.score)}, {"level", c.level}, {"reasons", c.reasons}, {"features", c.features}};
  resp["warnings"] = warnings;
  return resp;
}

}  // namespace ftconfig::internal

FTCONFIG_OPTIMIZE_FOR_SIZE_END
