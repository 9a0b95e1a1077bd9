// Stage 3 of the recommendation: the values a practitioner would start from,
// before memory is considered. Each value starts from a rule of practice with
// a public source (docs/recommendation.md, "Base values"); the user's data
// sets the sequence. The corpus's source repositories vote (one vote each, so
// no house template dominates); the vote is shown and feeds the confidence.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>

#include "corpus_index.h"
#include "outline.h"
#include "recommend_internal.h"
#include "recommend_vote.h"

FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN

namespace ftconfig::internal {

namespace {

// Average tokens per training example when neither the data nor the dataset
// says: Alpaca-style instruction data averages a few hundred tokens with
// Llama tokenizers.
constexpr double kDefaultTokensPerExample = 300;
constexpr double kDefaultDatasetSize = 10000;
// The sequence when the data's lengths are unknown: what current trainers
// default to (Unsloth's guide and notebooks, LLaMA-Factory's cutoff_len 2048).
constexpr int kDefaultSeq = 2048;
// Vision-language data whose lengths are unknown: the text default plus room
// for an image's tokens, which must never be truncated (TRL's SFT, DPO and KTO
// docs, huggingface/trl docs/source/sft_trainer.md, 2026-07: truncating may
// remove image tokens and fail the training). An image costs 256 tokens in
// Gemma 3, 576 in LLaVA-1.5, up to 2,880 in LLaVA-NeXT and about 1,340 for a
// 1024 x 1024 image in Qwen2-VL (one token per 28 x 28 pixels).
constexpr int kDefaultVisionSeq = 4096;
// The shortest sequence the plan may choose when the data's lengths are unknown.
constexpr int kUnknownSeqFloor = 1024;
// T5 (encoder-decoder) checkpoints' n_positions: the length they were trained
// at (google-t5/t5-base and google/flan-t5-base config.json).
constexpr int kT5TrainedSeq = 512;

std::string Sci(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2g", v);
  return buf;
}

struct LrRule {
  double value;
  const char* source;
};

// The learning rate practitioners start from, by task family and adapter.
// Size rules (1e-4 above 30B, the QLoRA paper) lost to the plain rule held
// out (docs/realism.md), so the model's size does not enter.
LrRule LearningRateRule(const std::string& family, const std::string& task, bool adapter) {
  if (task == "preference_orpo")
    return adapter ? LrRule{8e-5, "ORPO with adapters: the ORPO paper's (Hong et al. 2024) full-parameter 8e-6 times "
                                  "10, the adapter/full ratio of the other rules (LoRA 2e-4 vs 2e-5, DPO 5e-6 vs 5e-7)"}
                   : LrRule{8e-6, "ORPO (Hong et al. 2024) and TRL's ORPO examples: 8e-6"};
  if (family == "preference")
    return adapter ? LrRule{5e-6, "DPO with adapters: Unsloth's DPO guide, alignment-handbook zephyr-7b-dpo-qlora, LLaMA-Factory DPO examples: 5e-6"}
                   : LrRule{1e-6, "full-parameter DPO: TRL DPOConfig default 1e-6; alignment-handbook Zephyr recipes 5e-7"};
  if (family == "reward")
    return adapter ? LrRule{1e-4, "reward models with adapters: TRL, LLaMA-Factory and ms-swift reward examples: 1e-4"}
                   : LrRule{1e-5, "full-parameter reward models: OpenRLHF 9e-6, TRL reward examples 1e-5"};
  if (adapter && family == "pretraining")
    return {1e-4, "continued pretraining with adapters: LLaMA-Factory 1e-4, Unsloth 5e-5"};
  if (adapter) return {2e-4, "LoRA/QLoRA: Unsloth's guide and the QLoRA paper (Dettmers et al. 2023): 2e-4"};
  return {2e-5, "full fine-tuning: Stanford Alpaca, Vicuna and Unsloth's guide: 2e-5"};
}

// The learning rate is the rule of practice for the context. The corpus's
// repositories vote too, one vote each; held out by source, the vote agreed
// with practitioners less often than the rule (docs/realism.md, "Learning
// rate: rule or vote"), so it informs the confidence and is shown, not served.
void SetLearningRate(const CorpusIndex& index, const Pool& pool, const Target& t, Values* v) {
  LrRule rule = LearningRateRule(t.task_family, t.task, t.adapter != "none");
  v->learning_rate = {rule.value, "rule", std::string(rule.source)};
  VoteTally vote = RepoVote(index, pool, t, CorpusIndex::kLogLr, std::log10(v->learning_rate.value), std::log10(2.0));
  v->lr_repos = vote.repos;
  v->lr_support = vote.support;
  if (vote.median)
    v->learning_rate.why += "; the " + std::to_string(vote.repos) + " source repositories of the " +
                            pool.label + " vote " + Sci(std::pow(10.0, *vote.median));
}

// How many source repositories use a sequence within 2x of the chosen one.
void SequenceSupport(const CorpusIndex& index, const Pool& pool, const Target& t, Values* v) {
  VoteTally vote = RepoVote(index, pool, t, CorpusIndex::kLogSeq, std::log2(v->seq.value), 1.0);
  v->seq_repos = vote.repos;
  v->seq_support = vote.support;
}

// The sequence: as requested, else covering the data's p95, else 2048; never
// beyond the model's context.
void SetSequence(const Request& req, const Target& t, Values* v) {
  const int context = t.arch.max_position_embeddings > 0 ? t.arch.max_position_embeddings : 1048576;
  const DataTokens* d = req.data_tokens ? &*req.data_tokens : nullptr;
  const std::optional<int> need = d ? (d->p95 ? d->p95 : d->max ? d->max : d->p50) : std::nullopt;
  if (req.max_seq_length) {
    v->seq = {*req.max_seq_length, "request", "as requested"};
    v->seq_floor = need ? std::min(*need, *req.max_seq_length) : std::min(kUnknownSeqFloor, *req.max_seq_length);
  } else if (need) {
    int covered = ((*need + 127) / 128) * 128;  // whole multiples of 128 tokens
    v->seq = {covered, "data", "covers the data's " + std::string(d->p95 ? "p95" : d->max ? "longest example" : "median") +
                                   " of " + std::to_string(*need) + " tokens"};
    v->seq_floor = covered;
  } else if (t.arch.architecture == "encoder-decoder") {
    // T5's relative positions set no hard limit; its configs' n_positions (512) is the length it was trained at.
    v->seq = {kT5TrainedSeq, "rule", "the data's lengths are unknown: 512 tokens, the length T5 models were trained "
                                     "at (n_positions in their config.json; give data_tokens to size it to your data)"};
    v->seq_floor = kT5TrainedSeq;
  } else if (t.task == "vision_language") {
    v->seq = {kDefaultVisionSeq, "rule", "the data's lengths are unknown: 4096 tokens, 2048 of text and room for an "
                                         "image's tokens (256 to 2,880 by model), which must not be truncated "
                                         "(give data_tokens to size it to your data)"};
    v->seq_floor = kUnknownSeqFloor;
  } else {
    v->seq = {kDefaultSeq, "rule", "the data's lengths are unknown: 2048 tokens, what current trainers default to "
                                   "(give data_tokens to size it to your data)"};
    v->seq_floor = kUnknownSeqFloor;
  }
  if (v->seq.value > context) {
    v->seq = {context, "clamp", "the model's context length (" + std::to_string(context) + " tokens)"};
  }
  v->seq_floor = std::min(v->seq_floor, v->seq.value);
}

// LoRA: all linear layers (what most practitioners use today, and PEFT's
// default for encoders is query/value); rank 16 (64 for continued pretraining); alpha
// = r, or 2r for small ranks (alpha 16).
void SetLora(const Target& t, Values* v) {
  if (t.arch.architecture == "encoder") {
    v->lora_target = {"qv", "rule", "query and value projections: PEFT's default for BERT-style encoders"};
  } else {
    v->lora_target = {"all_linear", "rule", "all linear layers of the blocks, as most practitioners and the QLoRA paper do"};
  }
  if (t.task_family == "pretraining")
    v->lora_r = {64, "rule", "continued pretraining learns new knowledge: a larger rank (Unsloth's continued pretraining guide)"};
  else
    v->lora_r = {16, "rule", "rank 16: Unsloth's guide and the common default of LoRA recipes"};
  v->lora_dropout = {0.05, "rule", "0.05: the common PEFT/axolotl value"};
}

void SetAlpha(int ratio, Values* v) {
  int r = v->lora_r.value;
  if (ratio == 2)
    v->lora_alpha = {2 * r, "corpus", "alpha = 2 x rank: the median alpha/r of the corpus's configurations of this "
                                      "adapter (each repository's template counted about once), of alpha = r and 2r"};
  else
    v->lora_alpha = r < 16 ? Set<int>{2 * r, "rule", "2 x rank for small ranks (alpha 16 at rank 8)"}
                           : Set<int>{r, "rule", "alpha = rank (scale 1), Unsloth's guide"};
}

// Epochs by dataset size: large datasets need one pass, small ones overfit
// past ~3.
void SetEpochs(const Catalog& catalog, const Profile& pool, Values* v) {
  double e = pool.epochs_median.value_or(1.0);
  std::string why = "median of the pool";
  if (v->dataset_size >= catalog.dataset_medium_max()) e = 1, why = "large dataset: one epoch";
  else if (v->dataset_size >= catalog.dataset_small_max()) e = std::min(e, 2.0), why = "medium dataset: at most two epochs";
  else e = std::clamp(e, 1.0, 3.0), why = "small dataset: the pool's epochs, at most three";
  v->epochs = {std::max(1.0, std::round(e)), "pool", why};
}

// Effective batch, warmup, scheduler and optimizer as held-out practitioners most often
// agree with (docs/realism.md, docs/recommendation.md): the pool's median and
// mode, often one repository's template, agreed less often. The batch is per
// GPU, as the guides state it (a micro-batch times accumulation on each device)
// and as data-parallel training scales it.
void SetSchedule(const Target& t, const Profile& pool, const LearnedSchedule& learned, Values* v) {
  const bool adapter = t.adapter != "none";
  const int gpus = std::max(1, t.num_gpus);
  v->effective_batch = {(adapter ? 8 : 16) * gpus, "rule",
                        adapter ? "8 sequences per GPU per optimizer step for adapters (Unsloth's guide: 2 x 4 accumulation)"
                                : "16 sequences per GPU per optimizer step for full fine-tuning"};
  v->warmup_ratio = {learned.warmup_ratio, "corpus",
                     "the warmup ratio most source repositories are within 2x of (each repository counted once)"};
  v->weight_decay = {pool.weight_decay_median.value_or(0.0), "pool", "median weight decay of the pool"};
  v->scheduler = {learned.scheduler, "corpus",
                  "the scheduler most source repositories use (each repository's own choice counted once)"};
  // With full fine-tuning the memory plan switches to a paged 8-bit optimizer
  // when memory needs it (memory_plan.cpp); 8-bit ones need bitsandbytes.
  std::string opt = learned.optimizer;
  if (Is8bit(opt) && !t.gpu->bnb_4bit) opt = "adamw";
  v->optimizer = {opt, "corpus", opt == learned.optimizer
                                     ? "the optimizer most source repositories use (each repository counted once)"
                                     : "AdamW: the repositories' 8-bit optimizer needs bitsandbytes, which this GPU lacks"};
  v->grad_ckpt = pool.gradient_checkpointing_mode.value_or(true);
}

void SetDataset(const Catalog& catalog, const Request& req, Values* v) {
  const DatasetInfo* d = req.dataset_name.empty() ? nullptr : catalog.FindDataset(req.dataset_name);
  v->dataset_size = req.dataset_size.value_or(0);
  if (v->dataset_size <= 0 && d && d->num_examples) v->dataset_size = *d->num_examples;
  if (v->dataset_size <= 0) {
    v->dataset_size = kDefaultDatasetSize;
    v->assumptions.push_back("dataset_size unknown: time and cost assume 10,000 examples");
  }
  v->tokens_per_example = kDefaultTokensPerExample;
  if (req.data_tokens && req.data_tokens->p50) v->tokens_per_example = *req.data_tokens->p50;
  else if (d && d->avg_tokens) v->tokens_per_example = *d->avg_tokens;
  else v->assumptions.push_back("examples average ~300 tokens (no dataset statistics)");
}

}  // namespace

bool Within(double a, double b, double factor) { return a > 0 && b > 0 && std::max(a, b) / std::min(a, b) <= factor * 1.0001; }

std::map<std::string, std::pair<double, double>> RuleAgreement(const std::vector<ConfigRecord>& recs) {
  std::map<std::string, std::pair<double, double>> out;
  for (const ConfigRecord& r : recs) {
    if (!(r.learning_rate > 0)) continue;
    const bool adapter = r.adapter_type != "none";
    const std::string family = TaskFamily(r.task_type);
    LrRule rule = LearningRateRule(family, r.task_type, adapter);
    bool agree = Within(rule.value, r.learning_rate, 2);
    if (r.max_seq_length) agree = agree && Within(kDefaultSeq, *r.max_seq_length, 2);
    if (adapter && r.lora_r) agree = agree && Within(family == "pretraining" ? 64 : 16, *r.lora_r, 2);
    auto& [n, k] = out[r.task_type];
    n += 1;
    k += agree ? 1 : 0;
  }
  return out;
}

namespace {

// The weighted median alpha/r of the rows `keep` accepts, snapped to 1 or 2.
int MedianAlphaRatio(const std::vector<ConfigRecord>& recs, const std::function<bool(const ConfigRecord&)>& keep) {
  std::vector<std::pair<double, double>> ratios;
  double total = 0;
  for (const ConfigRecord& r : recs) {
    if (!keep(r) || !r.lora_r || !r.lora_alpha || *r.lora_r <= 0 || *r.lora_alpha <= 0) continue;
    ratios.push_back({double(*r.lora_alpha) / *r.lora_r, r.weight});
    total += r.weight;
  }
  std::sort(ratios.begin(), ratios.end());
  double seen = 0;
  for (const auto& [ratio, w] : ratios) {
    seen += w;
    if (seen >= total / 2) return ratio >= std::sqrt(2.0) ? 2 : 1;
  }
  return 1;
}

}  // namespace

AlphaRatios LoraAlphaRatios(const std::vector<ConfigRecord>& recs) {
  AlphaRatios out;
  out.lora = MedianAlphaRatio(recs, [](const ConfigRecord& r) { return r.adapter_type != "qlora"; });
  out.qlora = MedianAlphaRatio(recs, [](const ConfigRecord& r) { return r.adapter_type == "qlora"; });
  return out;
}

Values BaseValues(const Catalog& catalog, const CorpusIndex& index, const Request& req, const Target& t, const Pool& pool,
                  const CorpusLearned& learned) {
  Values v;
  SetDataset(catalog, req, &v);
  SetLearningRate(index, pool, t, &v);
  SetSequence(req, t, &v);
  SequenceSupport(index, pool, t, &v);
  SetLora(t, &v);
  SetAlpha(t.adapter == "qlora" ? learned.qlora_alpha_ratio : learned.lora_alpha_ratio, &v);
  SetEpochs(catalog, pool.pool, &v);
  SetSchedule(t, pool.pool, t.adapter != "none" ? learned.adapter_schedule : learned.full_schedule, &v);
  return v;
}

}  // namespace ftconfig::internal

FTCONFIG_OPTIMIZE_FOR_SIZE_END
