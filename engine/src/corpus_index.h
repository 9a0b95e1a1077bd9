// The corpus index the engine builds once (issue #21): what the recommender's
// stages would otherwise recompute from strings on every request.
//
//   score classes   rows whose similarity score is the same for every query
//                   (same task, adapter, model family, size, sequence, GPU,
//                   dataset size and evidence), scored once per request
//   shapes          rows that are the same candidate when applied as written
//                   (batch, accumulation, sequence, checkpointing, rank,
//                   targets, optimizer), checked against the GPU once
//   repositories    interned to ids, for the repository votes
//   task families   interned to ids, per row
//
// Internal: nothing here is part of the public API.
#ifndef FTCONFIG_CORPUS_INDEX_H_
#define FTCONFIG_CORPUS_INDEX_H_

#include <any>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "ftconfig/corpus.h"
#include "ftconfig/profiles.h"

namespace ftconfig::internal {

class Interner;  // corpus_index.cpp

class CorpusIndex {
 public:
  struct ScoreClass {
    uint32_t rep = 0;             // a row of the class: its score is every member's
    bool adapter = false;         // adapter_type != "none"
    std::vector<uint32_t> rows;   // ascending
  };

  static CorpusIndex Build(const std::vector<ConfigRecord>& recs);

  const std::vector<ScoreClass>& classes() const { return classes_; }
  uint32_t score_class(size_t row) const { return class_of_[row]; }
  uint32_t shape(size_t row) const { return shape_of_[row]; }
  size_t shape_count() const { return shape_count_; }
  bool adapter(size_t row) const { return classes_[class_of_[row]].adapter; }  // adapter_type != "none"
  uint32_t repo(size_t row) const { return repo_of_[row]; }
  size_t repo_count() const { return repo_count_; }
  // The row's task family id (TaskFamily of its task); FamilyId of a family
  // the corpus lacks is -1.
  int task_family(size_t row) const { return family_of_[row]; }
  int FamilyId(const std::string& task_family) const;

  // The values the repositories vote on (recommend_vote.cpp).
  enum Value { kLogLr = 0, kLogSeq = 1 };
  const std::vector<double>& values(Value v) const { return v == kLogLr ? log_lr_ : log_seq_; }

  // Repositories whose rows, sorted by value, fall in the same score classes
  // in the same order: each proposes the weighted median of its own values,
  // and with the same class weights that median sits at the same position for
  // every member. `values` holds each member's values in that order.
  struct VotePattern {
    std::vector<uint32_t> classes;  // score class of each position
    std::vector<double> values;     // members x classes.size()
  };
  static constexpr uint32_t kNoPattern = ~uint32_t{0};
  struct DomainVotes {
    std::vector<VotePattern> patterns;
    std::vector<uint32_t> pattern_of, member_of;  // per repository run; kNoPattern: no value
  };

  // The rows of one adapter class and task family, ordered by repository (then
  // row): what a ranked request's vote walks. `starts` bounds each
  // repository's run (runs + 1 entries). Null when the corpus has none.
  struct Domain {
    std::vector<uint32_t> rows, starts;
    DomainVotes votes[2];  // by Value
    uint32_t id = 0;
  };
  const Domain* domain(bool adapter, int family) const;
  // The proposals of a pattern's members when each proposes its value at
  // `pos` (with `mean`: the mean of it and the next), sorted; computed on
  // first use and kept (at most twice the domain's values per pattern).
  std::shared_ptr<const std::vector<double>> Proposals(const Domain& d, Value v, uint32_t pattern, uint32_t pos,
                                                       bool mean) const;
  bool HasTask(const std::string& task) const { return tasks_.count(task) > 0; }
  // Per row: log10 of the learning rate and log2 of the sequence (NaN: none), as the votes read them.
  const std::vector<double>& log_lrs() const { return log_lr_; }
  const std::vector<double>& log_seqs() const { return log_seq_; }

  // A value computed once per key and kept (at most kMaxCached keys; past
  // that `make` runs every time): summaries of safe pools, profile votes.
  // Safe from several threads; kept values never change.
  static constexpr size_t kMaxCached = 4096;
  template <typename T, typename Make>
  T Cached(const std::string& key, Make make) const {
    if (const std::any* hit = Find(key)) return std::any_cast<const T&>(*hit);
    T v = make();
    Keep(key, v);
    return v;
  }

 private:
  void BuildDomains();
  void BuildVotes(Domain& d, Value v) const;
  int AddTask(const std::string& task, Interner& families);
  std::vector<ScoreClass> classes_;
  std::vector<uint32_t> class_of_, shape_of_, repo_of_;
  std::vector<int8_t> family_of_;
  std::vector<std::string> families_;
  std::vector<Domain> domains_;  // [2 * family + adapter]
  std::set<std::string> tasks_;
  std::vector<double> log_lr_, log_seq_;
  const std::any* Find(const std::string& key) const;
  void Keep(const std::string& key, std::any value) const;
  struct Cache;
  std::shared_ptr<Cache> cache_;
  size_t shape_count_ = 0, repo_count_ = 0;
};

}  // namespace ftconfig::internal

#endif  // FTCONFIG_CORPUS_INDEX_H_
