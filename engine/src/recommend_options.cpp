// A request that does not fit gets a plan, not a shrug: what would fit — a
// larger GPU (and the cheapest plan offering it), a lighter adapter, more
// GPUs, or shorter sequences — each checked with the same memory plan and
// given as a request patch a page or a script can apply.
#include <algorithm>
#include <cstdio>

#include "json_util.h"
#include "outline.h"
#include "recommend_internal.h"

FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN

namespace ftconfig::internal {

namespace {

// The cheapest plan offering `gpu` (free plans first), or null.
std::pair<const Platform*, const Plan*> CheapestPlan(const Catalog& catalog, const Gpu& gpu) {
  std::pair<const Platform*, const Plan*> best{nullptr, nullptr};
  for (const auto& p : catalog.platforms())
    for (const auto& pl : p.plans) {
      if (pl.gpu != gpu.id) continue;
      double price = pl.price_per_gpu_hour_usd.value_or(1e9);
      double best_price = best.second ? best.second->price_per_gpu_hour_usd.value_or(1e9) : 2e9;
      if (price < best_price) best = {&p, &pl};
    }
  return best;
}

// The smallest larger GPU on which the plan fits.
json SmallestGpu(const Catalog& catalog, const Request& req, const Target& t, const Values& v, const Context& ctx,
                 const Candidate& start) {
  std::vector<const Gpu*> order;
  for (const auto& g : catalog.gpus())
    if (g.cuda && g.usable_vram_gb > t.gpu->usable_vram_gb) order.push_back(&g);
  std::stable_sort(order.begin(), order.end(),
                   [](const Gpu* a, const Gpu* b) { return a->usable_vram_gb < b->usable_vram_gb; });
  for (const Gpu* g : order) {
    Context c2 = ctx;
    c2.gpu = g;
    Candidate s = start;
    s.bf16 = g->bf16;
    s.fp32 = g->compute_capability < 6.0;
    PlanOutcome o = PlanMemory(s, c2, req.allow_qlora, v.seq_floor);
    if (!o.fit.fits) continue;
    json out = {{"gpu", g->id}, {"name", g->name}, {"usable_gb", g->usable_vram_gb},
                {"estimated_gb", Round2(o.fit.peak_gb)}};
    auto [platform, plan] = CheapestPlan(catalog, *g);
    if (plan) {
      out["platform"] = platform->id;
      out["plan"] = plan->id;
      out["price_per_gpu_hour_usd"] = plan->price_per_gpu_hour_usd ? json(*plan->price_per_gpu_hour_usd) : json(nullptr);
    }
    return out;
  }
  return nullptr;
}

json Option(const char* kind, const std::string& label, json patch, double estimate_gb) {
  return {{"kind", kind}, {"label", label}, {"request_patch", std::move(patch)}, {"estimated_gb", Round2(estimate_gb)}};
}

// A lighter adapter on the same GPU: LoRA (or QLoRA, when allowed) for full
// fine-tuning; QLoRA for LoRA when the request did not allow it.
void AdapterOptions(const Request& req, const Target& t, const Values& v, const Context& ctx, const Candidate& start,
                    json* options) {
  std::string adapter;
  if (t.adapter == "none") adapter = "lora";
  else if (t.adapter == "lora" && !req.allow_qlora && QloraPossible(*t.gpu, t.arch, t.framework)) adapter = "qlora";
  if (adapter.empty()) return;
  Candidate s = start;
  s.adapter = adapter;
  if (s.optimizer == "paged_adamw_8bit" && adapter == "lora") s.optimizer = "adamw";
  const bool allow_qlora = adapter == "qlora" || req.allow_qlora;
  PlanOutcome o = PlanMemory(s, ctx, allow_qlora, v.seq_floor);
  if (!o.fit.fits) return;
  std::string label = o.cand.adapter == "qlora" ? "QLoRA (4-bit base weights)" : "LoRA instead of full fine-tuning";
  json patch = {{"adapter_type", adapter}};
  if (adapter == "qlora") patch["allow_qlora"] = true;
  options->push_back(Option("adapter", label + ": " + Gb(o.fit.peak_gb) + " on " + t.gpu->name, patch, o.fit.peak_gb));
}

// More GPUs of the same kind, sharded by the plan.
void MoreGpuOptions(const Request& req, const Target& t, const Values& v, const Context& ctx, const Candidate& start,
                    json* options) {
  for (int n : {2, 4, 8}) {
    if (n <= t.num_gpus) continue;
    Context c2 = ctx;
    c2.num_gpus = n;
    Candidate s = start;
    s.distribution = "ddp";
    s.accum = std::max(1, s.batch * s.accum * t.num_gpus / n / std::max(1, s.batch));
    PlanOutcome o = PlanMemory(s, c2, req.allow_qlora, v.seq_floor);
    if (!o.fit.fits) continue;
    options->push_back(Option("num_gpus", std::to_string(n) + " x " + t.gpu->name + " (" + o.cand.distribution + "): " +
                                              Gb(o.fit.peak_gb) + " per GPU",
                              {{"num_gpus", n}}, o.fit.peak_gb));
    return;
  }
}

// Shorter sequences: the longest that fits, down to 256 tokens.
void ShorterOptions(const Request& req, const Values& v, const Context& ctx, const Candidate& start, json* options) {
  if (v.seq_floor <= 256) return;
  PlanOutcome o = PlanMemory(start, ctx, req.allow_qlora, 256);
  if (!o.fit.fits) return;
  options->push_back(Option("max_seq_length", "sequences of " + std::to_string(o.cand.seq) +
                                                  " tokens (longer examples are truncated): " + Gb(o.fit.peak_gb),
                            {{"max_seq_length", o.cand.seq}}, o.fit.peak_gb));
}

}  // namespace

json DoesNotFit(const Catalog& catalog, const Request& req, const Target& t, const Values& v, const Context& ctx,
                const Candidate& start, const PlanOutcome& plan) {
  json smallest = SmallestGpu(catalog, req, t, v, ctx, start);
  json options = json::array();
  if (!smallest.is_null()) {
    // A plan names its GPU: the patch removes the one the request named (and
    // a bare GPU removes the platform and plan).
    json patch = smallest.contains("platform")
                     ? json{{"platform", smallest["platform"]}, {"plan", smallest["plan"]}, {"gpu_override", nullptr}}
                     : json{{"gpu_override", smallest["gpu"]}, {"platform", nullptr}, {"plan", nullptr}};
    options.push_back(Option("gpu", smallest["name"].get<std::string>() + ": " + Gb(smallest["estimated_gb"]),
                             patch, smallest["estimated_gb"]));
  }
  AdapterOptions(req, t, v, ctx, start, &options);
  MoreGpuOptions(req, t, v, ctx, start, &options);
  ShorterOptions(req, v, ctx, start, &options);
  const Candidate& best = plan.cand;
  std::string msg = "does not fit: at " + std::to_string(best.seq) + " tokens, batch 1, gradient checkpointing" +
                    (best.adapter == "qlora" ? ", 4-bit weights" : "") +
                    (best.distribution.rfind("zero", 0) == 0 ? ", " + best.distribution : std::string()) +
                    " the estimate is " + Gb(plan.fit.peak_gb) + " against a limit of " + Gb(plan.fit.limit_gb) +
                    " on " + t.gpu->name;
  if (!smallest.is_null()) msg += "; the smallest GPU that fits is " + smallest["name"].get<std::string>();
  if (t.adapter == "lora" && !req.allow_qlora && QloraPossible(*t.gpu, t.arch, t.framework)) msg += "; allowing QLoRA may fit";
  return {{"message", msg}, {"smallest_fitting", smallest}, {"options", options}};
}

}  // namespace ftconfig::internal

FTCONFIG_OPTIMIZE_FOR_SIZE_END
