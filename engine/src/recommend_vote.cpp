// The source repositories' vote on a value (stage 3, recommend_values.cpp):
// each repository proposes the weighted median of its own values among the
// voters of the request's task family and adapter class; the answer is the
// median of the proposals (none under kMinVoters repositories), and the
// support of a chosen value is the share of proposals near it.
//
// The ranked strategies' voters are every compatible row, weighted by its
// score class (the shortlist by its own score). Repositories of the same
// pattern (corpus_index.h) propose the value at the same position, so a
// request decides each pattern once and reads its members' proposals from a
// sorted list kept by the index; only the repositories holding shortlisted
// rows are walked row by row. The median and the support are then taken by
// counting over the sorted lists, never by visiting every row.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>

#include "corpus_index.h"
#include "outline.h"
#include "recommend_internal.h"
#include "recommend_vote.h"

FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN

namespace ftconfig::internal {

namespace {

// A vote needs this many source repositories.
constexpr int kMinVoters = 3;

// Where the weighted median of n values (sorted, with weights `w(i)`) falls:
// the first value whose cumulative weight passes half (`pos`); exactly half:
// the mean of it and the next (`mean`).
struct MedianAt {
  uint32_t pos = 0;
  bool mean = false;
};

template <typename Weight>
MedianAt WeightedMedianPosition(size_t n, Weight w) {
  double total = 0;
  for (size_t i = 0; i < n; ++i) total += w(i);
  double cum = 0;
  for (size_t i = 0; i < n; ++i) {
    cum += w(i);
    if (cum > total / 2 + 1e-12 * total) return {static_cast<uint32_t>(i), false};
    if (std::fabs(cum - total / 2) <= 1e-12 * total) return {static_cast<uint32_t>(i), i + 1 < n};
  }
  return {static_cast<uint32_t>(n == 0 ? 0 : n - 1), false};
}

// Weighted median of (value, weight) pairs; sorts [b, e) in place.
double WeightedMedianIn(std::pair<double, double>* b, std::pair<double, double>* e) {
  if (b == e) return 0;
  std::sort(b, e);
  const MedianAt at = WeightedMedianPosition(e - b, [&](size_t i) { return b[i].second; });
  return at.mean ? (b[at.pos].first + b[at.pos + 1].first) / 2 : b[at.pos].first;
}

// Share of proposals (log values) within `tolerance` (log) of `x`.
bool Near(double p, double x, double tolerance) { return std::fabs(p - x) <= tolerance + 1e-9; }

// The proposals of a vote, as sorted lists: `lists` plus `added` less `removed`.
class Proposals {
 public:
  std::vector<std::shared_ptr<const std::vector<double>>> lists;
  std::vector<double> added, removed;

  size_t size() const {
    size_t n = added.size() - removed.size();
    for (const auto& l : lists) n += l->size();
    return n;
  }
  // The k-th smallest (from 0): the least value with more than k at or below
  // it, found by bisecting the doubles in their order.
  double Nth(size_t k) const {
    uint64_t lo = Key(-std::numeric_limits<double>::infinity()), hi = Key(std::numeric_limits<double>::infinity());
    while (lo < hi) {
      const uint64_t mid = lo + (hi - lo) / 2;
      if (CountAtMost(FromKey(mid)) > k) hi = mid;
      else lo = mid + 1;
    }
    const double v = FromKey(lo);
    return v == 0 ? 0.0 : v;
  }
  // How many are within `tolerance` of x (Near, which holds on an interval of each sorted list).
  size_t CountNear(double x, double tolerance) const {
    size_t n = Count(added, x, tolerance) - Count(removed, x, tolerance);
    for (const auto& l : lists) n += Count(*l, x, tolerance);
    return n;
  }
  void Sort() {
    std::sort(added.begin(), added.end());
    std::sort(removed.begin(), removed.end());
  }

 private:
  static uint64_t Key(double v) {
    uint64_t b;
    std::memcpy(&b, &v, sizeof b);
    return b >> 63 ? ~b : b | (uint64_t{1} << 63);
  }
  static double FromKey(uint64_t k) {
    const uint64_t b = k >> 63 ? k & ~(uint64_t{1} << 63) : ~k;
    double v;
    std::memcpy(&v, &b, sizeof v);
    return v;
  }
  static size_t AtMost(const std::vector<double>& l, double v) {
    return std::upper_bound(l.begin(), l.end(), v) - l.begin();
  }
  size_t CountAtMost(double v) const {
    size_t n = AtMost(added, v) - AtMost(removed, v);
    for (const auto& l : lists) n += AtMost(*l, v);
    return n;
  }
  static size_t Count(const std::vector<double>& l, double x, double tolerance) {
    auto first = std::partition_point(l.begin(), l.end(), [&](double p) { return p < x && !Near(p, x, tolerance); });
    auto last = std::partition_point(first, l.end(), [&](double p) { return p <= x || Near(p, x, tolerance); });
    return last - first;
  }
};

// The median of the proposals (each of weight 1: the middle one, or the mean
// of the two middle ones) and the support of x.
VoteTally Tally(const Proposals& p, double x, double tolerance) {
  VoteTally t;
  const size_t n = p.size();
  t.repos = static_cast<int>(n);
  if (n == 0) return t;
  t.support = static_cast<double>(p.CountNear(x, tolerance)) / n;
  if (t.repos >= kMinVoters) t.median = n % 2 == 1 ? p.Nth(n / 2) : (p.Nth(n / 2 - 1) + p.Nth(n / 2)) / 2;
  return t;
}

// The voters' (value, weight) pairs grouped by repository id: a counting
// sort, `start[r]` to `start[r + 1]` for repository r.
void ByRepository(const CorpusIndex& index, const Pool& pool, const Target& t, const std::vector<double>& value,
                  std::vector<std::pair<double, double>>* pairs, std::vector<uint32_t>* start) {
  const bool adapter = t.adapter != "none";
  const int family = index.FamilyId(t.task_family);
  std::vector<uint32_t> repo_of;  // per pair
  for (size_t k = 0; k < pool.voters.size(); ++k) {
    const size_t i = pool.voters[k];
    if (index.adapter(i) != adapter || index.task_family(i) != family) continue;
    double v = value[i];
    if (std::isnan(v) || !(pool.voter_weights[k] > 0)) continue;
    pairs->push_back({v, pool.voter_weights[k]});
    repo_of.push_back(index.repo(i));
  }
  start->assign(index.repo_count() + 1, 0);
  for (uint32_t r : repo_of) ++(*start)[r + 1];
  for (size_t r = 0; r < index.repo_count(); ++r) (*start)[r + 1] += (*start)[r];
  std::vector<uint32_t> next(start->begin(), start->end() - 1);
  std::vector<std::pair<double, double>> sorted(pairs->size());
  for (size_t k = 0; k < pairs->size(); ++k) sorted[next[repo_of[k]]++] = (*pairs)[k];
  pairs->swap(sorted);
}

// A profile's vote: one proposal per repository of its members (with their
// own weights), sorted. The same for every request of the same task family
// and adapter class: counted once and kept.
std::vector<double> ProfileProposals(const CorpusIndex& index, const Pool& pool, const Target& t,
                                     const std::vector<double>& value) {
  std::vector<std::pair<double, double>> pairs;
  std::vector<uint32_t> start;
  std::vector<double> proposals;
  ByRepository(index, pool, t, value, &pairs, &start);
  for (size_t r = 0; r + 1 < start.size(); ++r)
    if (start[r] != start[r + 1])
      proposals.push_back(WeightedMedianIn(pairs.data() + start[r], pairs.data() + start[r + 1]));
  std::sort(proposals.begin(), proposals.end());
  return proposals;
}

// The repository runs of the domain holding a shortlisted row (runs are in
// repository order).
std::vector<size_t> RunsWithOwnRows(const CorpusIndex& index, const CorpusIndex::Domain& d, const Pool& pool) {
  std::vector<size_t> runs;
  const size_t n = d.starts.size() - 1;
  for (const auto& [row, w] : pool.own_weights) {
    const uint32_t repo = index.repo(row);
    size_t lo = 0, hi = n;  // the first run whose repository is not below `repo`
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (index.repo(d.rows[d.starts[mid]]) < repo) lo = mid + 1;
      else hi = mid;
    }
    if (lo < n && index.repo(d.rows[d.starts[lo]]) == repo) runs.push_back(lo);
  }
  std::sort(runs.begin(), runs.end());
  runs.erase(std::unique(runs.begin(), runs.end()), runs.end());
  return runs;
}

// A run's proposal with its rows' own weights where shortlisted, else their class's.
double RunProposal(const CorpusIndex& index, const CorpusIndex::Domain& d, size_t run, const Pool& pool,
                   const std::unordered_map<size_t, double>& own, const std::vector<double>& value) {
  std::vector<std::pair<double, double>> vw;
  for (size_t j = d.starts[run]; j < d.starts[run + 1]; ++j) {
    const uint32_t i = d.rows[j];
    if (std::isnan(value[i])) continue;
    auto it = own.find(i);
    vw.push_back({value[i], it != own.end() ? it->second : pool.class_weights[index.score_class(i)]});
  }
  return WeightedMedianIn(vw.data(), vw.data() + vw.size());
}

// The ranked strategies' vote over every compatible row of the task family.
VoteTally DomainVote(const CorpusIndex& index, const Pool& pool, const Target& t, CorpusIndex::Value kind, double x,
                     double tolerance) {
  const CorpusIndex::Domain* d = index.domain(t.adapter != "none", index.FamilyId(t.task_family));
  if (!d) return {};
  const CorpusIndex::DomainVotes& votes = d->votes[kind];
  Proposals p;
  std::vector<MedianAt> at(votes.patterns.size());
  for (size_t k = 0; k < votes.patterns.size(); ++k) {
    const auto& classes = votes.patterns[k].classes;
    at[k] = WeightedMedianPosition(classes.size(), [&](size_t i) { return pool.class_weights[classes[i]]; });
    p.lists.push_back(index.Proposals(*d, kind, static_cast<uint32_t>(k), at[k].pos, at[k].mean));
  }
  const std::unordered_map<size_t, double> own(pool.own_weights.begin(), pool.own_weights.end());
  for (size_t run : RunsWithOwnRows(index, *d, pool)) {
    const uint32_t k = votes.pattern_of[run];
    if (k == CorpusIndex::kNoPattern) continue;  // no row with a value
    const auto& pattern = votes.patterns[k];
    const double* v = pattern.values.data() + votes.member_of[run] * pattern.classes.size();
    p.removed.push_back(at[k].mean ? (v[at[k].pos] + v[at[k].pos + 1]) / 2 : v[at[k].pos]);
    p.added.push_back(RunProposal(index, *d, run, pool, own, index.values(kind)));
  }
  p.Sort();
  return Tally(p, x, tolerance);
}

}  // namespace

VoteTally RepoVote(const CorpusIndex& index, const Pool& pool, const Target& t, CorpusIndex::Value kind, double x,
                   double tolerance) {
  if (!pool.class_weights.empty()) return DomainVote(index, pool, t, kind, x, tolerance);
  Proposals p;
  auto count = [&] {
    return std::make_shared<const std::vector<double>>(ProfileProposals(index, pool, t, index.values(kind)));
  };
  if (pool.voters_key.empty()) {
    p.lists.push_back(count());
  } else {
    const std::string key = std::string("vote|") + (kind == CorpusIndex::kLogLr ? "lr" : "seq") + "|" +
                            pool.voters_key + "|" + t.task_family + "|" + (t.adapter != "none" ? "adapter" : "full");
    p.lists.push_back(index.Cached<std::shared_ptr<const std::vector<double>>>(key, count));
  }
  return Tally(p, x, tolerance);
}

}  // namespace ftconfig::internal

FTCONFIG_OPTIMIZE_FOR_SIZE_END
