// Corpus::Distill: a bounded, representative sample of a large corpus for
// bundles that must not grow with it (the web page's data snapshot: its first
// answer has a 500 KB budget; docs/performance.md, "Growth with the corpus").
#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

#include "ftconfig/corpus.h"
#include "json_util.h"
#include "recommend_internal.h"

namespace ftconfig {

namespace {

using DistillGroup = std::tuple<std::string, std::string, std::string>;  // task, size bucket, adapter

// Quotas summing to `budget` (< total), about proportional to the group
// sizes, at least one row for every group while the budget allows.
std::map<DistillGroup, size_t> Quotas(const std::map<DistillGroup, std::vector<size_t>>& groups, size_t total, size_t budget) {
  std::map<DistillGroup, size_t> q;
  size_t sum = 0;
  for (const auto& [key, members] : groups) {
    q[key] = std::min(members.size(), std::max<size_t>(1, budget * members.size() / total));
    sum += q[key];
  }
  auto largest = [&](bool with_room) {
    auto best = q.end();
    for (auto it = q.begin(); it != q.end(); ++it) {
      size_t room = groups.at(it->first).size() - it->second;
      if (with_room ? room == 0 : it->second <= 1) continue;
      if (best == q.end() || it->second > best->second) best = it;
    }
    return best;
  };
  for (auto it = largest(false); sum > budget && it != q.end(); it = largest(false)) --it->second, --sum;
  for (auto it = largest(true); sum < budget && it != q.end(); it = largest(true)) ++it->second, ++sum;
  // More groups than rows: the smallest groups go.
  std::vector<std::pair<size_t, DistillGroup>> by_size;
  for (const auto& [key, members] : groups) by_size.push_back({members.size(), key});
  std::sort(by_size.begin(), by_size.end());
  for (size_t k = 0; sum > budget && k < by_size.size(); ++k) sum -= std::exchange(q[by_size[k].second], 0);
  return q;
}

// The first `n` members taking repositories in turn (each repository's rows
// in the order of their ids' hashes), so every repository keeps its voice.
std::vector<size_t> TakeAcrossRepositories(const std::vector<ConfigRecord>& recs, std::vector<size_t> members,
                                           size_t n) {
  std::sort(members.begin(), members.end(), [&](size_t a, size_t b) {
    const auto& ra = recs[a];
    const auto& rb = recs[b];
    if (ra.source_repo != rb.source_repo) return ra.source_repo < rb.source_repo;
    return internal::Fnv1a64(ra.id) < internal::Fnv1a64(rb.id);
  });
  std::map<std::string, std::vector<size_t>> by_repo;
  for (size_t i : members) by_repo[recs[i].source_repo].push_back(i);
  std::vector<size_t> out;
  for (size_t round = 0; out.size() < n; ++round)
    for (const auto& [repo, rows] : by_repo)
      if (round < rows.size() && out.size() < n) out.push_back(rows[round]);
  return out;
}

}  // namespace

Corpus Corpus::Distill(size_t max_rows) const {
  if (records_.size() <= max_rows || max_rows == 0) return *this;
  std::map<DistillGroup, std::vector<size_t>> groups;
  for (size_t i = 0; i < records_.size(); ++i)
    groups[{records_[i].task_type, records_[i].size_bucket, records_[i].adapter_type}].push_back(i);
  std::vector<size_t> kept;
  for (const auto& [key, n] : Quotas(groups, records_.size(), max_rows)) {
    std::vector<size_t> taken = TakeAcrossRepositories(records_, groups.at(key), n);
    kept.insert(kept.end(), taken.begin(), taken.end());
  }
  std::sort(kept.begin(), kept.end());  // the corpus's own order
  Corpus out;
  out.stats_ = stats_;
  out.learned_ = learned_ ? *learned_ : internal::LearnFromCorpus(records_);
  out.stats_.rows_accepted = static_cast<int>(kept.size());
  out.stats_.accepted_by_source.clear();
  for (size_t i : kept) {
    out.records_.push_back(records_[i]);
    ++out.stats_.accepted_by_source[records_[i].source_repo.empty() ? records_[i].source_file.str()
                                                                    : records_[i].source_repo.str()];
  }
  out.stats_.warnings.push_back("distilled: " + std::to_string(kept.size()) + " of " +
                                std::to_string(records_.size()) + " rows kept (Corpus::Distill)");
  return out;
}

}  // namespace ftconfig
