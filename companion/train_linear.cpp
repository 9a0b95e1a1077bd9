#include "train_linear.h"

#include <cmath>

#include <Eigen/Dense>

namespace ftconfig::cli {

LinearFit FitPairwiseLinear(const std::vector<const RankGroup*>& groups, const LinearOptions& opt) {
  LinearFit fit;
  if (groups.empty() || groups.front()->x.empty()) return fit;
  const Eigen::Index d = static_cast<Eigen::Index>(groups.front()->x.front().size());
  // Standardize with the candidate rows' mean and standard deviation.
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(d), sq = Eigen::VectorXd::Zero(d);
  double n = 0;
  for (const RankGroup* g : groups)
    for (const auto& row : g->x) {
      Eigen::Map<const Eigen::VectorXd> v(row.data(), d);
      sum += v;
      sq += v.cwiseProduct(v);
      n += 1;
    }
  Eigen::VectorXd mean = sum / n;
  Eigen::VectorXd scale = (sq / n - mean.cwiseProduct(mean)).cwiseMax(0.0).cwiseSqrt();
  for (Eigen::Index i = 0; i < d; ++i)
    if (!(scale[i] > 1e-9)) scale[i] = 1.0;
  // Normal equations of the weighted pairwise least squares.
  Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(d, d);
  Eigen::VectorXd corr = Eigen::VectorXd::Zero(d);
  double total_w = 0;
  for (const RankGroup* g : groups) {
    const size_t m = g->x.size();
    std::vector<Eigen::VectorXd> z(m);
    for (size_t i = 0; i < m; ++i)
      z[i] = (Eigen::Map<const Eigen::VectorXd>(g->x[i].data(), d) - mean).cwiseQuotient(scale);
    size_t pairs = 0;
    for (size_t i = 0; i < m; ++i)
      for (size_t j = 0; j < m; ++j) pairs += g->label[i] > g->label[j] ? 1 : 0;
    if (pairs == 0) continue;
    const double w = g->weight / static_cast<double>(pairs);
    for (size_t i = 0; i < m; ++i)
      for (size_t j = 0; j < m; ++j) {
        if (g->label[i] <= g->label[j]) continue;
        Eigen::VectorXd diff = z[i] - z[j];
        gram.selfadjointView<Eigen::Lower>().rankUpdate(diff, w);
        corr += w * (g->label[i] - g->label[j]) * diff;
      }
    total_w += g->weight;
  }
  if (total_w <= 0) return fit;
  gram = gram.selfadjointView<Eigen::Lower>();
  gram /= total_w;
  corr /= total_w;
  // Coordinate descent for 1/2 w'Gw - c'w + l1 |w|_1 + l2/2 |w|^2.
  Eigen::VectorXd w = Eigen::VectorXd::Zero(d);
  for (int it = 0; it < opt.iterations; ++it) {
    double max_change = 0;
    for (Eigen::Index j = 0; j < d; ++j) {
      double rho = corr[j] - gram.row(j).dot(w) + gram(j, j) * w[j];
      double denom = gram(j, j) + opt.l2;
      double nw = 0;
      if (rho > opt.l1) nw = (rho - opt.l1) / denom;
      else if (rho < -opt.l1) nw = (rho + opt.l1) / denom;
      max_change = std::max(max_change, std::fabs(nw - w[j]));
      w[j] = nw;
    }
    if (max_change < 1e-10) break;
  }
  fit.weights.assign(w.data(), w.data() + d);
  fit.mean.assign(mean.data(), mean.data() + d);
  fit.scale.assign(scale.data(), scale.data() + d);
  for (double v : fit.weights) fit.nonzero += v != 0 ? 1 : 0;
  return fit;
}

}  // namespace ftconfig::cli
