// The source repositories' vote on a value (recommend_vote.cpp).
// Internal: nothing here is part of the public API.
#ifndef FTCONFIG_RECOMMEND_VOTE_H_
#define FTCONFIG_RECOMMEND_VOTE_H_

#include <optional>

#include "corpus_index.h"
#include "recommend_internal.h"

namespace ftconfig::internal {

struct VoteTally {
  std::optional<double> median;  // of the proposals; none under three repositories
  int repos = 0;                 // repositories that proposed
  double support = 0;            // share of the proposals within `tolerance` of x
};

// The vote of the request's pool on a value (log scale), and its support of x.
VoteTally RepoVote(const CorpusIndex& index, const Pool& pool, const Target& t, CorpusIndex::Value value, double x,
                   double tolerance);

}  // namespace ftconfig::internal

#endif  // FTCONFIG_RECOMMEND_VOTE_H_
