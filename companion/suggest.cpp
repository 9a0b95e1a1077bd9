// Gaussian process, expected improvement, proposals and the scaling fit
// (suggest.h). Eigen does the linear algebra.
#include "suggest.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include <Eigen/Dense>

namespace ftconfig::suggest {

namespace {

double Transform(const Dim& d, double v) { return d.log ? std::log(std::max(v, 1e-300)) : v; }
double Inverse(const Dim& d, double t) { return d.log ? std::exp(t) : t; }

double Snap(const Dim& d, double v) {
  if (d.pow2) v = std::exp2(std::round(std::log2(std::max(v, 1e-300))));
  else if (d.step > 0) v = std::round(v / d.step) * d.step;
  return std::clamp(v, d.lo, d.hi);
}

}  // namespace

std::vector<double> Space::ToUnit(const std::vector<double>& values) const {
  std::vector<double> u(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    const Dim& d = dims[i];
    double lo = Transform(d, d.lo), hi = Transform(d, d.hi);
    u[i] = hi > lo ? std::clamp((Transform(d, values[i]) - lo) / (hi - lo), 0.0, 1.0) : 0.0;
  }
  return u;
}

std::vector<double> Space::FromUnit(const std::vector<double>& unit) const {
  std::vector<double> v(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    const Dim& d = dims[i];
    double lo = Transform(d, d.lo), hi = Transform(d, d.hi);
    v[i] = Snap(d, Inverse(d, lo + std::clamp(unit[i], 0.0, 1.0) * (hi - lo)));
  }
  return v;
}

// ---- Gaussian process ----------------------------------------------------------

double GaussianProcess::Kernel(const std::vector<double>& a, const std::vector<double>& b) const {
  double r2 = 0;
  for (size_t i = 0; i < a.size(); ++i) r2 += (a[i] - b[i]) * (a[i] - b[i]);
  double r = std::sqrt(5.0 * r2) / lengthscale_;
  return (1 + r + r * r / 3) * std::exp(-r);  // Matern 5/2, unit signal variance (outcomes are standardized)
}

double GaussianProcess::FitWith(double lengthscale) {
  lengthscale_ = lengthscale;
  const size_t n = X_.size();
  Eigen::MatrixXd K(n, n);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) K(i, j) = Kernel(X_[i], X_[j]) + (i == j ? noise_ : 0.0);
  Eigen::LLT<Eigen::MatrixXd> llt(K);
  Eigen::VectorXd y = Eigen::Map<const Eigen::VectorXd>(y_.data(), n);
  Eigen::VectorXd alpha = llt.solve(y);
  Eigen::MatrixXd L = llt.matrixL();
  alpha_.resize(n);
  L_.assign(n, std::vector<double>(n, 0.0));
  double logdet = 0;
  for (size_t i = 0; i < n; ++i) {
    alpha_[i] = alpha(static_cast<Eigen::Index>(i));
    for (size_t j = 0; j <= i; ++j) L_[i][j] = L(i, j);
    logdet += 2 * std::log(std::max(L(i, i), 1e-300));
  }
  return -0.5 * y.dot(alpha) - 0.5 * logdet;
}

void GaussianProcess::Fit(const std::vector<std::vector<double>>& X, const std::vector<double>& y) {
  X_ = X;
  const double n = static_cast<double>(y.size());
  mean_ = 0;
  for (double v : y) mean_ += v / n;
  double var = 0;
  for (double v : y) var += (v - mean_) * (v - mean_) / n;
  scale_ = var > 1e-12 ? std::sqrt(var) : 1.0;
  y_.clear();
  for (double v : y) y_.push_back((v - mean_) / scale_);
  double best_ll = -std::numeric_limits<double>::infinity(), best_l = 0.3;
  for (double l : {0.1, 0.2, 0.3, 0.5, 0.8, 1.2}) {
    double ll = FitWith(l);
    if (ll > best_ll) best_ll = ll, best_l = l;
  }
  FitWith(best_l);
}

std::pair<double, double> GaussianProcess::Predict(const std::vector<double>& x) const {
  const size_t n = X_.size();
  std::vector<double> k(n), v(n);
  double mean = 0;
  for (size_t i = 0; i < n; ++i) {
    k[i] = Kernel(x, X_[i]);
    mean += k[i] * alpha_[i];
  }
  for (size_t i = 0; i < n; ++i) {  // v = L^-1 k (forward substitution)
    double s = k[i];
    for (size_t j = 0; j < i; ++j) s -= L_[i][j] * v[j];
    v[i] = s / L_[i][i];
  }
  double var = 1.0;
  for (double vi : v) var -= vi * vi;
  return {mean_ + scale_ * mean, scale_ * std::sqrt(std::max(var, 1e-12))};
}

double ExpectedImprovement(double mean, double sd, double best, double xi) {
  if (!(sd > 0)) return std::max(0.0, best - mean - xi);
  double z = (best - mean - xi) / sd;
  double pdf = std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI);
  double cdf = 0.5 * std::erfc(-z / std::sqrt(2.0));
  return (best - mean - xi) * cdf + sd * pdf;
}

// ---- proposals --------------------------------------------------------------------

namespace {

std::vector<std::vector<double>> Candidates(const Space& space, const std::vector<std::vector<double>>& tried,
                                            const std::function<bool(const std::vector<double>&)>& fits,
                                            uint64_t seed, int count) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u01(0, 1);
  std::vector<std::vector<double>> out;
  auto seen = [&](const std::vector<double>& v) {
    auto same = [&](const std::vector<double>& w) { return w == v; };
    return std::any_of(tried.begin(), tried.end(), same) || std::any_of(out.begin(), out.end(), same);
  };
  for (int i = 0; i < count; ++i) {
    std::vector<double> unit(space.dims.size());
    for (double& c : unit) c = u01(rng);
    std::vector<double> v = space.FromUnit(unit);
    if (!seen(v) && fits(v)) out.push_back(std::move(v));
  }
  return out;
}

}  // namespace

std::vector<Suggestion> Propose(const Space& space, const std::vector<std::vector<double>>& tried,
                                const std::vector<double>& outcomes, int k,
                                const std::function<bool(const std::vector<double>&)>& fits, uint64_t seed,
                                int candidates) {
  std::vector<std::vector<double>> pool = Candidates(space, tried, fits, seed, candidates);
  std::vector<std::vector<double>> X;
  for (const auto& t : tried) X.push_back(space.ToUnit(t));
  std::vector<double> y = outcomes;
  const double best = *std::min_element(outcomes.begin(), outcomes.end());
  std::vector<Suggestion> out;
  while (static_cast<int>(out.size()) < k && !pool.empty()) {
    GaussianProcess gp;
    gp.Fit(X, y);
    size_t pick = 0;
    Suggestion s;
    s.expected_improvement = -1;
    for (size_t i = 0; i < pool.size(); ++i) {
      auto [m, sd] = gp.Predict(space.ToUnit(pool[i]));
      double ei = ExpectedImprovement(m, sd, best);
      if (ei > s.expected_improvement) s = {pool[i], ei, m, sd}, pick = i;
    }
    out.push_back(s);
    X.push_back(space.ToUnit(s.values));
    y.push_back(s.mean);  // kriging believer
    pool.erase(pool.begin() + static_cast<long>(pick));
  }
  return out;
}

// ---- outcome against training tokens ----------------------------------------------------

namespace {

// Two-sided 95% Student t quantile for `dof` degrees of freedom.
double T95(int dof) {
  static const double kTable[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                  2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086};
  if (dof < 1) return std::numeric_limits<double>::infinity();
  return dof <= 20 ? kTable[dof - 1] : dof <= 30 ? 2.042 : 1.96;
}

}  // namespace

ScalingFit FitScaling(const std::vector<double>& tokens, const std::vector<double>& outcomes) {
  ScalingFit f;
  std::vector<double> x, y;
  for (size_t i = 0; i < tokens.size() && i < outcomes.size(); ++i)
    if (tokens[i] > 0 && std::isfinite(outcomes[i])) x.push_back(std::log(tokens[i])), y.push_back(outcomes[i]);
  f.n = static_cast<int>(x.size());
  double mx = 0, my = 0;
  for (int i = 0; i < f.n; ++i) mx += x[i] / f.n, my += y[i] / f.n;
  double sxx = 0, sxy = 0;
  for (int i = 0; i < f.n; ++i) sxx += (x[i] - mx) * (x[i] - mx), sxy += (x[i] - mx) * (y[i] - my);
  if (f.n < 3 || sxx < 1e-9) {
    f.why = "needs at least three runs with an outcome and different training-token counts";
    return f;
  }
  f.ok = true;
  f.b = sxy / sxx;
  f.a = my - f.b * mx;
  double sse = 0;
  for (int i = 0; i < f.n; ++i) sse += std::pow(y[i] - f.a - f.b * x[i], 2);
  const double s = std::sqrt(sse / (f.n - 2)), t = T95(f.n - 2);
  f.slope_lo = f.b - t * s / std::sqrt(sxx);
  f.slope_hi = f.b + t * s / std::sqrt(sxx);
  f.tokens_2x = 2 * std::exp(*std::max_element(x.begin(), x.end()));
  const double x0 = std::log(f.tokens_2x);
  f.predicted_2x = f.a + f.b * x0;
  const double half = t * s * std::sqrt(1 + 1.0 / f.n + (x0 - mx) * (x0 - mx) / sxx);
  f.lo_2x = f.predicted_2x - half;
  f.hi_2x = f.predicted_2x + half;
  f.verdict = f.slope_hi < 0 ? "more data helps" : f.slope_lo > 0 ? "more data hurts" : "no measurable gain";
  return f;
}

}  // namespace ftconfig::suggest
