#include "telemetry_plausibility.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "data_files.h"  // LoadCatalog
#include "retrain.h"     // ParseUtc, IsoUtc

namespace ftconfig::telemetry {

namespace {

std::string Fmt(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.4g", v);
  return b;
}

std::optional<double> Num(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return std::nullopt;
  return j[key].get<double>();
}

double Now(const PlausibilityRules& r) {
  if (r.now) return *r.now;
  return static_cast<double>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

Verdict Fail(const char* rule, const std::string& field, const std::string& reason) { return {rule, field, reason}; }

// What a run_start says about the hardware and the model, with the catalog's
// facts when it knows them.
struct RunFacts {
  int gpus = 1;
  std::optional<double> gpu_memory_gb, gpu_tflops, params_b;
};

RunFacts FactsOf(const json& start, const PlausibilityRules& rules) {
  RunFacts f;
  if (!start.is_object() || !start.contains("recommendation") || !start["recommendation"].is_object()) return f;
  const json& rec = start["recommendation"];
  const json gpu = rec.value("gpu", json::object());
  if (gpu.is_object()) {
    if (auto n = Num(gpu, "count"); n && *n >= 1 && *n <= 1024) f.gpus = static_cast<int>(*n);
    const Gpu* g = nullptr;
    if (rules.catalog && gpu.contains("id") && gpu["id"].is_string()) g = rules.catalog->GpuById(gpu["id"]);
    if (rules.catalog && !g && gpu.contains("name") && gpu["name"].is_string()) {
      auto r = rules.catalog->FindGpu(gpu["name"]);
      if (r.ok()) g = r.value();
    }
    if (g) {
      f.gpu_memory_gb = g->vram_gb;
      f.gpu_tflops = g->peak_tflops_bf16 ? g->peak_tflops_bf16 : g->peak_tflops_fp16;
    } else if (auto v = Num(gpu, "vram_gb"); v && *v > 0 && *v <= rules.max_gpu_memory_gb) {
      f.gpu_memory_gb = *v;
    }
  }
  if (auto p = Num(rec, "model_params_b"); p && *p > 0) f.params_b = *p;
  else if (rules.catalog && rec.contains("model") && rec["model"].is_string())
    if (const Model* m = rules.catalog->FindModel(rec["model"])) f.params_b = m->arch.params_b;
  return f;
}

// Peaks: at most the GPU's memory (reserved memory cannot exceed it; 2%
// slack for GiB/GB rounding), at least a quarter of the model's weights in
// 4-bit spread over every GPU (no run holds less).
Verdict CheckPeaks(const json& b, const RunFacts& f, const PlausibilityRules& rules) {
  const double hi = f.gpu_memory_gb ? *f.gpu_memory_gb * 1.02 : rules.max_gpu_memory_gb;
  const double lo = f.params_b ? *f.params_b * 0.5 * 0.25 / f.gpus : 0;
  for (const char* k : {"peak_memory_reserved_bytes", "peak_memory_allocated_bytes"}) {
    auto v = Num(b, k);
    if (!v) continue;
    const double gb = *v / 1e9;
    if (gb > hi)
      return Fail("peak_memory", k, std::string(k) + " " + Fmt(gb) + " GB is more than the GPU holds (" + Fmt(hi) + " GB)");
    if (gb < lo && b.value("outcome", "") == "success")
      return Fail("peak_memory", k, std::string(k) + " " + Fmt(gb) + " GB is less than the model's weights need (" +
                                        Fmt(lo) + " GB at least)");
  }
  return {};
}

// Throughput: at most what the GPUs compute at their dense peak for a
// forward pass alone (2 FLOPs per parameter and token; training needs 6).
Verdict CheckThroughput(const json& b, const RunFacts& f, const PlausibilityRules& rules) {
  auto tps = Num(b, "tokens_per_sec");
  if (!tps) return {};
  double bound = rules.max_tokens_per_sec_per_gpu * f.gpus;
  if (f.params_b) bound = f.gpus * (f.gpu_tflops ? *f.gpu_tflops : rules.unknown_gpu_tflops) * 1e12 / (2 * *f.params_b * 1e9);
  if (*tps > bound)
    return Fail("throughput", "tokens_per_sec",
                "tokens_per_sec " + Fmt(*tps) + " is beyond what the hardware computes (" + Fmt(bound) + " at most)");
  return {};
}

Verdict CheckTimestamp(const Event& e, const PlausibilityRules& rules) {
  auto t = cli::ParseUtc(e.timestamp.substr(0, std::min<size_t>(e.timestamp.size(), 40)));
  if (!t) return {};  // ValidateEvent already checked the form
  const double now = Now(rules);
  if (*t > now + rules.clock_skew_s)
    return Fail("timestamp", "timestamp", "timestamp " + e.timestamp + " is in the future (more than " +
                                              Fmt(rules.clock_skew_s) + " s ahead of " + cli::IsoUtc(now) + ")");
  if (auto lo = cli::ParseUtc(rules.earliest); lo && *t < *lo)
    return Fail("timestamp", "timestamp", "timestamp " + e.timestamp + " is before " + rules.earliest);
  return {};
}

// A run_start's recommendation: the values training would use, in ranges a
// real run can have.
Verdict CheckRecommendation(const json& b) {
  if (!b.contains("recommendation") || !b["recommendation"].is_object()) return {};
  const json& rec = b["recommendation"];
  struct Range {
    const char* key;
    double lo, hi;
  };
  if (auto p = Num(rec, "model_params_b"); p && !(*p > 0 && *p <= 2000))
    return Fail("recommendation", "recommendation.model_params_b", "model_params_b must be in (0, 2000]");
  if (rec.contains("gpu") && rec["gpu"].is_object())
    if (auto n = Num(rec["gpu"], "count"); n && !(*n >= 1 && *n <= 1024))
      return Fail("recommendation", "recommendation.gpu.count", "gpu.count must be 1..1024");
  if (!rec.contains("hyperparameters") || !rec["hyperparameters"].is_object()) return {};
  const json& hp = rec["hyperparameters"];
  static const Range kRanges[] = {{"learning_rate", 1e-9, 1.0},          {"batch_size_per_device", 1, 65536},
                                  {"gradient_accumulation_steps", 1, 65536}, {"max_seq_length", 1, 1048576},
                                  {"lora_r", 1, 65536},                   {"num_epochs", 0, 1000},
                                  {"warmup_ratio", 0, 1},                 {"weight_decay", 0, 10}};
  for (const Range& r : kRanges)
    if (auto v = Num(hp, r.key); v && !(*v >= r.lo && *v <= r.hi))
      return Fail("recommendation", std::string("recommendation.hyperparameters.") + r.key,
                  std::string(r.key) + " " + Fmt(*v) + " is outside " + Fmt(r.lo) + ".." + Fmt(r.hi));
  return {};
}

Verdict CheckQuota(const std::string& source, const PlausibilityRules& rules, PlausibilityView& view) {
  if (source.rfind("collect:", 0) != 0 || rules.quota_per_token_per_day <= 0) return {};
  const std::int64_t n = view.ReceivedFrom(source, cli::IsoUtc(Now(rules) - 86400));
  if (n >= rules.quota_per_token_per_day)
    return Fail("quota", "source", "token " + source.substr(8) + " sent " + std::to_string(n) +
                                       " events in 24 h (quota " + std::to_string(rules.quota_per_token_per_day) + ")");
  return {};
}

}  // namespace

Verdict CheckPlausibility(const Event& e, const std::string& source, const PlausibilityRules& rules,
                          PlausibilityView& view) {
  if (Verdict v = CheckQuota(source, rules, view); !v.plausible()) return v;
  if (Verdict v = CheckTimestamp(e, rules); !v.plausible()) return v;
  // Imports keep only the compact form of an event.
  const json b = e.body.is_object() ? e.body : json::parse(e.compact, nullptr, false);
  if (!b.is_object()) return {};
  if (e.type == "run_start") return CheckRecommendation(b);
  if (e.type != "run_complete") return {};
  const std::string run = b.value("run_id", "");
  if (!run.empty() && view.HasCompletion(run))
    return Fail("duplicate_completion", "run_id", "run " + run + " already has a run_complete");
  const RunFacts facts = FactsOf(view.RunStart(run), rules);
  if (Verdict v = CheckPeaks(b, facts, rules); !v.plausible()) return v;
  return CheckThroughput(b, facts, rules);
}

PlausibilityRules DefaultPlausibilityRules(const std::string& data_dir) {
  PlausibilityRules r;
  if (data_dir.empty()) return r;
  auto catalog = cli::LoadCatalog(data_dir);
  if (catalog.ok()) r.catalog = std::make_shared<const Catalog>(std::move(catalog).value());
  return r;
}

}  // namespace ftconfig::telemetry
