// PlanTraining: every option the constraints allow, each answered by
// Engine::Recommend, compared on cost, calendar hours and risk
// (docs/planning.md). The stages, in order:
//
//   enumerate   platform / plan x GPU count x adapter x framework
//   evaluate    one recommendation each; sessions, calendar, cost, risk (plan_risk.cpp)
//   qualify     fits, priced, within budget and deadline; else why not
//   front       Pareto front over (cost, calendar hours, risk) of what qualifies
//   best        the front's best option for the objective, with the reason
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ftconfig/plan.h"
#include "json_util.h"
#include "outline.h"
#include "plan_internal.h"

FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN

namespace ftconfig {

using internal::Round2;
using internal::Round3;

namespace plan_internal {

// ---- enumerate ---------------------------------------------------------------

namespace {

bool Listed(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// GPU counts to try on a plan: a rented single GPU can be rented 2, 4 or 8
// times (priced per GPU); other plans come with their own count.
std::vector<int> CountsFor(const Platform& platform, const Plan& plan, const PlanConstraints& c) {
  std::vector<int> counts;
  std::vector<int> tried = {plan.gpu_count};
  if (platform.kind == "cloud" && plan.gpu_count == 1 && plan.price_per_gpu_hour_usd) tried = {1, 2, 4, 8};
  for (int n : tried)
    if (n >= c.min_gpus && n <= c.max_gpus) counts.push_back(n);
  return counts;
}

json NotConsidered(const Platform& p, const Plan& plan, const std::string& why) {
  return {{"platform", p.id}, {"plan", plan.id}, {"why", why}};
}

}  // namespace

std::vector<Choice> Enumerate(const Catalog& catalog, const PlanRequest& req, json* not_considered) {
  const PlanConstraints& c = req.constraints;
  std::vector<Choice> out;
  for (const Platform& p : catalog.platforms()) {
    if (!c.platforms.empty() && !Listed(c.platforms, p.id)) continue;
    if (Listed(c.exclude_platforms, p.id)) continue;
    for (const Plan& plan : p.plans) {
      const Gpu* gpu = plan.gpu.empty() ? nullptr : catalog.GpuById(plan.gpu);
      if (!gpu) {
        not_considered->push_back(NotConsidered(p, plan, "the plan names no GPU (bring your own): ask "
                                                         "`ftconfig recommend` with your GPU"));
        continue;
      }
      std::vector<int> counts = CountsFor(p, plan, c);
      if (counts.empty()) {
        not_considered->push_back(NotConsidered(
            p, plan, "comes with " + std::to_string(plan.gpu_count) + " GPUs, outside constraints.min_gpus.." +
                         "constraints.max_gpus"));
        continue;
      }
      for (int n : counts)
        for (const std::string& adapter : c.adapters)
          for (const std::string& framework : c.frameworks) out.push_back({&p, &plan, gpu, n, adapter, framework});
    }
  }
  return out;
}

// ---- evaluate ------------------------------------------------------------------

namespace {

std::string OptionId(const Choice& ch) {
  std::string id = ch.platform->id + "/" + ch.plan->id + "/" + std::to_string(ch.num_gpus) + "x/" + ch.adapter;
  if (!ch.framework.empty()) id += "/" + ch.framework;
  return id;
}

// The fields to merge into the plan's request to ask for this option's full recommendation.
json RequestPatch(const Choice& ch) {
  json p = {{"platform", ch.platform->id}, {"plan", ch.plan->id}, {"adapter_type", ch.adapter}};
  if (ch.num_gpus != ch.plan->gpu_count) p["num_gpus"] = ch.num_gpus;
  if (!ch.framework.empty()) p["framework"] = ch.framework;
  return p;
}

Request OptionRequest(const PlanRequest& req, const Choice& ch) {
  Request r = req.base;
  r.platform = ch.platform->id;
  r.plan = ch.plan->id;
  r.num_gpus = ch.num_gpus;
  r.adapter_type = ch.adapter;
  r.framework = ch.framework;
  return r;
}

json Configuration(const json& hp) {
  json c = json::object();
  for (const char* k : {"adapter_type", "distribution", "batch_size_per_device", "gradient_accumulation_steps",
                        "effective_batch_size", "max_seq_length", "lora_r", "lora_target_class", "learning_rate",
                        "num_epochs", "precision", "pure_bf16", "optimizer", "gradient_checkpointing"})
    if (hp.contains(k)) c[k] = hp[k];
  return c;
}

json PriceJson(const Plan& plan) {
  if (!plan.price_per_gpu_hour_usd) return nullptr;
  return {{"per_gpu_hour_usd", *plan.price_per_gpu_hour_usd},
          {"date", plan.price_date.empty() ? json(nullptr) : json(plan.price_date)},
          {"source", plan.price_source.empty() ? json(nullptr) : json(plan.price_source)}};
}

json Header(const Choice& ch) {
  return {{"platform", {{"id", ch.platform->id}, {"name", ch.platform->name}, {"kind", ch.platform->kind}}},
          {"plan", {{"id", ch.plan->id}, {"name", ch.plan->name}}},
          {"gpu", {{"id", ch.gpu->id}, {"name", ch.gpu->name}, {"count", ch.num_gpus}}},
          {"adapter_requested", ch.adapter},
          {"framework", ch.framework.empty() ? json(nullptr) : json(ch.framework)},
          {"price", PriceJson(*ch.plan)},
          {"request_patch", RequestPatch(ch)}};
}

void Exclude(Option* o, const char* code, const std::string& message) {
  o->eligible = false;
  o->out["excluded_because"].push_back({{"code", code}, {"message", message}});
}

// Time, sessions, calendar and cost of a recommendation that fits.
void Schedule(const Choice& ch, const json& rec, Option* o) {
  Sessions s = CountSessions(rec["time"].value("hours", 0.0), ch.plan->session_limit_hours, ch.plan->weekly_quota_hours);
  o->sessions = s;
  json& out = o->out;
  out["hours"] = Round2(s.train_hours);
  out["sessions"] = s.sessions;
  out["session_limit_hours"] = ch.plan->session_limit_hours ? json(*ch.plan->session_limit_hours) : json(nullptr);
  out["weekly_quota_hours"] = ch.plan->weekly_quota_hours ? json(*ch.plan->weekly_quota_hours) : json(nullptr);
  out["total_hours"] = Round2(s.total_hours);
  out["calendar_hours"] = Round2(s.calendar_hours);
  o->point.hours = s.calendar_hours;
  if (ch.plan->price_per_gpu_hour_usd) {
    o->point.cost_usd = Round2(s.total_hours * *ch.plan->price_per_gpu_hour_usd * ch.num_gpus);
    out["cost_usd"] = o->point.cost_usd;
  } else {
    out["cost_usd"] = nullptr;
  }
}

}  // namespace

Option Evaluate(const Engine& engine, const PlanRequest& req, const Choice& ch) {
  Option o;
  o.choice = ch;
  o.out = Header(ch);
  o.out["id"] = OptionId(ch);
  o.out["excluded_because"] = json::array();
  auto rec = engine.Recommend(OptionRequest(req, ch));
  if (!rec.ok()) {
    o.error = rec.error();
    o.out["fits"] = false;
    Exclude(&o, "error", rec.error().message);
    return o;
  }
  const json& r = rec.value();
  o.fits = r.value("fits", false);
  o.out["fits"] = o.fits;
  if (!o.fits) {
    Exclude(&o, "does_not_fit", r["does_not_fit"].value("message", "the configuration does not fit in memory"));
    return o;
  }
  o.out["configuration"] = Configuration(r["hyperparameters"]);
  o.out["memory"] = {{"per_gpu_gb", r["vram"]["per_gpu_gb"]},
                     {"usable_gb", r["vram"]["usable_gb"]},
                     {"margin_fraction", r["vram"]["margin_fraction"]}};
  o.out["confidence"] = r["confidence"]["score"];
  Schedule(ch, r, &o);
  Assess(ch, r, &o);
  return o;
}

// ---- qualify ---------------------------------------------------------------------

void Qualify(const PlanConstraints& c, Option* o) {
  if (!o->fits) return;
  char buf[200];
  if (o->out["cost_usd"].is_null())
    Exclude(o, "price_unknown", "no source gives a price for " + o->choice.platform->name + " " +
                                    o->choice.plan->name + ": cost unknown, so it cannot be compared");
  if (c.budget_usd && !o->out["cost_usd"].is_null() && o->point.cost_usd > *c.budget_usd) {
    std::snprintf(buf, sizeof buf, "costs $%.2f, over the $%.2f budget", o->point.cost_usd, *c.budget_usd);
    Exclude(o, "over_budget", buf);
  }
  if (c.deadline_hours && o->point.hours > *c.deadline_hours) {
    std::snprintf(buf, sizeof buf, "takes %.1f calendar hours, past the %.1f h deadline", o->point.hours,
                  *c.deadline_hours);
    Exclude(o, "past_deadline", buf);
  }
}

}  // namespace plan_internal

// ---- front -------------------------------------------------------------------------

bool Dominates(const PlanPoint& a, const PlanPoint& b) {
  bool no_worse = a.cost_usd <= b.cost_usd && a.hours <= b.hours && a.risk <= b.risk;
  bool better = a.cost_usd < b.cost_usd || a.hours < b.hours || a.risk < b.risk;
  return no_worse && better;
}

std::vector<size_t> ParetoFront(const std::vector<PlanPoint>& points) {
  std::vector<size_t> front;
  for (size_t i = 0; i < points.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < points.size() && !dominated; ++j) dominated = j != i && Dominates(points[j], points[i]);
    if (!dominated) front.push_back(i);
  }
  return front;
}

// ---- the plan ----------------------------------------------------------------------

namespace {

using plan_internal::Option;

std::vector<size_t> MarkFront(std::vector<Option>* options) {
  std::vector<size_t> eligible;
  std::vector<PlanPoint> points;
  for (size_t i = 0; i < options->size(); ++i)
    if ((*options)[i].eligible) {
      eligible.push_back(i);
      points.push_back((*options)[i].point);
    }
  std::vector<size_t> front;
  for (size_t k : ParetoFront(points)) front.push_back(eligible[k]);
  for (Option& o : *options) o.out["on_front"] = false;
  for (size_t i : front) (*options)[i].out["on_front"] = true;
  return front;
}

// Front first (cheapest first), then what qualifies, then the rest.
void SortOptions(std::vector<Option>* options) {
  auto rank = [](const Option& o) { return o.out.value("on_front", false) ? 0 : o.eligible ? 1 : o.fits ? 2 : 3; };
  std::stable_sort(options->begin(), options->end(), [&](const Option& a, const Option& b) {
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    if (a.point.cost_usd != b.point.cost_usd) return a.point.cost_usd < b.point.cost_usd;
    return a.point.hours < b.point.hours;
  });
}

json Summary(const std::vector<Option>& options, size_t front) {
  size_t fits = 0, eligible = 0;
  for (const Option& o : options) {
    fits += o.fits;
    eligible += o.eligible;
  }
  return {{"options", options.size()}, {"fit", fits}, {"qualify", eligible}, {"on_front", front}};
}

const char* kManagedApis =
    "managed fine-tuning APIs are not listed: the bundled data has no per-token price with a source and a date "
    "(Together's and OpenAI's documentation point to pricing pages whose rates are not in the data), and "
    "a price without both is never estimated";

}  // namespace

Result<json> PlanTraining(const Engine& engine, const std::string& request_json) {
  FTCONFIG_ASSIGN_OR_RETURN(req, ParsePlanRequest(request_json, engine.catalog()));
  return PlanTraining(engine, req);
}

Result<json> PlanTraining(const Engine& engine, const PlanRequest& req) {
  using namespace plan_internal;
  json not_considered = json::array();
  std::vector<Choice> choices = Enumerate(engine.catalog(), req, &not_considered);
  if (choices.empty())
    return Error{ErrorCode::kInvalidValue, "constraints",
                 "no platform, plan and GPU count meets the constraints: widen constraints.platforms or the GPU count"};
  std::vector<Option> options;
  options.reserve(choices.size());
  for (const Choice& ch : choices) options.push_back(Evaluate(engine, req, ch));
  // A request every option refuses (unknown model, bad task) is the request's error.
  if (std::all_of(options.begin(), options.end(), [](const Option& o) { return o.error.has_value(); }))
    return *options.front().error;
  NoteGivesUp(&options);
  for (Option& o : options) Qualify(req.constraints, &o);
  std::vector<size_t> front = MarkFront(&options);
  json best = ChooseBest(options, front, req.constraints);
  SortOptions(&options);
  json list = json::array();
  for (Option& o : options) list.push_back(std::move(o.out));
  json constraints = ConstraintsJson(req.constraints);
  return json{{"engine_version", Engine::Version()},
              {"request", req.base_json},
              {"constraints", constraints},
              {"summary", Summary(options, front.size())},
              {"best", best},
              {"options", std::move(list)},
              {"not_considered", not_considered},
              {"managed_apis", {{"included", false}, {"why", kManagedApis}}}};
}

}  // namespace ftconfig

FTCONFIG_OPTIMIZE_FOR_SIZE_END
