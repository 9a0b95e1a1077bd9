// Sequential model-based suggestions of the next experiments (issue 20,
// `ftconfig suggest`): a Gaussian process over the configurations a project
// tried, expected improvement over candidates the memory model says fit, and
// a fit of the outcome against training tokens. Pure: no I/O (cmd_suggest.cpp
// reads the runs). docs/planning.md, "Suggesting the next experiments".
#ifndef FTCONFIG_COMPANION_SUGGEST_H_
#define FTCONFIG_COMPANION_SUGGEST_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ftconfig/catalog.h"
#include "ftconfig/result.h"

namespace ftconfig::suggest {

// One searched hyperparameter: values from lo to hi, on a log scale when
// `log` (learning rate, rank), snapped to powers of two when `pow2`, to
// multiples of `step` when step > 0.
struct Dim {
  std::string name;
  double lo = 0, hi = 1;
  bool log = false;
  bool pow2 = false;
  double step = 0;
};

struct Space {
  std::vector<Dim> dims;
  // value -> [0, 1] (clamped); and back, snapped.
  std::vector<double> ToUnit(const std::vector<double>& values) const;
  std::vector<double> FromUnit(const std::vector<double>& unit) const;
};

// A GP with a Matern 5/2 kernel on the unit cube, standardized outcomes, and
// the lengthscale that maximizes the marginal likelihood over a small grid.
class GaussianProcess {
 public:
  // X: n points of d coordinates in [0, 1]; y: n outcomes. n >= 1.
  void Fit(const std::vector<std::vector<double>>& X, const std::vector<double>& y);
  // Posterior mean and standard deviation of the outcome at x.
  std::pair<double, double> Predict(const std::vector<double>& x) const;
  double lengthscale() const { return lengthscale_; }

 private:
  double Kernel(const std::vector<double>& a, const std::vector<double>& b) const;
  double FitWith(double lengthscale);  // returns the log marginal likelihood
  std::vector<std::vector<double>> X_;
  std::vector<double> y_;  // standardized
  double mean_ = 0, scale_ = 1, lengthscale_ = 0.3, noise_ = 1e-4;
  std::vector<double> alpha_;           // K^-1 y
  std::vector<std::vector<double>> L_;  // Cholesky factor of K (lower)
};

// Expected improvement below `best` (outcomes are minimized, e.g. eval loss).
double ExpectedImprovement(double mean, double sd, double best, double xi = 0.0);

struct Suggestion {
  std::vector<double> values;  // in the space's units, snapped
  double expected_improvement = 0, mean = 0, sd = 0;
};

// Up to `k` suggestions: `candidates` seeded random points of the space that
// `fits` accepts and that were not tried, chosen one at a time by expected
// improvement; each pick is added to the model at its predicted mean (the
// "kriging believer"), so the next pick looks elsewhere.
std::vector<Suggestion> Propose(const Space& space, const std::vector<std::vector<double>>& tried,
                                const std::vector<double>& outcomes, int k,
                                const std::function<bool(const std::vector<double>&)>& fits, uint64_t seed,
                                int candidates = 2000);

// outcome = a + b ln(tokens), least squares, when at least three runs differ
// in tokens: the slope's 95% interval and the outcome predicted at twice the
// largest token count with its 95% prediction interval.
struct ScalingFit {
  bool ok = false;
  std::string why;  // when !ok: why there is no fit
  int n = 0;
  double a = 0, b = 0, slope_lo = 0, slope_hi = 0;
  double tokens_2x = 0, predicted_2x = 0, lo_2x = 0, hi_2x = 0;
  std::string verdict;  // more data helps | no measurable gain | more data hurts
};
ScalingFit FitScaling(const std::vector<double>& tokens, const std::vector<double>& outcomes);

// ---- a project's runs -> the next experiments (ftconfig suggest) ----------------------

struct SuggestOptions {
  int count = 3;          // suggestions, 1..20
  uint64_t seed = 1;      // the candidates' random points
  std::string model;      // only runs of this model ("" = the largest group)
  std::string objective = "eval_loss";  // eval_loss | final_loss | train_loss (lower is better)
};

// `events`: telemetry events (run_start and run_complete pairs joined by
// run_id; others are ignored). The project is the runs of one model, GPU,
// GPU count and adapter. Searches learning rate, LoRA rank, effective batch
// and epochs; every suggestion is checked by the memory model
// (ConfigHeadroom) on the project's GPU and never offered when it does not fit.
// Errors name the field or event line.
Result<nlohmann::json> SuggestFromEvents(const std::vector<nlohmann::json>& events, const Catalog& catalog,
                                         const SuggestOptions& options);

}  // namespace ftconfig::suggest

#endif  // FTCONFIG_COMPANION_SUGGEST_H_
