#include "realism.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "ftconfig/json_text.h"

namespace ftconfig::cli {

namespace {

std::optional<double> Num(const json& obj, const char* key) {
  if (!obj.is_object() || !obj.contains(key) || !obj[key].is_number()) return std::nullopt;
  return obj[key].get<double>();
}

bool Within(std::optional<double> answer, double practitioner, double factor) {
  if (!answer || !(*answer > 0) || !(practitioner > 0)) return false;
  double ratio = std::max(*answer / practitioner, practitioner / *answer);
  return ratio <= factor * (1 + 1e-9);
}

bool HasAdapter(const ConfigRecord& r) { return r.adapter_type == "lora" || r.adapter_type == "qlora"; }

}  // namespace

// ---- vocabularies --------------------------------------------------------

std::string TargetClass(const std::string& target) {
  static const std::set<std::string> kCanonical = {"qv", "attention", "all_linear", "all_linear_embed"};
  if (target.empty()) return "";
  const std::string c = kCanonical.count(target) ? target : CanonicalLoraTarget(json(target));
  if (c == "all_linear" || c == "all_linear_embed") return "all_linear";
  if (c == "attention" || c == "qv") return "attention";
  return "";
}

std::string OptimizerFamily(const std::string& optimizer) {
  const std::string c = CanonicalOptimizer(optimizer);
  if (c.empty()) return "";
  if (c == "adamw" || c == "paged_adamw_32bit") return "adamw";
  if (c == "adamw_8bit" || c == "paged_adamw_8bit") return "8bit";
  return "other";
}

bool IsPreferenceTask(const std::string& task_type) {
  return task_type.rfind("preference_", 0) == 0 || task_type == "reward_modeling";
}

std::string TaskFamily(const std::string& task_type) {
  if (IsPreferenceTask(task_type)) return "preference";
  if (task_type == "continued_pretraining") return "pretraining";
  if (task_type == "vision_language") return "vision";
  return "sft";
}

// ---- answers -------------------------------------------------------------

RealismAnswer AnswerFromResponse(const json& resp) {
  RealismAnswer a;
  a.fits = resp.value("fits", false);
  if (resp.contains("confidence") && resp["confidence"].is_object()) {
    a.confidence_score = Num(resp["confidence"], "score");
    a.confidence_level = resp["confidence"].value("level", "");
  }
  if (!a.fits || !resp.contains("hyperparameters")) return a;
  const json& hp = resp["hyperparameters"];
  a.learning_rate = Num(hp, "learning_rate");
  a.max_seq_length = Num(hp, "max_seq_length");
  a.effective_batch = Num(hp, "effective_batch_size");
  a.num_epochs = Num(hp, "num_epochs");
  a.warmup_ratio = Num(hp, "warmup_ratio");
  a.scheduler = CanonicalScheduler(hp.value("lr_scheduler", ""));
  a.optimizer_family = OptimizerFamily(hp.value("optimizer", ""));
  if (hp.value("adapter_type", "none") != "none") {
    a.lora_r = Num(hp, "lora_r");
    a.lora_alpha = Num(hp, "lora_alpha");
    // The class when the response names it, else the class of the module list.
    const json& cls = hp.contains("lora_target_class") ? hp["lora_target_class"] : hp["lora_target"];
    if (cls.is_string()) a.target_class = TargetClass(cls.get<std::string>());
  }
  return a;
}

int RequestGpuCount(const ConfigRecord& r, const ModelArch& arch, const Gpu& gpu, const std::string& gpu_source) {
  constexpr int kNode = 8;
  if (r.num_gpus > 1) return r.num_gpus;
  if (gpu_source != "smallest_fitting") return 1;
  return ConfigHeadroom(r, arch, gpu, 1, r.task_type, r.adapter_type) >= 0 ? 1 : kNode;
}

std::optional<json> UserRequest(const ConfigRecord& r, const Catalog& catalog, const Gpu& gpu, int num_gpus,
                                const std::string& strategy) {
  json req = {{"gpu_override", gpu.id},
              {"task_type", r.task_type},
              {"adapter_type", r.adapter_type},
              {"strategy", strategy}};
  if (num_gpus > 1) req["num_gpus"] = num_gpus;
  if (const Model* m = catalog.FindModel(r.model_name)) {
    req["model"] = m->id;
  } else if (r.model_params_b) {
    req["model"] = "custom";
    req["model_params_b"] = *r.model_params_b;
  } else {
    return std::nullopt;
  }
  if (r.dataset_size && *r.dataset_size >= 1) req["dataset_size"] = static_cast<long long>(std::llround(*r.dataset_size));
  // The trainer a practitioner knows they run: the source's own, where the source is a trainer.
  static const std::pair<const char*, const char*> kTrainers[] = {
      {"unslothai/", "unsloth"}, {"axolotl-ai-cloud/axolotl", "axolotl"}, {"hiyouga/LLaMA-Factory", "llama-factory"},
      {"pytorch/torchtune", "torchtune"}, {"Lightning-AI/litgpt", "litgpt"}};
  for (const auto& [prefix, framework] : kTrainers)
    if (r.source_repo.str().rfind(prefix, 0) == 0) req["framework"] = framework;
  return req;
}

namespace {

// A fixed recipe: the same values for every request but the learning rate
// (by adapter and task) and the effective batch (per GPU).
struct FixedRecipe {
  double lr_adapter, lr_full;
  std::optional<double> lr_preference;  // overrides both for preference tasks
  double seq, batch, accumulation, epochs, warmup_ratio;
  const char *scheduler, *optimizer_family;
  double lora_r, lora_alpha;
};

RealismAnswer FixedAnswer(const FixedRecipe& f, const ConfigRecord& r) {
  RealismAnswer a;
  a.learning_rate = HasAdapter(r) ? f.lr_adapter : f.lr_full;
  if (f.lr_preference && IsPreferenceTask(r.task_type)) a.learning_rate = *f.lr_preference;
  a.max_seq_length = f.seq;
  a.effective_batch = f.batch * f.accumulation * std::max(1, r.num_gpus);
  a.num_epochs = f.epochs;
  a.warmup_ratio = f.warmup_ratio;
  a.scheduler = f.scheduler;
  a.optimizer_family = f.optimizer_family;
  if (HasAdapter(r)) {
    a.lora_r = f.lora_r;
    a.lora_alpha = f.lora_alpha;
    a.target_class = "all_linear";
  }
  return a;
}

}  // namespace

// Unsloth's LoRA hyperparameters guide and notebooks (docs/realism.md).
RealismAnswer UnslothAnswer(const ConfigRecord& r) {
  static const FixedRecipe kUnsloth{2e-4, 2e-5, 5e-6, 2048, 2, 4, 1, 0.05, "linear", "8bit", 16, 16};
  return FixedAnswer(kUnsloth, r);
}

// LLaMA-Factory v0.9.5's web UI defaults (docs/realism.md).
RealismAnswer LlamaFactoryWebUiAnswer(const ConfigRecord& r) {
  static const FixedRecipe kWebUi{5e-5, 5e-5, std::nullopt, 2048, 2, 8, 3, 0, "cosine", "adamw", 8, 16};
  return FixedAnswer(kWebUi, r);
}

namespace {

std::string WeightedMode(const std::vector<std::pair<std::string, double>>& vw) {
  std::map<std::string, double> w;
  for (const auto& [v, x] : vw)
    if (!v.empty()) w[v] += x;
  std::string best;
  for (const auto& [v, x] : w)
    if (best.empty() || x > w[best]) best = v;
  return best;
}

RealismAnswer ConstantsOf(const std::vector<const ConfigRecord*>& rows) {
  std::vector<std::pair<double, double>> lr, seq, r, alpha, batch, epochs, warmup;
  std::vector<std::pair<std::string, double>> sched, opt, target;
  for (const ConfigRecord* x : rows) {
    const double w = x->weight;
    lr.push_back({x->learning_rate, w});
    if (x->max_seq_length) seq.push_back({double(*x->max_seq_length), w});
    if (x->lora_r) r.push_back({double(*x->lora_r), w});
    if (x->lora_r && x->lora_alpha) alpha.push_back({double(*x->lora_alpha) / *x->lora_r, w});
    if (x->effective_batch_size > 0) batch.push_back({double(x->effective_batch_size), w});
    if (x->num_epochs) epochs.push_back({*x->num_epochs, w});
    if (x->warmup_ratio) warmup.push_back({*x->warmup_ratio, w});
    sched.push_back({x->lr_scheduler, w});
    opt.push_back({OptimizerFamily(x->optimizer), w});
    target.push_back({TargetClass(x->lora_target), w});
  }
  auto med = [](const std::vector<std::pair<double, double>>& v) -> std::optional<double> {
    if (v.empty()) return std::nullopt;
    return WeightedMedian(v);
  };
  RealismAnswer a;
  a.learning_rate = med(lr);
  a.max_seq_length = med(seq);
  a.lora_r = med(r);
  if (auto ratio = med(alpha); ratio && a.lora_r) a.lora_alpha = *ratio * *a.lora_r;
  a.effective_batch = med(batch);
  a.num_epochs = med(epochs);
  a.warmup_ratio = med(warmup);
  a.scheduler = WeightedMode(sched);
  a.optimizer_family = WeightedMode(opt);
  a.target_class = WeightedMode(target);
  return a;
}

}  // namespace

AdapterConstants AdapterConstants::Fit(const std::vector<ConfigRecord>& records,
                                       const std::function<bool(size_t)>& in_train) {
  std::map<std::string, std::vector<const ConfigRecord*>> rows;
  for (size_t i = 0; i < records.size(); ++i)
    if (in_train(i)) rows[records[i].adapter_type].push_back(&records[i]);
  AdapterConstants c;
  for (const auto& [adapter, v] : rows) c.by_adapter_[adapter] = ConstantsOf(v);
  return c;
}

RealismAnswer AdapterConstants::For(const ConfigRecord& r) const {
  auto it = by_adapter_.find(r.adapter_type);
  if (it == by_adapter_.end()) return RealismAnswer::Refusal();
  RealismAnswer a = it->second;
  if (!HasAdapter(r)) a.lora_r.reset(), a.lora_alpha.reset(), a.target_class.clear();
  return a;
}

// ---- fields --------------------------------------------------------------

const std::vector<RealismField>& RealismFields() {
  static const std::vector<RealismField> f = {
      {"lr_2x", "learning rate within 2x", true},
      {"seq_2x", "max_seq_length within 2x", true},
      {"target_class", "LoRA targets: same class (attention-only vs all linear)", true},
      {"rank_2x", "LoRA rank within 2x", true},
      {"alpha_ratio_2x", "alpha/r within 2x", true},
      {"pref_lr_3x", "preference-tuning learning rate within 3x", false},
      {"eff_batch_2x", "effective batch within 2x", false},
      {"epochs_2x", "epochs within 2x", false},
      {"scheduler_same", "scheduler same", false},
      {"warmup_2x", "warmup ratio within 2x (or both zero)", false},
      {"optimizer_family_same", "optimizer same family (adamw / 8-bit / other)", false},
  };
  return f;
}

std::optional<bool> FieldAgrees(const std::string& field, const ConfigRecord& r, const RealismAnswer& a) {
  const bool adapter = HasAdapter(r);
  if (field == "lr_2x") return Within(a.learning_rate, r.learning_rate, 2);
  if (field == "pref_lr_3x") {
    if (!IsPreferenceTask(r.task_type)) return std::nullopt;
    return Within(a.learning_rate, r.learning_rate, 3);
  }
  if (field == "seq_2x") {
    if (!r.max_seq_length) return std::nullopt;
    return Within(a.max_seq_length, *r.max_seq_length, 2);
  }
  if (field == "target_class") {
    const std::string mine = TargetClass(r.lora_target);
    if (!adapter || mine.empty()) return std::nullopt;
    return a.target_class == mine;
  }
  if (field == "rank_2x") {
    if (!adapter || !r.lora_r) return std::nullopt;
    return Within(a.lora_r, *r.lora_r, 2);
  }
  if (field == "alpha_ratio_2x") {
    if (!adapter || !r.lora_r || !r.lora_alpha || *r.lora_r <= 0) return std::nullopt;
    std::optional<double> ratio;
    if (a.lora_r && a.lora_alpha && *a.lora_r > 0) ratio = *a.lora_alpha / *a.lora_r;
    return Within(ratio, double(*r.lora_alpha) / *r.lora_r, 2);
  }
  if (field == "eff_batch_2x") {
    if (r.effective_batch_size <= 0) return std::nullopt;
    return Within(a.effective_batch, r.effective_batch_size, 2);
  }
  if (field == "epochs_2x") {
    if (!r.num_epochs || !(*r.num_epochs > 0)) return std::nullopt;
    return Within(a.num_epochs, *r.num_epochs, 2);
  }
  if (field == "scheduler_same") {
    if (r.lr_scheduler.empty()) return std::nullopt;
    return a.scheduler == r.lr_scheduler;
  }
  if (field == "warmup_2x") {
    if (!r.warmup_ratio) return std::nullopt;
    if (!a.warmup_ratio) return false;
    if (*r.warmup_ratio <= 1e-12 || *a.warmup_ratio <= 1e-12) return *r.warmup_ratio <= 1e-12 && *a.warmup_ratio <= 1e-12;
    return Within(a.warmup_ratio, *r.warmup_ratio, 2);
  }
  if (field == "optimizer_family_same") {
    const std::string mine = OptimizerFamily(r.optimizer);
    if (mine.empty()) return std::nullopt;
    return a.optimizer_family == mine;
  }
  return std::nullopt;
}

bool Agreement(const ConfigRecord& r, const RealismAnswer& a) {
  if (!FieldAgrees("lr_2x", r, a).value_or(false)) return false;
  if (FieldAgrees("seq_2x", r, a) == std::optional<bool>(false)) return false;
  if (FieldAgrees("rank_2x", r, a) == std::optional<bool>(false)) return false;
  return true;
}

std::optional<double> Auc(const std::vector<std::pair<double, bool>>& score_label) {
  double pos = 0, neg = 0;
  for (const auto& [s, y] : score_label) (y ? pos : neg) += 1;
  if (pos == 0 || neg == 0) return std::nullopt;
  // Mann-Whitney: average ranks, ties share their mean rank.
  std::vector<std::pair<double, bool>> v = score_label;
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  double rank_sum_pos = 0;
  for (size_t i = 0; i < v.size();) {
    size_t j = i;
    while (j < v.size() && v[j].first == v[i].first) ++j;
    const double mean_rank = (double(i + 1) + double(j)) / 2;
    for (size_t k = i; k < j; ++k)
      if (v[k].second) rank_sum_pos += mean_rank;
    i = j;
  }
  return (rank_sum_pos - pos * (pos + 1) / 2) / (pos * neg);
}

}  // namespace ftconfig::cli
