// The best option on the front for the objective, with the reason
// (docs/planning.md, "The best option").
#include <algorithm>
#include <array>
#include <cstdio>
#include <map>

#include "json_util.h"
#include "outline.h"
#include "plan_internal.h"

FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN

namespace ftconfig::plan_internal {

namespace {

std::string Describe(const Option& o) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "$%.2f, %.1f h, risk %.2f (%s)", o.point.cost_usd, o.point.hours, o.point.risk,
                o.out["risk"].value("level", "").c_str());
  return buf;
}

// Why nothing qualifies: how many options each reason excluded.
std::string NothingQualifies(const std::vector<Option>& options) {
  std::map<std::string, int> counts;
  for (const Option& o : options)
    for (const json& e : o.out["excluded_because"]) counts[e.value("code", "")] += 1;
  std::string why = "no option meets every constraint (";
  bool first = true;
  for (const auto& [code, n] : counts) {
    why += (first ? "" : ", ") + std::to_string(n) + " " + code;
    first = false;
  }
  return why + "): raise the budget or the deadline, allow more platforms or GPUs, or use fewer examples";
}

// The scales the balanced score divides by: the budget and deadline, else the front's largest values.
std::pair<double, double> Scales(const std::vector<Option>& options, const std::vector<size_t>& front,
                                 const PlanConstraints& c) {
  double cost = 0, hours = 0;
  for (size_t i : front) {
    cost = std::max(cost, options[i].point.cost_usd);
    hours = std::max(hours, options[i].point.hours);
  }
  if (c.budget_usd && *c.budget_usd > 0) cost = *c.budget_usd;
  if (c.deadline_hours) hours = *c.deadline_hours;
  return {std::max(cost, 0.01), std::max(hours, 0.01)};
}

// The key the objective minimizes, lexicographically.
std::array<double, 3> Key(const PlanPoint& p, const std::string& objective, std::pair<double, double> scales) {
  if (objective == "cost") return {p.cost_usd, p.hours, p.risk};
  if (objective == "time") return {p.hours, p.cost_usd, p.risk};
  if (objective == "risk") return {p.risk, p.cost_usd, p.hours};
  return {p.cost_usd / scales.first + p.hours / scales.second + p.risk, p.risk, p.cost_usd};
}

std::string Reason(const Option& o, const std::string& objective, std::pair<double, double> scales, size_t front) {
  char buf[240];
  const std::string what = Describe(o);
  if (objective == "balanced")
    std::snprintf(buf, sizeof buf,
                  "the lowest cost/$%.2f + hours/%.1f + risk of the %zu options on the front: %s", scales.first,
                  scales.second, front, what.c_str());
  else
    std::snprintf(buf, sizeof buf, "the %s option on the front of %zu: %s",
                  objective == "cost" ? "cheapest" : objective == "time" ? "fastest" : "lowest-risk", front,
                  what.c_str());
  return buf;
}

size_t ArgMin(const std::vector<Option>& options, const std::vector<size_t>& front, const std::string& objective,
              std::pair<double, double> scales) {
  return *std::min_element(front.begin(), front.end(), [&](size_t a, size_t b) {
    return Key(options[a].point, objective, scales) < Key(options[b].point, objective, scales);
  });
}

}  // namespace

json ChooseBest(const std::vector<Option>& options, const std::vector<size_t>& front, const PlanConstraints& c) {
  if (front.empty()) return {{"id", nullptr}, {"objective", c.objective}, {"reason", NothingQualifies(options)}};
  auto scales = Scales(options, front, c);
  const Option& best = options[ArgMin(options, front, c.objective, scales)];
  json alternatives = json::object();
  for (const char* objective : {"cost", "time", "risk"})
    alternatives[objective] = options[ArgMin(options, front, objective, scales)].out["id"];
  return {{"id", best.out["id"]},
          {"objective", c.objective},
          {"reason", Reason(best, c.objective, scales, front.size())},
          {"cheapest_fastest_safest", {alternatives["cost"], alternatives["time"], alternatives["risk"]}}};
}

json ConstraintsJson(const PlanConstraints& c) {
  auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  return {{"budget_usd", opt(c.budget_usd)},
          {"deadline_hours", opt(c.deadline_hours)},
          {"platforms", c.platforms},
          {"exclude_platforms", c.exclude_platforms},
          {"min_gpus", c.min_gpus},
          {"max_gpus", c.max_gpus},
          {"adapters", c.adapters},
          {"frameworks", c.frameworks},
          {"objective", c.objective}};
}

}  // namespace ftconfig::plan_internal

FTCONFIG_OPTIMIZE_FOR_SIZE_END
