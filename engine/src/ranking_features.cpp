// Features shared by the hybrid heuristic, the reranker and the
// hyperparameter predictor. Artifacts name the features they read, so
// appending a feature keeps them loadable; changing the meaning of one
// invalidates trained artifacts: rename it and retrain.
#include <algorithm>
#include <cmath>

#include "ftconfig/ranking.h"

namespace ftconfig {

namespace {

double Log2Ratio(double a, double b) {
  if (!(a > 0) || !(b > 0)) return 0;
  return std::fabs(std::log2(a / b));
}

// GPU memory classes: <13, <20, <30, <60, >=60 GB (the recommender's tiers).
int MemClass(double gb) {
  if (!(gb > 0)) return -1;
  if (gb < 13) return 0;
  if (gb < 20) return 1;
  if (gb < 30) return 2;
  if (gb < 60) return 3;
  return 4;
}

// Memory class a corpus config was run on, from its gpu_type text when it
// names a size ("A10G (24GB)", "1x80GB GPU", "Tesla T4"), else unknown.
int RecordMemClass(const ConfigRecord& c) {
  std::string g = c.gpu_type;
  for (auto& ch : g) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (g.empty()) return -1;
  if (g.find("t4") != std::string::npos || g.find("16gb") != std::string::npos) return 1;
  if (g.find("24gb") != std::string::npos || g.find("4090") != std::string::npos ||
      g.find("a10") != std::string::npos || g.find("l4") != std::string::npos)
    return 2;
  if (g.find("40gb") != std::string::npos || g.find("48gb") != std::string::npos ||
      g.find("a6000") != std::string::npos || g.find("l40") != std::string::npos)
    return 3;
  if (g.find("80gb") != std::string::npos || g.find("96gb") != std::string::npos || g.find("a100") != std::string::npos ||
      g.find("h100") != std::string::npos || g.find("b200") != std::string::npos)
    return 4;
  return -1;
}

double Bucket(const std::string& b) {
  if (b == "small") return 0;
  if (b == "medium") return 1;
  if (b == "large") return 2;
  return 1;
}

}  // namespace

QueryContext QueryFromRecord(const ConfigRecord& r, const Catalog& catalog) {
  QueryContext q;
  q.task_type = r.task_type;
  q.size_bucket = r.size_bucket;
  q.adapter_type = r.adapter_type;
  q.family = r.model_family;
  (void)catalog;
  q.params_b = r.model_params_b.value_or(1.0);
  q.seq_len = r.max_seq_length.value_or(0);
  q.dataset_size = r.dataset_size.value_or(0);
  q.num_gpus = r.num_gpus;
  return q;
}

const std::vector<std::string>& PairFeatureNames() {
  static const std::vector<std::string> names = {
      "same_task",          "same_adapter",       "same_size_bucket",  "same_family",
      "log2_params_ratio",  "log2_seq_ratio",     "seq_known",         "mem_class_diff",
      "mem_class_known",    "log10_dataset_ratio","dataset_known",     "cand_log10_lr",
      "cand_log2_eff_batch","cand_log2_lora_r",   "cand_has_metric",   "cand_has_peak",
      "cand_weight",        "headroom",           "headroom_negative", "cand_grad_ckpt",
      "heuristic_score",
  };
  return names;
}

std::vector<double> PairFeatures(const QueryContext& q, const ConfigRecord& c, double headroom) {
  double cparams = c.model_params_b.value_or(q.params_b);
  bool seq_known = q.seq_len > 0 && c.max_seq_length.has_value();
  int qm = MemClass(q.gpu_usable_gb), cm = RecordMemClass(c);
  bool ds_known = q.dataset_size > 0 && c.dataset_size.has_value();
  std::vector<double> f = {
      q.task_type == c.task_type ? 1.0 : 0.0,
      q.adapter_type == c.adapter_type ? 1.0 : 0.0,
      q.size_bucket == c.size_bucket ? 1.0 : 0.0,
      (!q.family.empty() && q.family == c.model_family) ? 1.0 : 0.0,
      Log2Ratio(q.params_b, cparams),
      seq_known ? Log2Ratio(q.seq_len, *c.max_seq_length) : 0.0,
      seq_known ? 1.0 : 0.0,
      (qm >= 0 && cm >= 0) ? std::fabs(static_cast<double>(qm - cm)) : 0.0,
      (qm >= 0 && cm >= 0) ? 1.0 : 0.0,
      ds_known ? std::fabs(std::log10(q.dataset_size / *c.dataset_size)) : 0.0,
      ds_known ? 1.0 : 0.0,
      std::log10(c.learning_rate),
      std::log2(std::max(1, c.effective_batch_size)),
      c.lora_r ? std::log2(std::max(1, *c.lora_r)) : 0.0,
      c.eval_metric_value ? 1.0 : 0.0,
      c.peak_vram_gb ? 1.0 : 0.0,
      c.weight,
      std::clamp(headroom, -1.0, 1.0),
      headroom < 0 ? 1.0 : 0.0,
      c.gradient_checkpointing.value_or(false) ? 1.0 : 0.0,
      // The hybrid strategy's own score (default weights): the reranker
      // starts from the heuristic and learns corrections to it.
      HeuristicScore(q, c, headroom),
  };
  return f;
}

const std::vector<std::string>& QueryFeatureNames() {
  static const std::vector<std::string> names = {
      "log10_params",  "size_bucket",   "adapter_none",    "adapter_lora",  "adapter_qlora",
      "task_sft",      "task_chat",     "task_preference", "task_reasoning","task_other",
      "log2_seq",      "seq_known",     "log10_dataset",   "dataset_known", "mem_class",
      "num_gpus",
  };
  return names;
}

std::vector<double> QueryFeatures(const QueryContext& q) {
  const std::string& t = q.task_type;
  bool pref = t == "preference_dpo" || t == "preference_orpo" || t == "reward_modeling";
  bool reasoning = t == "math_reasoning" || t == "code" || t == "tool_use";
  bool sft = t == "instruction_following" || t == "summarization" || t == "classification";
  bool chat = t == "chat" || t == "vision_language";
  return {
      std::log10(std::max(q.params_b, 1e-3)),
      Bucket(q.size_bucket),
      q.adapter_type == "none" ? 1.0 : 0.0,
      q.adapter_type == "lora" ? 1.0 : 0.0,
      q.adapter_type == "qlora" ? 1.0 : 0.0,
      sft ? 1.0 : 0.0,
      chat ? 1.0 : 0.0,
      pref ? 1.0 : 0.0,
      reasoning ? 1.0 : 0.0,
      (!sft && !chat && !pref && !reasoning) ? 1.0 : 0.0,
      q.seq_len > 0 ? std::log2(q.seq_len) : 0.0,
      q.seq_len > 0 ? 1.0 : 0.0,
      q.dataset_size > 0 ? std::log10(q.dataset_size) : 0.0,
      q.dataset_size > 0 ? 1.0 : 0.0,
      static_cast<double>(MemClass(q.gpu_usable_gb)),
      static_cast<double>(q.num_gpus),
  };
}

double HeuristicScore(const QueryContext& q, const ConfigRecord& c, double headroom, const HybridWeights& w) {
  // Similarity in [0, 1]: a weighted sum of per-aspect closeness.
  double cparams = c.model_params_b.value_or(q.params_b);
  double size_sim = std::exp(-Log2Ratio(q.params_b, cparams) / 1.5);  // 1 at equal size, ~0.5 at 2.8x
  double seq_sim = (q.seq_len > 0 && c.max_seq_length) ? std::exp(-Log2Ratio(q.seq_len, *c.max_seq_length)) : 0.5;
  int qm = MemClass(q.gpu_usable_gb), cm = RecordMemClass(c);
  double mem_sim = (qm >= 0 && cm >= 0) ? 1.0 - std::min(1.0, std::fabs(qm - cm) / 2.0) : 0.5;
  double ds_sim = (q.dataset_size > 0 && c.dataset_size)
                      ? std::exp(-std::fabs(std::log10(q.dataset_size / *c.dataset_size)))
                      : 0.5;
  double family_sim = (!q.family.empty() && q.family == c.model_family) ? 1.0 : 0.0;
  double sim = 0.25 * (q.task_type == c.task_type ? 1.0 : 0.0) + 0.20 * (q.adapter_type == c.adapter_type ? 1.0 : 0.0) +
               0.25 * size_sim + 0.05 * family_sim + 0.10 * seq_sim + 0.08 * mem_sim + 0.07 * ds_sim;
  // Performance: a reported metric or measured peak means the run happened.
  double perf = 0.5 + (c.eval_metric_value ? 0.3 : 0.0) + (c.peak_vram_gb ? 0.2 : 0.0);
  // Efficiency: headroom on the query's GPU (unknown = neutral); not fitting is 0.
  double eff = headroom < 0 ? 0.0 : headroom == 0 ? 0.5 : std::min(1.0, 0.4 + headroom);
  double total = w.similarity + w.performance + w.efficiency;
  return (w.similarity * sim + w.performance * perf + w.efficiency * eff) / (total > 0 ? total : 1.0);
}

}  // namespace ftconfig
