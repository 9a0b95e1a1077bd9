// The sparse linear reranker: an elastic-net least-squares fit on pairwise
// differences (RankNet-style pairs within each query group), solved by
// coordinate descent on the Gram matrix with Eigen. Native only.
#ifndef FTCONFIG_COMPANION_TRAIN_LINEAR_H_
#define FTCONFIG_COMPANION_TRAIN_LINEAR_H_

#include <vector>

#include "train_data.h"

namespace ftconfig::cli {

struct LinearOptions {
  double l1 = 0.002;  // on standardized features, loss normalized per query
  double l2 = 0.01;
  int iterations = 300;
};

struct LinearFit {
  std::vector<double> weights, mean, scale;  // score = sum w_i (x_i - mean_i) / scale_i
  int nonzero = 0;
};

// Every pair (i, j) of a group with label_i > label_j contributes
// (x_i - x_j) -> (label_i - label_j), weighted by query weight / pairs in the
// group so each query counts by its weight, not by its pair count.
LinearFit FitPairwiseLinear(const std::vector<const RankGroup*>& groups, const LinearOptions& opt);

}  // namespace ftconfig::cli

#endif  // FTCONFIG_COMPANION_TRAIN_LINEAR_H_
