#include "ftconfig/profiles.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include "outline.h"

namespace ftconfig {

namespace {

// (value, weight) pairs in sorted order as runs of equal pairs: what sorting
// the pairs gives, without the sort when few pairs are distinct (most
// columns: batches, ranks, epochs, weights 1/k).
struct Run {
  double value, weight;
  size_t count;
};

struct PairHash {
  size_t operator()(const std::pair<double, double>& p) const {
    uint64_t a, b;
    std::memcpy(&a, &p.first, sizeof a);
    std::memcpy(&b, &p.second, sizeof b);
    uint64_t h = (a ^ (b * 0x9E3779B97F4A7C15ull)) * 0xBF58476D1CE4E5B9ull;
    return static_cast<size_t>(h ^ (h >> 31));
  }
};

FTCONFIG_NOINLINE std::vector<Run> SortedRuns(std::vector<std::pair<double, double>> vw) {
  constexpr size_t kMaxDistinct = 4096;  // past this, sort the pairs
  std::unordered_map<std::pair<double, double>, size_t, PairHash> counts;
  for (const auto& p : vw)
    if (++counts[p] == 1 && counts.size() > kMaxDistinct) break;
  std::vector<Run> runs;
  if (counts.size() <= kMaxDistinct) {
    for (const auto& [p, n] : counts) runs.push_back({p.first, p.second, n});
    std::sort(runs.begin(), runs.end(),
              [](const Run& a, const Run& b) { return std::tie(a.value, a.weight) < std::tie(b.value, b.weight); });
    return runs;
  }
  std::sort(vw.begin(), vw.end());
  for (const auto& p : vw)
    if (!runs.empty() && runs.back().value == p.first && runs.back().weight == p.second) ++runs.back().count;
    else runs.push_back({p.first, p.second, 1});
  return runs;
}

// Weighted quantile by the "lower median" convention on cumulative weight:
// the smallest value whose cumulative weight reaches q of the total. With
// equal weights and odd n this is the ordinary median; for even n the two
// middle values are averaged so equal-weight medians match the textbook ones.
// The weights are added one pair at a time in sorted order.
FTCONFIG_NOINLINE double WeightedQuantile(const std::vector<Run>& runs, double q) {
  if (runs.empty()) return 0;
  double total = 0;
  for (const Run& r : runs)
    for (size_t c = 0; c < r.count; ++c) total += r.weight;
  const double target = q * total;
  double cum = 0;
  for (size_t k = 0; k < runs.size(); ++k)
    for (size_t c = 0; c < runs[k].count; ++c) {
      cum += runs[k].weight;
      if (cum > target + 1e-12) return runs[k].value;
      if (std::fabs(cum - target) <= 1e-12) {
        // Exactly on a boundary: average with the next value.
        const double next = c + 1 < runs[k].count ? runs[k].value : k + 1 < runs.size() ? runs[k + 1].value : runs[k].value;
        return (runs[k].value + next) / 2;
      }
    }
  return runs.back().value;
}

std::optional<double> MedianOf(std::vector<std::pair<double, double>> vw) {
  if (vw.empty()) return std::nullopt;
  return WeightedQuantile(SortedRuns(std::move(vw)), 0.5);
}

// The value of greatest weight; ties: the first in string order. Empty values
// do not count. A column has few distinct values, found by a linear search
// over their shared addresses.
class Mode {
 public:
  void Add(const SharedString& v, double w) {
    if (v.empty()) return;
    for (auto& [value, weight] : weights_)
      if (value == v.id()) {
        weight += w;
        return;
      }
    weights_.push_back({v.id(), w});
  }
  std::string Get() const {
    std::vector<std::pair<std::string_view, double>> all;
    for (const auto& [value, weight] : weights_) all.push_back({*value, weight});
    std::sort(all.begin(), all.end());
    std::string_view best;
    double best_w = -1;
    for (const auto& [v, wt] : all)
      if (wt > best_w + 1e-12) best = v, best_w = wt;
    return std::string(best);
  }

 private:
  std::vector<std::pair<const std::string*, double>> weights_;
};

// What a summary reads of its members, gathered in one pass: (value, weight)
// per median, weight per mode.
const SharedString kOne("1"), kZero("0");

struct Columns {
  std::vector<std::pair<double, double>> lr, batch, lora_r, lora_alpha, lora_dropout, seq, epochs, warmup, decay;
  Mode optimizer, precision, scheduler, lora_target, checkpointing;
  std::vector<const std::string*> sources;  // by shared address: sorted and counted once
  double weight_sum = 0;

  explicit Columns(size_t n) {
    for (auto* col : {&lr, &batch, &lora_r, &lora_alpha, &lora_dropout, &seq, &epochs, &warmup, &decay})
      col->reserve(n);
    sources.reserve(n);
  }

  void Add(const ConfigRecord& r, double w) {
    auto add = [w](std::vector<std::pair<double, double>>& col, auto v) {
      if (v) col.emplace_back(static_cast<double>(*v), w);
    };
    weight_sum += w;
    sources.push_back(r.source_repo.id());
    lr.emplace_back(r.learning_rate, w);
    batch.emplace_back(r.effective_batch_size, w);
    add(lora_r, r.lora_r), add(lora_alpha, r.lora_alpha), add(lora_dropout, r.lora_dropout);
    add(seq, r.max_seq_length), add(epochs, r.num_epochs), add(warmup, r.warmup_ratio), add(decay, r.weight_decay);
    optimizer.Add(r.optimizer, w), precision.Add(r.precision, w), scheduler.Add(r.lr_scheduler, w);
    lora_target.Add(r.lora_target, w);
    if (r.gradient_checkpointing) checkpointing.Add(*r.gradient_checkpointing ? kOne : kZero, w);
  }
};

}  // namespace

Profile Summarize(const std::vector<ConfigRecord>& records, const std::vector<size_t>& members,
                  const std::vector<double>* weights) {
  Profile p;
  p.members = members;
  p.count = static_cast<int>(members.size());
  if (members.empty()) return p;
  Columns c(members.size());
  for (size_t k = 0; k < members.size(); ++k) {
    const ConfigRecord& r = records[members[k]];
    c.Add(r, weights && k < weights->size() ? (*weights)[k] : r.weight);
  }
  p.weight_sum = c.weight_sum;
  std::sort(c.sources.begin(), c.sources.end(), std::less<const std::string*>());
  p.sources = static_cast<int>(std::unique(c.sources.begin(), c.sources.end()) - c.sources.begin());
  const std::vector<Run> lr = SortedRuns(std::move(c.lr));
  p.lr_median = WeightedQuantile(lr, 0.5);
  p.lr_q1 = WeightedQuantile(lr, 0.25);
  p.lr_q3 = WeightedQuantile(lr, 0.75);
  p.effective_batch_median = *MedianOf(std::move(c.batch));
  p.lora_r_median = MedianOf(std::move(c.lora_r));
  p.lora_alpha_median = MedianOf(std::move(c.lora_alpha));
  p.lora_dropout_median = MedianOf(std::move(c.lora_dropout));
  p.seq_len_median = MedianOf(std::move(c.seq));
  p.epochs_median = MedianOf(std::move(c.epochs));
  p.warmup_ratio_median = MedianOf(std::move(c.warmup));
  p.weight_decay_median = MedianOf(std::move(c.decay));
  p.optimizer_mode = c.optimizer.Get();
  p.precision_mode = c.precision.Get();
  p.scheduler_mode = c.scheduler.Get();
  p.lora_target_mode = c.lora_target.Get();
  const std::string gc = c.checkpointing.Get();
  if (!gc.empty()) p.gradient_checkpointing_mode = gc == "1";
  return p;
}

const char* ToString(FallbackLevel level) {
  switch (level) {
    case FallbackLevel::kExact: return "exact";
    case FallbackLevel::kTaskAdapter: return "task_adapter";
    case FallbackLevel::kAdapterSize: return "adapter_size";
    case FallbackLevel::kGlobal: return "global";
  }
  return "global";
}

struct ProfileTable::Summaries {
  std::mutex mutex;
  std::map<std::pair<FallbackLevel, std::string>, Profile> done;
};

ProfileTable ProfileTable::Build(const Corpus& corpus, double min_weight) {
  ProfileTable t;
  t.min_weight_ = min_weight;
  t.records_ = &corpus.records();
  t.summaries_ = std::make_shared<Summaries>();
  const auto& recs = corpus.records();
  std::map<std::string, std::pair<GroupKey, Group>> exact;
  // The five groups of a (task, size, adapter) key, found once per key
  // (map nodes stay put).
  std::unordered_map<std::string, std::array<Group*, 5>> groups_of;
  auto group = [](std::map<std::string, Group>& level, const std::string& name) {
    Group& g = level[name];
    g.name = name;
    return &g;
  };
  for (size_t i = 0; i < recs.size(); ++i) {
    const auto& r = recs[i];
    const std::string name = r.task_type + "/" + r.size_bucket + "/" + r.adapter_type;
    auto [it, added] = groups_of.try_emplace(name);
    if (added) {
      auto& e = exact[name];
      e.first = GroupKey{r.task_type, r.size_bucket, r.adapter_type};
      e.second.name = name;
      it->second = {&e.second, group(t.task_adapter_, r.task_type + "/*/" + r.adapter_type),
                    group(t.adapter_size_, "*/" + r.size_bucket + "/" + r.adapter_type),
                    group(t.adapter_, "*/*/" + r.adapter_type), group(t.global_, "*/*/*")};
    }
    for (Group* g : it->second) {
      g->members.push_back(i);
      g->weight_sum += r.weight;  // in member order, as Summarize adds them
    }
  }
  for (auto& [name, e] : exact) t.exact_.emplace_back(std::move(e));
  t.SummarizeExactGroups();
  return t;
}

// The exact groups a lookup can return are summarized at build (one pass over
// the rows in all): the first request on a large group would otherwise pay for
// it (~15 ms for 55k rows). Fallback groups, thin-key requests only, stay lazy:
// summarizing all five levels would cost five passes.
void ProfileTable::SummarizeExactGroups() const {
  for (const auto& [key, g] : exact_)
    if (g.weight_sum >= min_weight_) Summary(FallbackLevel::kExact, g);
}

const Profile& ProfileTable::Summary(FallbackLevel level, const Group& group) const {
  std::lock_guard<std::mutex> lock(summaries_->mutex);
  auto [it, added] = summaries_->done.try_emplace({level, group.name});
  if (added) it->second = Summarize(*records_, group.members);
  return it->second;  // map nodes stay put: the reference outlives the lock
}

const ProfileTable::Group* ProfileTable::Find(const std::map<std::string, Group>& level,
                                              const std::string& name) const {
  auto it = level.find(name);
  return it == level.end() || it->second.weight_sum < min_weight_ ? nullptr : &it->second;
}

std::vector<std::pair<GroupKey, Profile>> ProfileTable::groups() const {
  std::vector<std::pair<GroupKey, Profile>> out;
  out.reserve(exact_.size());
  for (const auto& [key, g] : exact_) out.emplace_back(key, Summary(FallbackLevel::kExact, g));
  return out;
}

ProfileMatch ProfileTable::Lookup(const GroupKey& key) const {
  ProfileMatch m;
  auto use = [&](FallbackLevel level, const Group& g) {
    m.level = level;
    m.group = g.name;
    m.profile = Summary(level, g);
    return m;
  };
  for (const auto& [k, g] : exact_) {
    if (k.task_type == key.task_type && k.size_bucket == key.size_bucket && k.adapter_type == key.adapter_type &&
        g.weight_sum >= min_weight_)
      return use(FallbackLevel::kExact, g);
  }
  if (const Group* g = Find(task_adapter_, key.task_type + "/*/" + key.adapter_type))
    return use(FallbackLevel::kTaskAdapter, *g);
  if (const Group* g = Find(adapter_size_, "*/" + key.size_bucket + "/" + key.adapter_type))
    return use(FallbackLevel::kAdapterSize, *g);
  // Global: the same adapter type when the corpus has it, else everything.
  if (const Group* g = Find(adapter_, "*/*/" + key.adapter_type)) return use(FallbackLevel::kGlobal, *g);
  m.level = FallbackLevel::kGlobal;
  m.group = "*/*/*";
  auto it = global_.find("*/*/*");
  if (it != global_.end()) m.profile = Summary(FallbackLevel::kGlobal, it->second);
  return m;
}

}  // namespace ftconfig
