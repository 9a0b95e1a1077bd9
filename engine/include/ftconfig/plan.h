// Planning under a budget (issue 20): one request, every platform / plan /
// GPU count / adapter / framework the constraints allow, each answered by
// Engine::Recommend, then compared on cost, time and risk.
//
// The answer lists every option with its configuration, memory margin,
// hours, sessions, cost, risk and what it gives up; marks the Pareto front
// over (cost, calendar hours, risk) among the options that meet every
// constraint; and picks the best one under the budget with the reason.
// Options that do not qualify say why. docs/planning.md has the model behind
// each number.
#ifndef FTCONFIG_PLAN_H_
#define FTCONFIG_PLAN_H_

#include <optional>
#include <string>
#include <vector>

#include "ftconfig/recommend.h"

namespace ftconfig {

// What a plan must respect. Lists hold ids or aliases; empty = no limit.
struct PlanConstraints {
  std::optional<double> budget_usd;      // 0..1e7: the most the run may cost
  std::optional<double> deadline_hours;  // 0.01..1e5: calendar hours until the run must be done
  std::vector<std::string> platforms;          // only these (ids or aliases), at most kMaxPlanListLength
  std::vector<std::string> exclude_platforms;  // never these
  int min_gpus = 1, max_gpus = 8;              // 1..1024, min <= max
  std::vector<std::string> adapters;    // none | lora | qlora; default: the request's adapter
  std::vector<std::string> frameworks;  // framework ids; default: the request's framework
  std::string objective = "balanced";   // cost | time | risk | balanced: how the best option is chosen
};

// The request a plan answers: a recommendation request without platform,
// plan, GPU or GPU count (the plan chooses them), plus constraints.
struct PlanRequest {
  Request base;
  json base_json;  // the request fields as given (without constraints), for each option's request
  PlanConstraints constraints;
};

constexpr std::size_t kMaxPlanListLength = 64;

// Parses {"model": ..., "dataset_size": ..., ..., "constraints": {...}}.
// Errors name the field, e.g. "constraints.budget_usd", "constraints.platforms[2]".
Result<PlanRequest> ParsePlanRequest(const json& j, const Catalog& catalog);
Result<PlanRequest> ParsePlanRequest(const std::string& text, const Catalog& catalog);

// The plan JSON documented in docs/planning.md.
Result<json> PlanTraining(const Engine& engine, const PlanRequest& request);
Result<json> PlanTraining(const Engine& engine, const std::string& request_json);

// The three objectives the front is taken over; all are minimized.
struct PlanPoint {
  double cost_usd = 0;
  double hours = 0;  // calendar hours
  double risk = 0;   // 0..1
};

// a is no worse than b in every objective and better in at least one.
bool Dominates(const PlanPoint& a, const PlanPoint& b);
// Indices of the points no other point dominates (equal points are all kept), in input order.
std::vector<size_t> ParetoFront(const std::vector<PlanPoint>& points);

}  // namespace ftconfig

#endif  // FTCONFIG_PLAN_H_
