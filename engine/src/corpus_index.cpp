#include "corpus_index.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <unordered_map>

#include "recommend_internal.h"

namespace ftconfig::internal {

// Strings to dense ids, in order of first appearance.
class Interner {
 public:
  uint32_t Id(const std::string& s) {
    auto [it, added] = ids_.try_emplace(s, static_cast<uint32_t>(ids_.size()));
    return it->second;
  }
  size_t size() const { return ids_.size(); }

 private:
  std::unordered_map<std::string, uint32_t> ids_;
};

namespace {


uint64_t Bits(double v) {
  uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

template <typename T>
uint64_t Opt(const std::optional<T>& v) {
  return v ? Bits(static_cast<double>(*v)) : ~uint64_t{0};  // no double has all bits set but a NaN
}

// Dense ids for equal keys, in order of first appearance.
template <size_t N>
class KeyIds {
 public:
  uint32_t Id(const std::array<uint64_t, N>& key) {
    auto [it, added] = ids_.try_emplace(key, static_cast<uint32_t>(ids_.size()));
    return it->second;
  }
  size_t size() const { return ids_.size(); }

 private:
  std::map<std::array<uint64_t, N>, uint32_t> ids_;
};

// What HeuristicScore reads of a record (ranking_features.cpp).
std::array<uint64_t, 9> ScoreKey(const ConfigRecord& r, Interner& strings) {
  return {strings.Id(r.task_type),        strings.Id(r.adapter_type), strings.Id(r.model_family),
          Opt(r.model_params_b),          Opt(r.max_seq_length),      strings.Id(r.gpu_type),
          Opt(r.dataset_size),            r.eval_metric_value ? 1u : 0u, r.peak_vram_gb ? 1u : 0u};
}

// What FromRecord reads of a record (memory_plan.cpp).
std::array<uint64_t, 7> ShapeKey(const ConfigRecord& r, Interner& strings) {
  return {static_cast<uint64_t>(r.batch_size_per_device),
          static_cast<uint64_t>(r.gradient_accumulation_steps),
          static_cast<uint64_t>(r.max_seq_length.value_or(1024)),
          r.gradient_checkpointing.value_or(true) ? 1u : 0u,
          static_cast<uint64_t>(r.lora_r.value_or(16)),
          strings.Id(r.lora_target.empty() ? "all_linear" : r.lora_target),
          strings.Id(r.optimizer.empty() ? "adamw" : r.optimizer)};
}

}  // namespace

struct CorpusIndex::Cache {
  std::mutex mutex;
  std::map<std::string, std::any> done;  // nodes stay put and are never changed
  std::map<std::array<uint32_t, 5>, std::shared_ptr<const std::vector<double>>> proposals;
};

std::shared_ptr<const std::vector<double>> CorpusIndex::Proposals(const Domain& d, Value v, uint32_t pattern,
                                                                  uint32_t pos, bool mean) const {
  const std::array<uint32_t, 5> key = {d.id, static_cast<uint32_t>(v), pattern, pos, mean ? 1u : 0u};
  {
    std::lock_guard<std::mutex> lock(cache_->mutex);
    auto it = cache_->proposals.find(key);
    if (it != cache_->proposals.end()) return it->second;
  }
  const VotePattern& p = d.votes[v].patterns[pattern];
  const size_t len = p.classes.size();
  auto out = std::make_shared<std::vector<double>>();
  out->reserve(p.values.size() / len);
  for (size_t m = 0; m < p.values.size(); m += len)
    out->push_back(mean ? (p.values[m + pos] + p.values[m + pos + 1]) / 2 : p.values[m + pos]);
  std::sort(out->begin(), out->end());
  std::lock_guard<std::mutex> lock(cache_->mutex);
  return cache_->proposals.try_emplace(key, std::move(out)).first->second;
}

const std::any* CorpusIndex::Find(const std::string& key) const {
  std::lock_guard<std::mutex> lock(cache_->mutex);
  auto it = cache_->done.find(key);
  return it == cache_->done.end() ? nullptr : &it->second;
}

void CorpusIndex::Keep(const std::string& key, std::any value) const {
  std::lock_guard<std::mutex> lock(cache_->mutex);
  if (cache_->done.size() < kMaxCached) cache_->done.emplace(key, std::move(value));
}

// The task's family id, the task and (when new) its family noted.
int CorpusIndex::AddTask(const std::string& task, Interner& families) {
  tasks_.insert(task);
  const std::string family = TaskFamily(task);
  const uint32_t f = families.Id(family);
  if (f == families_.size()) families_.push_back(family);
  return static_cast<int>(f);
}

const CorpusIndex::Domain* CorpusIndex::domain(bool adapter, int family) const {
  const size_t k = 2 * static_cast<size_t>(family) + (adapter ? 1 : 0);
  return family < 0 || k >= domains_.size() || domains_[k].rows.empty() ? nullptr : &domains_[k];
}

void CorpusIndex::BuildDomains() {
  domains_.resize(2 * families_.size());
  for (uint32_t i = 0; i < class_of_.size(); ++i)
    domains_[2 * static_cast<size_t>(family_of_[i]) + (adapter(i) ? 1 : 0)].rows.push_back(i);
  for (Domain& d : domains_) {
    std::stable_sort(d.rows.begin(), d.rows.end(), [&](uint32_t a, uint32_t b) { return repo_of_[a] < repo_of_[b]; });
    for (size_t j = 0; j < d.rows.size(); ++j)
      if (j == 0 || repo_of_[d.rows[j]] != repo_of_[d.rows[j - 1]]) d.starts.push_back(static_cast<uint32_t>(j));
    d.starts.push_back(static_cast<uint32_t>(d.rows.size()));
    d.id = static_cast<uint32_t>(&d - domains_.data());
    BuildVotes(d, kLogLr);
    BuildVotes(d, kLogSeq);
  }
}

// Each repository run's pattern: its rows with a value, sorted by (value,
// score class); equal values may sit in any order, the median's value is the
// same (recommend_vote.cpp).
void CorpusIndex::BuildVotes(Domain& d, Value v) const {
  const std::vector<double>& value = values(v);
  DomainVotes& out = d.votes[v];
  const size_t runs = d.starts.empty() ? 0 : d.starts.size() - 1;
  out.pattern_of.assign(runs, kNoPattern);
  out.member_of.assign(runs, kNoPattern);
  std::map<std::vector<uint32_t>, uint32_t> ids;
  std::vector<std::pair<double, uint32_t>> run;
  std::vector<uint32_t> classes;
  for (size_t r = 0; r < runs; ++r) {
    run.clear();
    for (size_t j = d.starts[r]; j < d.starts[r + 1]; ++j)
      if (!std::isnan(value[d.rows[j]])) run.push_back({value[d.rows[j]], class_of_[d.rows[j]]});
    if (run.empty()) continue;
    std::sort(run.begin(), run.end());
    classes.clear();
    for (const auto& [x, c] : run) classes.push_back(c);
    auto [it, added] = ids.try_emplace(classes, static_cast<uint32_t>(out.patterns.size()));
    if (added) out.patterns.push_back({classes, {}});
    VotePattern& p = out.patterns[it->second];
    out.pattern_of[r] = it->second;
    out.member_of[r] = static_cast<uint32_t>(p.values.size() / classes.size());
    for (const auto& [x, c] : run) p.values.push_back(x);
  }
}

int CorpusIndex::FamilyId(const std::string& task_family) const {
  for (size_t k = 0; k < families_.size(); ++k)
    if (families_[k] == task_family) return static_cast<int>(k);
  return -1;
}

CorpusIndex CorpusIndex::Build(const std::vector<ConfigRecord>& recs) {
  CorpusIndex x;
  Interner strings, repos, families;
  KeyIds<9> score_keys;
  KeyIds<7> shape_keys;
  const size_t n = recs.size();
  x.cache_ = std::make_shared<Cache>();
  x.class_of_.resize(n), x.shape_of_.resize(n), x.repo_of_.resize(n), x.family_of_.resize(n);
  x.log_lr_.resize(n), x.log_seq_.resize(n);
  std::vector<int8_t> family_of_task;  // by task id: -1 until its first row
  for (size_t i = 0; i < n; ++i) {
    const ConfigRecord& r = recs[i];
    const uint32_t c = score_keys.Id(ScoreKey(r, strings));
    if (c == x.classes_.size()) x.classes_.push_back({static_cast<uint32_t>(i), r.adapter_type != "none", {}});
    x.classes_[c].rows.push_back(static_cast<uint32_t>(i));
    x.class_of_[i] = c;
    x.shape_of_[i] = shape_keys.Id(ShapeKey(r, strings));
    x.repo_of_[i] = repos.Id(r.source_repo);
    const uint32_t task = strings.Id(r.task_type);
    if (task >= family_of_task.size()) family_of_task.resize(task + 1, -1);
    if (family_of_task[task] < 0) family_of_task[task] = static_cast<int8_t>(x.AddTask(r.task_type, families));
    x.family_of_[i] = family_of_task[task];
    x.log_lr_[i] = r.learning_rate > 0 ? std::log10(r.learning_rate) : std::nan("");
    x.log_seq_[i] = r.max_seq_length ? std::log2(*r.max_seq_length) : std::nan("");
  }
  x.BuildDomains();
  x.shape_count_ = shape_keys.size();
  x.repo_count_ = repos.size();
  return x;
}

}  // namespace ftconfig::internal
