// A project's runs -> the next experiments (suggest.h, SuggestFromEvents):
// join run_start and run_complete, pick the project, search learning rate,
// rank, effective batch and epochs with the GP and expected improvement over
// candidates the memory model says fit, and fit the outcome against tokens.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "ftconfig/corpus.h"
#include "ftconfig/limits.h"
#include "ftconfig/recommend.h"
#include "suggest.h"

namespace ftconfig::suggest {

using nlohmann::json;

namespace {

struct Run {
  std::string id, model, task, adapter, gpu;
  int gpu_count = 1;
  json hp;
  bool started = false, completed = false;
  std::string result;  // run_complete outcome
  std::optional<double> outcome, tokens;
};

std::optional<double> Number(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  double v = it->get<double>();
  return std::isfinite(v) ? std::optional<double>(v) : std::nullopt;
}

std::string Text(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

void ReadStart(const json& e, Run* r) {
  const json& rec = e.contains("recommendation") && e["recommendation"].is_object() ? e["recommendation"] : json::object();
  r->started = true;
  r->model = Text(rec, "model");
  r->task = Text(rec, "task_type");
  r->adapter = Text(rec, "adapter_type");
  if (rec.contains("gpu") && rec["gpu"].is_object()) {
    r->gpu = Text(rec["gpu"], "id");
    r->gpu_count = static_cast<int>(Number(rec["gpu"], "count").value_or(1));
  }
  r->hp = rec.contains("hyperparameters") && rec["hyperparameters"].is_object() ? rec["hyperparameters"] : json::object();
  if (r->hp.contains("adapter_type") && r->hp["adapter_type"].is_string()) r->adapter = r->hp["adapter_type"];
}

std::map<std::string, Run> JoinRuns(const std::vector<json>& events, const std::string& objective) {
  std::map<std::string, Run> runs;
  for (const json& e : events) {
    if (!e.is_object()) continue;
    const std::string kind = Text(e, "event"), id = Text(e, "run_id");
    if (id.empty() || (kind != "run_start" && kind != "run_complete")) continue;
    Run& r = runs[id];
    r.id = id;
    if (kind == "run_start") {
      ReadStart(e, &r);
    } else {
      r.completed = true;
      r.result = Text(e, "outcome");
      r.outcome = Number(e, objective.c_str());
      r.tokens = Number(e, "tokens_seen");
    }
  }
  return runs;
}

std::string GroupKey(const Run& r) {
  return r.model + " on " + std::to_string(r.gpu_count) + " x " + r.gpu + ", " + r.adapter;
}

bool Usable(const Run& r) { return r.started && r.completed && r.result == "success" && r.outcome; }

std::string SkipReason(const Run& r) {
  if (!r.started) return "no run_start";
  if (!r.completed) return "no run_complete";
  if (r.result != "success") return "outcome " + r.result;
  return "no outcome value";
}

double Hp(const json& hp, const char* key, double def) { return Number(hp, key).value_or(def); }

// learning rate, LoRA rank (adapters only), effective batch, epochs.
Space SearchSpace(const std::vector<const Run*>& runs, bool adapter) {
  double lr_lo = 1, lr_hi = 0, ep_hi = 5;
  for (const Run* r : runs) {
    double lr = Hp(r->hp, "learning_rate", 2e-4);
    lr_lo = std::min(lr_lo, lr), lr_hi = std::max(lr_hi, lr);
    ep_hi = std::max(ep_hi, Hp(r->hp, "num_epochs", 1));
  }
  Space s;
  s.dims.push_back({"learning_rate", std::max(1e-6, lr_lo / 4), std::min(1e-2, lr_hi * 4), true, false, 0});
  if (adapter) s.dims.push_back({"lora_r", 4, 256, true, true, 0});
  s.dims.push_back({"effective_batch_size", 4, 256, true, true, 0});
  s.dims.push_back({"num_epochs", 1, std::min(ep_hi, 20.0), false, false, 0.5});
  return s;
}

std::vector<double> Values(const Run& r, bool adapter) {
  std::vector<double> v = {Hp(r.hp, "learning_rate", 2e-4)};
  if (adapter) v.push_back(Hp(r.hp, "lora_r", 16));
  v.push_back(Hp(r.hp, "effective_batch_size", 8));
  v.push_back(Hp(r.hp, "num_epochs", 1));
  return v;
}

// The best run's configuration with a suggestion's values: what the memory model checks and the user sets.
ConfigRecord Configured(const Run& best, const std::vector<double>& v, bool adapter) {
  const json& hp = best.hp;
  ConfigRecord c;
  c.adapter_type = best.adapter;
  c.task_type = best.task;
  c.learning_rate = v[0];
  if (adapter) {
    c.lora_r = static_cast<int>(v[1]);
    double ratio = Hp(hp, "lora_alpha", Hp(hp, "lora_r", 16)) / std::max(1.0, Hp(hp, "lora_r", 16));
    c.lora_alpha = static_cast<int>(std::lround(ratio * v[1]));
    c.lora_target = Text(hp, "lora_target_class").empty() ? "all_linear" : Text(hp, "lora_target_class");
  }
  const int effective = static_cast<int>(v[adapter ? 2 : 1]);
  c.num_gpus = best.gpu_count;
  int per_device = std::max(1, effective / best.gpu_count);
  c.batch_size_per_device = std::min(per_device, static_cast<int>(Hp(hp, "batch_size_per_device", 1)));
  c.gradient_accumulation_steps = std::max(1, per_device / c.batch_size_per_device);
  c.effective_batch_size = c.batch_size_per_device * c.gradient_accumulation_steps * c.num_gpus;
  c.num_epochs = v.back();
  c.max_seq_length = static_cast<int>(Hp(hp, "max_seq_length", 2048));
  c.optimizer = CanonicalOptimizer(Text(hp, "optimizer"));
  c.precision = CanonicalPrecision(Text(hp, "precision"));
  if (hp.contains("gradient_checkpointing") && hp["gradient_checkpointing"].is_boolean())
    c.gradient_checkpointing = hp["gradient_checkpointing"].get<bool>();
  return c;
}

double Sig2(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2g", v);
  return std::strtod(buf, nullptr);
}

json SuggestionJson(const Suggestion& s, const ConfigRecord& c, double headroom, int rank, bool adapter) {
  json hp = {{"learning_rate", Sig2(s.values[0])},
             {"effective_batch_size", c.effective_batch_size},
             {"batch_size_per_device", c.batch_size_per_device},
             {"gradient_accumulation_steps", c.gradient_accumulation_steps},
             {"num_epochs", s.values.back()}};
  if (adapter) hp["lora_r"] = *c.lora_r, hp["lora_alpha"] = *c.lora_alpha;
  return {{"rank", rank},
          {"hyperparameters", hp},
          {"expected_improvement", s.expected_improvement},
          {"predicted", {{"mean", s.mean}, {"sd", s.sd}}},
          {"memory_headroom", std::round(headroom * 1000) / 1000}};
}

json ScalingJson(const std::vector<const Run*>& runs) {
  std::vector<double> tokens, outcomes;
  for (const Run* r : runs)
    if (r->tokens) tokens.push_back(*r->tokens), outcomes.push_back(*r->outcome);
  ScalingFit f = FitScaling(tokens, outcomes);
  if (!f.ok) return {{"fitted", false}, {"why", f.why}, {"runs", f.n}};
  return {{"fitted", true},
          {"model", "outcome = a + b ln(tokens_seen)"},
          {"runs", f.n},
          {"a", f.a},
          {"b", f.b},
          {"b_95", {f.slope_lo, f.slope_hi}},
          {"at_twice_the_tokens", {{"tokens", f.tokens_2x}, {"predicted", f.predicted_2x}, {"interval_95", {f.lo_2x, f.hi_2x}}}},
          {"verdict", f.verdict}};
}

Error Invalid(const std::string& field, const std::string& message) {
  return Error{ErrorCode::kInvalidValue, field, message};
}

}  // namespace

Result<json> SuggestFromEvents(const std::vector<json>& events, const Catalog& catalog, const SuggestOptions& o) {
  if (o.count < 1 || o.count > 20) return Invalid("count", "count must be an integer from 1 to 20");
  if (o.model.size() > kMaxNameLength) return Invalid("model", "model is longer than 256 bytes");
  if (o.objective != "eval_loss" && o.objective != "final_loss" && o.objective != "train_loss")
    return Invalid("objective", "objective must be eval_loss, final_loss or train_loss");
  std::map<std::string, Run> runs = JoinRuns(events, o.objective);
  std::map<std::string, std::vector<const Run*>> groups;
  json skipped = json::object();
  for (const auto& [id, r] : runs) {
    if (!o.model.empty() && r.model != o.model) continue;
    if (Usable(r)) groups[GroupKey(r)].push_back(&r);
    else skipped[SkipReason(r)] = skipped.value(SkipReason(r), 0) + 1;
  }
  auto largest = std::max_element(groups.begin(), groups.end(),
                                   [](const auto& a, const auto& b) { return a.second.size() < b.second.size(); });
  if (largest == groups.end() || largest->second.size() < 2)
    return Error{ErrorCode::kMissingField, "runs",
                 "suggest needs at least two successful runs of one project (model, GPU, adapter) with " + o.objective};
  const std::vector<const Run*>& project = largest->second;
  const Run& first = *project.front();
  const Model* model = catalog.FindModel(first.model);
  if (!model) return Error{ErrorCode::kUnknownModel, "recommendation.model",
                           "the runs' model \"" + first.model + "\" is not in the catalog: its memory cannot be checked"};
  const Gpu* gpu = catalog.GpuById(first.gpu);
  if (!gpu) return Error{ErrorCode::kUnknownGpu, "recommendation.gpu.id", "the runs' GPU \"" + first.gpu + "\" is not in the catalog"};
  const bool adapter = first.adapter != "none";
  const Run* best = *std::min_element(project.begin(), project.end(), [](const Run* a, const Run* b) { return *a->outcome < *b->outcome; });
  Space space = SearchSpace(project, adapter);
  std::vector<std::vector<double>> tried;
  std::vector<double> outcomes;
  for (const Run* r : project) tried.push_back(space.FromUnit(space.ToUnit(Values(*r, adapter)))), outcomes.push_back(*r->outcome);
  int rejected = 0;
  auto headroom = [&](const std::vector<double>& v) {
    return ConfigHeadroom(Configured(*best, v, adapter), model->arch, *gpu, best->gpu_count, best->task, best->adapter);
  };
  auto fits = [&](const std::vector<double>& v) {
    bool ok = headroom(v) >= 0;
    rejected += !ok;
    return ok;
  };
  std::vector<Suggestion> picks = Propose(space, tried, outcomes, o.count, fits, o.seed);
  json suggestions = json::array();
  for (size_t i = 0; i < picks.size(); ++i)
    suggestions.push_back(SuggestionJson(picks[i], Configured(*best, picks[i].values, adapter), headroom(picks[i].values),
                                         static_cast<int>(i + 1), adapter));
  json none_because = nullptr;
  if (picks.empty())
    none_because = "no untried candidate fits " + gpu->name + " in the memory model with the best run's sequence (" +
                   std::to_string(Configured(*best, tried.front(), adapter).max_seq_length.value_or(0)) +
                   ") and micro-batch: shorten the sequence, lower the micro-batch or use a larger GPU";
  json dims = json::array();
  for (const Dim& d : space.dims) dims.push_back({{"name", d.name}, {"lo", d.lo}, {"hi", d.hi}, {"log", d.log}});
  return json{{"project", {{"group", largest->first}, {"runs", project.size()}, {"skipped", skipped}}},
              {"objective", o.objective + " (lower is better)"},
              {"best_run", {{"run_id", best->id}, {"outcome", *best->outcome}, {"hyperparameters", best->hp}}},
              {"space", dims},
              {"surrogate", {{"kind", "gaussian_process"}, {"kernel", "matern52"}, {"acquisition", "expected_improvement"}}},
              {"candidates_rejected_by_memory", rejected},
              {"suggestions", suggestions},
              {"none_because", none_because},
              {"scaling", ScalingJson(project)}};
}

}  // namespace ftconfig::suggest
