// Statistical profiles of the corpus by (task_type, model_size_bucket,
// adapter_type), with a fallback hierarchy for thin or missing groups.
#ifndef FTCONFIG_PROFILES_H_
#define FTCONFIG_PROFILES_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ftconfig/corpus.h"

namespace ftconfig {

struct GroupKey {
  std::string task_type;
  std::string size_bucket;
  std::string adapter_type;
  std::string ToString() const { return task_type + "/" + size_bucket + "/" + adapter_type; }
};

// Weighted summary statistics of a set of configs. Medians are weighted by
// ConfigRecord::weight; modes likewise.
struct Profile {
  int count = 0;            // rows
  double weight_sum = 0;    // effective number of independent rows
  int sources = 0;          // distinct source repositories
  double lr_median = 0, lr_q1 = 0, lr_q3 = 0;
  double effective_batch_median = 0;
  std::optional<double> lora_r_median, lora_alpha_median, lora_dropout_median;
  std::optional<double> seq_len_median, epochs_median, warmup_ratio_median, weight_decay_median;
  std::string optimizer_mode, precision_mode, scheduler_mode, lora_target_mode;
  std::optional<bool> gradient_checkpointing_mode;
  std::vector<size_t> members;  // indices into Corpus::records()
};

// Summarizes the given records (indices into `records`). Weights default to
// each record's `weight`; `weights`, when given, is parallel to `members`
// (the hybrid strategy weighs neighbours by their score). An empty set gives
// a Profile with count 0.
Profile Summarize(const std::vector<ConfigRecord>& records, const std::vector<size_t>& members,
                  const std::vector<double>* weights = nullptr);

enum class FallbackLevel { kExact = 0, kTaskAdapter = 1, kAdapterSize = 2, kGlobal = 3 };
const char* ToString(FallbackLevel level);

struct ProfileMatch {
  FallbackLevel level = FallbackLevel::kGlobal;
  std::string group;  // the key of the level used, e.g. "chat/medium/qlora" or "*/medium/qlora"
  Profile profile;
};

// The groups are formed when the table is built; each group's summary is
// computed the first time a lookup lands on it (a request needs one to four of
// the ~150, and the browser's cold start waits for the engine to load:
// docs/performance.md). Lookups are safe from several threads.
class ProfileTable {
 public:
  // `min_weight`: a group thinner than this (in effective rows) falls back.
  // The table reads `corpus` later: it must outlive the table and stay where
  // it is (Engine owns both).
  static ProfileTable Build(const Corpus& corpus, double min_weight = 3.0);

  // exact → same task and adapter → same adapter and size → global (same
  // adapter when possible). Never fails on a non-empty corpus.
  ProfileMatch Lookup(const GroupKey& key) const;

  // All exact groups in key order, summarized, for `ftconfig corpus stats`.
  std::vector<std::pair<GroupKey, Profile>> groups() const;
  size_t group_count() const { return exact_.size(); }
  double min_weight() const { return min_weight_; }

 private:
  struct Group {
    std::string name;  // "chat/medium/qlora", "chat/*/qlora", "*/medium/qlora", "*/*/qlora", "*/*/*"
    std::vector<size_t> members;
    double weight_sum = 0;  // what Summarize would give, for the fallback decision
  };
  struct Summaries;  // computed profiles by level and name, behind a mutex

  const Profile& Summary(FallbackLevel level, const Group& group) const;
  void SummarizeExactGroups() const;
  const Group* Find(const std::map<std::string, Group>& level, const std::string& name) const;

  const std::vector<ConfigRecord>* records_ = nullptr;
  std::vector<std::pair<GroupKey, Group>> exact_;
  std::map<std::string, Group> task_adapter_, adapter_size_, adapter_, global_;
  std::shared_ptr<Summaries> summaries_;
  double min_weight_ = 3.0;
};

}  // namespace ftconfig

#endif  // FTCONFIG_PROFILES_H_
