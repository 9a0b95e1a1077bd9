// The planner's stages (plan.cpp) and what they hand each other. Internal.
#ifndef FTCONFIG_PLAN_INTERNAL_H_
#define FTCONFIG_PLAN_INTERNAL_H_

#include <optional>
#include <string>
#include <vector>

#include "ftconfig/plan.h"

namespace ftconfig::plan_internal {

// One option to ask the recommender about.
struct Choice {
  const Platform* platform = nullptr;
  const Plan* plan = nullptr;
  const Gpu* gpu = nullptr;
  int num_gpus = 1;
  std::string adapter;    // as requested; the memory plan may switch LoRA to QLoRA
  std::string framework;  // "" = the memory model's defaults (hf-trainer)
};

// Sessions a run needs on a plan with a session limit, and the calendar time
// with a weekly quota. Starting costs kStartupHours (install the stack,
// download and load the model), every restart kResumeHours (reload the
// model, resume from the last checkpoint); both are billed.
struct Sessions {
  double train_hours = 0;     // the recommender's estimate
  int sessions = 1;
  double total_hours = 0;     // startup + train_hours + restarts: the billed hours
  double calendar_hours = 0;  // total_hours, plus waiting weeks when the weekly quota runs out
};
constexpr double kStartupHours = 0.25;
constexpr double kResumeHours = 0.25;
Sessions CountSessions(double train_hours, std::optional<double> session_limit, std::optional<double> weekly_quota);

struct Option {
  Choice choice;
  json out;  // the option as docs/planning.md documents it
  PlanPoint point;
  bool fits = false;
  bool eligible = true;  // fits, priced, within budget and deadline
  Sessions sessions;
  std::optional<Error> error;  // the recommender refused the request
};

std::vector<Choice> Enumerate(const Catalog& catalog, const PlanRequest& req, json* not_considered);
Option Evaluate(const Engine& engine, const PlanRequest& req, const Choice& ch);
// Risk and its parts, the platform's traps (plan_risk.cpp); sets point.risk.
void Assess(const Choice& ch, const json& recommendation, Option* o);
// What each fitting option gives up against the best configuration any option reaches.
void NoteGivesUp(std::vector<Option>* options);
void Qualify(const PlanConstraints& c, Option* o);
// The best option on the front for the objective, with the reason; null with a reason when nothing qualifies.
json ChooseBest(const std::vector<Option>& options, const std::vector<size_t>& front, const PlanConstraints& c);
json ConstraintsJson(const PlanConstraints& c);

}  // namespace ftconfig::plan_internal

#endif  // FTCONFIG_PLAN_INTERNAL_H_
