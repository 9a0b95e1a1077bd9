#include "ftconfig/profiles.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include "outline.h"

namespace ftconfig {

namespace {

// Weighted quantile by the "lower median" convention on cumulative weight:
// the smallest value whose cumulative weight reaches q of the total. With
// equal weights and odd n this is the ordinary median; for even n the two
// middle values are averaged so equal-weight medians match the textbook ones.
FTCONFIG_NOINLINE double WeightedQuantile(std::vector<std::pair<double, double>> vw, double q) {
  if (vw.empty()) return 0;
  std::sort(vw.begin(), vw.end());
  double total = 0;
  for (const auto& p : vw) total += p.second;
  double target = q * total;
  double cum = 0;
  for (size_t i = 0; i < vw.size(); ++i) {
    cum += vw[i].second;
    if (cum > target + 1e-12) return vw[i].first;
    if (std::fabs(cum - target) <= 1e-12) {
      // Exactly on a boundary: average with the next value.
      return i + 1 < vw.size() ? (vw[i].first + vw[i + 1].first) / 2 : vw[i].first;
    }
  }
  return vw.back().first;
}

// Out of line, each (outline.h): Summarize runs once per profile, at its first lookup.
template <typename Getter>
FTCONFIG_NOINLINE std::optional<double> MedianOf(const std::vector<ConfigRecord>& records, const std::vector<size_t>& members,
                               const std::vector<double>& w, Getter get) {
  std::vector<std::pair<double, double>> vw;
  for (size_t k = 0; k < members.size(); ++k) {
    std::optional<double> v = get(records[members[k]]);
    if (v) vw.emplace_back(*v, w[k]);
  }
  if (vw.empty()) return std::nullopt;
  return WeightedQuantile(std::move(vw), 0.5);
}

template <typename Getter>
FTCONFIG_NOINLINE std::string ModeOf(const std::vector<ConfigRecord>& records, const std::vector<size_t>& members,
                   const std::vector<double>& weights, Getter get) {
  std::map<std::string, double> w;
  for (size_t k = 0; k < members.size(); ++k) {
    std::string v = get(records[members[k]]);
    if (!v.empty()) w[v] += weights[k];
  }
  std::string best;
  double best_w = -1;
  for (const auto& [v, wt] : w)  // map order breaks ties deterministically
    if (wt > best_w + 1e-12) best = v, best_w = wt;
  return best;
}

}  // namespace

Profile Summarize(const std::vector<ConfigRecord>& records, const std::vector<size_t>& members,
                  const std::vector<double>* weights) {
  Profile p;
  p.members = members;
  p.count = static_cast<int>(members.size());
  if (members.empty()) return p;
  std::vector<double> w(members.size());
  for (size_t k = 0; k < members.size(); ++k)
    w[k] = weights && k < weights->size() ? (*weights)[k] : records[members[k]].weight;
  std::set<std::string> sources;
  std::vector<std::pair<double, double>> lr;
  for (size_t k = 0; k < members.size(); ++k) {
    const auto& r = records[members[k]];
    p.weight_sum += w[k];
    sources.insert(r.source_repo);
    lr.emplace_back(r.learning_rate, w[k]);
  }
  p.sources = static_cast<int>(sources.size());
  p.lr_median = WeightedQuantile(lr, 0.5);
  p.lr_q1 = WeightedQuantile(lr, 0.25);
  p.lr_q3 = WeightedQuantile(lr, 0.75);
  p.effective_batch_median =
      *MedianOf(records, members, w, [](const ConfigRecord& r) { return std::optional<double>(r.effective_batch_size); });
  auto opt_int = [](const std::optional<int>& v) { return v ? std::optional<double>(*v) : std::nullopt; };
  p.lora_r_median = MedianOf(records, members, w, [&](const ConfigRecord& r) { return opt_int(r.lora_r); });
  p.lora_alpha_median = MedianOf(records, members, w, [&](const ConfigRecord& r) { return opt_int(r.lora_alpha); });
  p.lora_dropout_median = MedianOf(records, members, w, [](const ConfigRecord& r) { return r.lora_dropout; });
  p.seq_len_median = MedianOf(records, members, w, [&](const ConfigRecord& r) { return opt_int(r.max_seq_length); });
  p.epochs_median = MedianOf(records, members, w, [](const ConfigRecord& r) { return r.num_epochs; });
  p.warmup_ratio_median = MedianOf(records, members, w, [](const ConfigRecord& r) { return r.warmup_ratio; });
  p.weight_decay_median = MedianOf(records, members, w, [](const ConfigRecord& r) { return r.weight_decay; });
  p.optimizer_mode = ModeOf(records, members, w, [](const ConfigRecord& r) { return r.optimizer; });
  p.precision_mode = ModeOf(records, members, w, [](const ConfigRecord& r) { return r.precision; });
  p.scheduler_mode = ModeOf(records, members, w, [](const ConfigRecord& r) { return r.lr_scheduler; });
  p.lora_target_mode = ModeOf(records, members, w, [](const ConfigRecord& r) { return r.lora_target; });
  std::string gc = ModeOf(records, members, w, [](const ConfigRecord& r) {
    return r.gradient_checkpointing ? std::string(*r.gradient_checkpointing ? "1" : "0") : std::string();
  });
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
  return t;
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
