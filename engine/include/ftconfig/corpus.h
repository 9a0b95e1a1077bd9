// The corpus pipeline: load JSONL configuration files (canonical schema and
// real-world variants, see docs/corpus-schema.md), normalize, reject invalid
// rows with a reason, deduplicate, and down-weight template repeats.
#ifndef FTCONFIG_CORPUS_H_
#define FTCONFIG_CORPUS_H_

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ftconfig/catalog.h"
#include "ftconfig/result.h"
#include "ftconfig/shared_string.h"

namespace ftconfig {

// Rows whose batch × accumulation × GPUs exceeds this are rejected
// ("effective_batch_size_out_of_range"); the product is formed in 64 bits.
constexpr int kMaxEffectiveBatchSize = 1 << 20;

// One normalized configuration. Optional fields are empty when the source did
// not say.
struct ConfigRecord {
  std::string id;
  SharedString source_repo;
  std::string source_path;
  SharedString source_file;  // corpus file it came from
  int source_line = 0;

  SharedString model_name;
  SharedString model_family;  // catalog family when the model is known, else ""
  std::optional<double> model_params_b;
  SharedString size_bucket;       // small | medium | large | unknown
  SharedString task_type;         // canonical task id
  SharedString adapter_type;      // none | lora | qlora
  SharedString adapter_original;  // as written: none | lora | qlora | dora | freeze
  SharedString quantization;      // none | 4bit | 8bit

  std::optional<int> lora_r;
  std::optional<int> lora_alpha;
  std::optional<double> lora_dropout;
  SharedString lora_target;  // qv | attention | all_linear | all_linear_embed | "" (unknown)

  double learning_rate = 0;
  int batch_size_per_device = 0;
  int gradient_accumulation_steps = 1;
  int num_gpus = 1;
  int effective_batch_size = 0;  // batch × accumulation × GPUs, at most kMaxEffectiveBatchSize

  std::optional<int> max_seq_length;
  std::optional<double> num_epochs;
  std::optional<int> max_steps;
  SharedString optimizer;     // canonical: adamw | adamw_8bit | paged_adamw_8bit | paged_adamw_32bit | adafactor | sgd | other | ""
  SharedString lr_scheduler;  // canonical: cosine | linear | constant | constant_with_warmup | cosine_with_min_lr | step | ""
  SharedString precision;     // bf16 | fp16 | fp32 | ""
  std::optional<double> warmup_ratio;
  std::optional<double> weight_decay;
  std::optional<bool> gradient_checkpointing;
  std::optional<bool> flash_attention;
  std::optional<bool> packing;

  SharedString dataset_name;
  std::optional<double> dataset_size;  // examples
  SharedString dataset_size_bucket;     // small | medium | large | unknown
  SharedString gpu_type;
  std::optional<double> peak_vram_gb;
  std::optional<double> eval_metric_value;
  SharedString eval_metric_name;

  // Weight in profiles: 1 / (number of rows from the same source repository
  // sharing this row's hyperparameter template), so a repository repeating one
  // template counts about once per template, not once per file.
  double weight = 1.0;
};

struct CorpusSource {
  std::string name;   // file name, used in warnings and row positions
  std::string jsonl;  // file contents
};

struct CorpusStats {
  int files_loaded = 0;
  int files_skipped = 0;
  int rows_read = 0;
  int rows_rejected = 0;
  int rows_duplicate = 0;
  int rows_accepted = 0;
  std::map<std::string, int> rejected_by_reason;
  std::map<std::string, int> accepted_by_source;
  std::vector<std::string> warnings;  // "file:line: ..." and skipped files
};

// What the engine learns from a whole corpus besides its rows (recommend.cpp):
// the LoRA alpha / rank ratios; per task, how many configurations agree with
// the rules' values (the confidence's base); the scheduler, warmup and
// optimizer per adapter class, each source repository counted once. A
// distilled corpus keeps its source's, so a bundle sampled from a large corpus
// answers with them.
struct LearnedSchedule {
  // The values a learned schedule may hold: what the engine serves and exports.
  static constexpr std::array<std::string_view, 4> kSchedulers = {"cosine", "linear", "constant",
                                                                  "constant_with_warmup"};
  static constexpr std::array<std::string_view, 3> kOptimizers = {"adamw", "adamw_8bit", "paged_adamw_8bit"};
  static constexpr double kMaxWarmupRatio = 0.1;

  std::string scheduler = "cosine";  // one of kSchedulers
  double warmup_ratio = 0.05;        // 0 to kMaxWarmupRatio
  std::string optimizer = "adamw";   // one of kOptimizers
  bool operator==(const LearnedSchedule& o) const {
    return scheduler == o.scheduler && warmup_ratio == o.warmup_ratio && optimizer == o.optimizer;
  }
};

struct CorpusLearned {
  int lora_alpha_ratio = 1;   // alpha / r for LoRA and other adapters: 1 or 2
  int qlora_alpha_ratio = 1;  // alpha / r for QLoRA: 1 or 2
  std::map<std::string, std::pair<double, double>> rule_agreement;  // task -> (configurations, agreeing)
  LearnedSchedule adapter_schedule;  // scheduler, warmup and optimizer of adapter fine-tuning
  LearnedSchedule full_schedule;     // and of full fine-tuning
  bool operator==(const CorpusLearned& o) const {
    return lora_alpha_ratio == o.lora_alpha_ratio && qlora_alpha_ratio == o.qlora_alpha_ratio &&
           rule_agreement == o.rule_agreement && adapter_schedule == o.adapter_schedule &&
           full_schedule == o.full_schedule;
  }
};

class Corpus {
 public:
  // Loads every source in order. Rows that fail validation are counted by
  // reason, not fatal; a file whose rows are all null/empty is skipped with a
  // warning. Fails (kDataError) only when no source has a usable row.
  static Result<Corpus> Build(const std::vector<CorpusSource>& sources, const Catalog& catalog);

  // The normalized records and statistics in a compact columnar form
  // ({"format": "ftconfig-corpus-snapshot", "fields": [...], "rows": [[...]]}),
  // for start-up paths that should not re-parse and re-normalize raw JSONL
  // (the browser engine). FromSnapshot(ToSnapshot()) gives equal records;
  // FromSnapshot refuses another format version or field list (kDataError
  // naming "corpus_snapshot.<field>").
  json ToSnapshot() const;
  static Result<Corpus> FromSnapshot(const json& snapshot);

  // The same records and statistics in a binary form for the native engine
  // (corpus_snapshot_binary.cpp; docs/performance.md, "Corpus snapshot"):
  // every string once in a table, numbers in this machine's byte order, no
  // JSON to parse. `stamp` is kept as given (the CLI records the files it was
  // made from) and handed back in *stamp. FromBinarySnapshot gives records
  // equal to the original and refuses another format version, byte order or
  // field list, truncated data and out-of-range values (kDataError naming
  // "corpus_snapshot.<field>").
  std::string ToBinarySnapshot(const std::string& stamp) const;
  static Result<Corpus> FromBinarySnapshot(std::string_view bytes, std::string* stamp = nullptr);
  // The stamp of a binary snapshot of this version, read from its header
  // alone; "" when `bytes` is not one.
  static std::string BinarySnapshotStamp(std::string_view bytes);

  // At most `max_rows` records (all when there are no more, or max_rows is
  // 0), for a bundle whose size must not grow with the corpus: every (task,
  // size bucket, adapter) group keeps a share about proportional to its size
  // and at least one row while the budget allows, taking its repositories in
  // turn (rows in the order of their ids' hashes). Records keep their weights;
  // the statistics count what was kept and say it was distilled; learned()
  // holds what the whole corpus taught (its JSON snapshot carries it).
  Corpus Distill(size_t max_rows) const;

  const std::vector<ConfigRecord>& records() const { return records_; }
  const CorpusStats& stats() const { return stats_; }
  // Set on a distilled corpus (and its JSON snapshot): the whole corpus's
  // learned values, which the engine uses instead of learning from the sample.
  const std::optional<CorpusLearned>& learned() const { return learned_; }

 private:
  std::vector<ConfigRecord> records_;
  CorpusStats stats_;
  std::optional<CorpusLearned> learned_;
};

// Normalizes one JSON row (any accepted schema variant). On rejection returns
// an Error whose message is the rejection reason key (e.g. "learning_rate_out_of_range").
Result<ConfigRecord> NormalizeRow(const json& row, const Catalog& catalog);

// small (<1B) | medium (1–7B) | large (>7B); "unknown" when size is unknown.
std::string SizeBucket(std::optional<double> params_b);
std::string CanonicalOptimizer(const std::string& name);
std::string CanonicalScheduler(const std::string& name);
std::string CanonicalPrecision(const std::string& name);
std::string CanonicalLoraTarget(const json& target);

}  // namespace ftconfig

#endif  // FTCONFIG_CORPUS_H_
