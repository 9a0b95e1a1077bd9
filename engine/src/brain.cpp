// The learning brain for strategy "auto" (brain.h, docs/recommendation.md).
#include "ftconfig/brain.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "ftconfig/corpus.h"
#include "json_util.h"
#include "outline.h"

// Runs once per engine or once per answer: optimized for size in WebAssembly (outline.h).
FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN

namespace ftconfig {

namespace {

const char* const kStrategyFields[] = {"recommendations", "feedback",   "ratings", "mean_rating",
                                       "interactions",    "mean_label", "success", "failed",
                                       "oom",             "mean_confidence", "mean_vram_utilization"};

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

Error TypeErr(const std::string& field, const std::string& expected) {
  return Error{ErrorCode::kInvalidType, field, "\"" + field + "\" must be " + expected};
}

// A count: an integer from 0 to 1e9.
std::optional<Error> GetCount(const json& o, const char* key, const std::string& prefix, int* out) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return std::nullopt;
  const std::string field = prefix + "." + key;
  if (!it->is_number()) return TypeErr(field, "an integer (a count)");
  double d = it->get<double>();
  if (!std::isfinite(d) || d < 0 || d > 1e9 || std::floor(d) != d)
    return Error{ErrorCode::kInvalidValue, field, "\"" + field + "\" must be an integer from 0 to 1000000000, got " + it->dump()};
  *out = static_cast<int>(d);
  return std::nullopt;
}

std::optional<Error> GetMean(const json& o, const char* key, const std::string& prefix, double lo, double hi,
                             MaybeNumber* out) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return std::nullopt;
  const std::string field = prefix + "." + key;
  if (!it->is_number()) return TypeErr(field, "a number or null");
  double d = it->get<double>();
  if (!std::isfinite(d) || d < lo || d > hi) {
    char buf[200];
    std::snprintf(buf, sizeof buf, "\"%s\" must be a number from %g to %g, got %s", field.c_str(), lo, hi,
                  it->dump().c_str());
    return Error{ErrorCode::kInvalidValue, field, buf};
  }
  *out = d;
  return std::nullopt;
}

Result<StrategyEvidence> ParseStrategy(const json& o, const std::string& prefix) {
  if (!o.is_object()) return TypeErr(prefix, "an object of counts and means");
  std::set<std::string> known(std::begin(kStrategyFields), std::end(kStrategyFields));
  for (const auto& [key, value] : o.items()) {
    if (!known.count(key)) {
      std::vector<std::string> names(std::begin(kStrategyFields), std::end(kStrategyFields));
      return Error{ErrorCode::kUnknownField, prefix + "." + key,
                   "unknown evidence field \"" + prefix + "." + key + "\"; accepted: " + Join(names)};
    }
  }
  StrategyEvidence e;
#define FT_TRY(expr) \
  if (auto err_ = (expr)) return *err_
  FT_TRY(GetCount(o, "recommendations", prefix, &e.recommendations));
  FT_TRY(GetCount(o, "feedback", prefix, &e.feedback));
  FT_TRY(GetCount(o, "ratings", prefix, &e.ratings));
  FT_TRY(GetCount(o, "interactions", prefix, &e.interactions));
  FT_TRY(GetCount(o, "success", prefix, &e.success));
  FT_TRY(GetCount(o, "failed", prefix, &e.failed));
  FT_TRY(GetCount(o, "oom", prefix, &e.oom));
  FT_TRY(GetMean(o, "mean_rating", prefix, 1, 5, &e.mean_rating));
  FT_TRY(GetMean(o, "mean_label", prefix, 0, 1, &e.mean_label));
  FT_TRY(GetMean(o, "mean_confidence", prefix, 0, 1, &e.mean_confidence));
  FT_TRY(GetMean(o, "mean_vram_utilization", prefix, 0, 2, &e.mean_vram_utilization));
#undef FT_TRY
  if (e.ratings > e.feedback)
    return Error{ErrorCode::kInvalidValue, prefix + ".ratings",
                 "\"" + prefix + ".ratings\" (" + std::to_string(e.ratings) + ") cannot exceed \"feedback\" (" +
                     std::to_string(e.feedback) + "): a rating comes with a feedback event"};
  if (static_cast<long long>(e.success) + e.failed + e.oom > e.feedback)
    return Error{ErrorCode::kInvalidValue, prefix + ".success",
                 "\"" + prefix + ".success\" + failed + oom (" +
                     std::to_string(static_cast<long long>(e.success) + e.failed + e.oom) +
                     ") cannot exceed \"feedback\" (" + std::to_string(e.feedback) + "): an outcome comes with a feedback event"};
  if (e.ratings > 0 && !e.mean_rating)
    return Error{ErrorCode::kMissingField, prefix + ".mean_rating",
                 "\"" + prefix + ".mean_rating\" is required when ratings > 0"};
  if (e.ratings == 0 && e.mean_rating)
    return Error{ErrorCode::kInvalidValue, prefix + ".mean_rating",
                 "\"" + prefix + ".mean_rating\" given without ratings: set \"ratings\""};
  if (e.interactions > 0 && !e.mean_label)
    return Error{ErrorCode::kMissingField, prefix + ".mean_label",
                 "\"" + prefix + ".mean_label\" is required when interactions > 0"};
  if (e.interactions == 0 && e.mean_label)
    return Error{ErrorCode::kInvalidValue, prefix + ".mean_label",
                 "\"" + prefix + ".mean_label\" given without interactions: set \"interactions\""};
  return e;
}

double Clamp01(double x) { return std::max(0.0, std::min(1.0, x)); }
double Round3(double x) { return std::round(x * 1000.0) / 1000.0; }

std::string Fixed(double x, int digits = 2) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, x);
  return buf;
}

// Utilisation at which VRAM risk starts, and where it is full (the engine's
// fit limit, Engine::kFitFraction).
constexpr double kRiskStart = 0.60;
constexpr double kRiskFull = 0.88;

StrategyScore Score(const std::string& name, const StrategyEvidence& e, bool available, const BrainConfig& c) {
  StrategyScore s;
  s.strategy = name;
  s.available = available;
  s.eligible = available && e.Signals() >= c.min_evidence;
  // Satisfaction: ratings mapped like "rated" interactions (1 -> 0.1 ... 5 ->
  // 1.0) pooled with interaction labels; neutral 0.5 without either.
  double label_n = e.ratings + e.interactions;
  double label_sum = 0;
  if (e.ratings > 0 && e.mean_rating) label_sum += e.ratings * (0.1 + 0.225 * (*e.mean_rating - 1));
  if (e.interactions > 0 && e.mean_label) label_sum += e.interactions * *e.mean_label;
  s.rating = label_n > 0 ? label_sum / label_n : 0.5;
  // Success rate with a uniform prior (Laplace): 0.5 without outcomes.
  s.success = (e.success + 1.0) / (e.Outcomes() + 2.0);
  s.oom_rate = e.Outcomes() > 0 ? static_cast<double>(e.oom) / e.Outcomes() : 0.0;
  s.confidence = e.mean_confidence.value_or(0.5);
  s.vram_risk = e.mean_vram_utilization ? Clamp01((*e.mean_vram_utilization - kRiskStart) / (kRiskFull - kRiskStart)) : 0.0;
  s.score = c.w_rating * s.rating + c.w_success * s.success + c.w_confidence * s.confidence -
            c.w_vram * s.vram_risk - c.w_oom * s.oom_rate;
  return s;
}

std::string Describe(const StrategyScore& s, const StrategyEvidence& e) {
  std::string d = s.strategy + " " + Fixed(s.score, 3) + " on " + std::to_string(e.Signals()) + " signals";
  if (e.Outcomes() > 0)
    d += " (" + std::to_string(e.success) + " success, " + std::to_string(e.failed) + " failed, " +
         std::to_string(e.oom) + " OOM)";
  return d;
}

json OptNum(const MaybeNumber& v) { return v ? json(Round3(*v)) : json(nullptr); }

}  // namespace

const std::vector<std::string>& BrainStrategies() {
  static const std::vector<std::string> s = {"deterministic", "hybrid", "hybrid_ml"};
  return s;
}

std::optional<double> LabelForInteraction(const std::string& action, int rating) {
  if (action == "used") return 1.0;
  if (action == "saved") return 0.8;
  if (action == "dismissed") return 0.0;
  if (action == "rated" && rating >= 1 && rating <= 5) return 0.1 + 0.225 * (rating - 1);
  return std::nullopt;
}

Result<BrainEvidence> ParseEvidence(const json& j, const std::string& field) {
  if (!j.is_object()) return TypeErr(field, "an object {context?, strategies}");
  BrainEvidence ev;
  for (const auto& [key, value] : j.items()) {
    if (key != "context" && key != "strategies")
      return Error{ErrorCode::kUnknownField, field + "." + key,
                   "unknown evidence field \"" + field + "." + key + "\"; accepted: context, strategies"};
  }
  if (auto it = j.find("context"); it != j.end() && !it->is_null()) {
    const std::string cf = field + ".context";
    if (!it->is_object()) return TypeErr(cf, "an object {task_type, adapter_type, model_size_bucket}");
    for (const auto& [key, value] : it->items()) {
      std::string* out = key == "task_type"           ? &ev.task_type
                         : key == "adapter_type"      ? &ev.adapter_type
                         : key == "model_size_bucket" ? &ev.model_size_bucket
                                                      : nullptr;
      if (!out)
        return Error{ErrorCode::kUnknownField, cf + "." + key,
                     "unknown context field \"" + cf + "." + key + "\"; accepted: task_type, adapter_type, model_size_bucket"};
      if (value.is_null()) continue;
      if (!value.is_string()) return TypeErr(cf + "." + key, "a string");
      *out = value.get<std::string>();
    }
    if (!ev.model_size_bucket.empty() && ev.model_size_bucket != "small" && ev.model_size_bucket != "medium" &&
        ev.model_size_bucket != "large")
      return Error{ErrorCode::kInvalidValue, cf + ".model_size_bucket",
                   "\"" + cf + ".model_size_bucket\" must be \"small\", \"medium\" or \"large\""};
  }
  auto it = j.find("strategies");
  if (it == j.end() || it->is_null())
    return Error{ErrorCode::kMissingField, field + ".strategies",
                 "\"" + field + ".strategies\" is required: {deterministic?, hybrid?, hybrid_ml?}"};
  if (!it->is_object()) return TypeErr(field + ".strategies", "an object keyed by strategy");
  for (const auto& [key, value] : it->items()) {
    const std::string sf = field + ".strategies." + key;
    const auto& names = BrainStrategies();
    if (std::find(names.begin(), names.end(), key) == names.end())
      return Error{ErrorCode::kUnknownField, sf,
                   "unknown strategy in \"" + sf + "\"; accepted: " + Join(names)};
    auto s = ParseStrategy(value, sf);
    if (!s.ok()) return s.error();
    ev.strategies[key] = s.value();
  }
  return ev;
}

BrainDecision DecideStrategy(const BrainEvidence* evidence, const BrainContext& context,
                             const std::string& plain_auto, bool have_reranker, const BrainConfig& config) {
  BrainDecision d;
  d.plain_auto = plain_auto;
  d.chosen = plain_auto;
  d.context = context;
  d.min_evidence = config.min_evidence;
  if (!evidence) {
    d.reason = "no feedback evidence in the request: plain auto";
    return d;
  }
  d.evidence = *evidence;
  auto differs = [](const std::string& given, const std::string& actual) { return !given.empty() && given != actual; };
  if (differs(evidence->task_type, context.task_type) || differs(evidence->adapter_type, context.adapter_type) ||
      differs(evidence->model_size_bucket, context.model_size_bucket)) {
    d.context_mismatch = true;
    d.reason = "the evidence is for another context (" + evidence->task_type + "/" + evidence->adapter_type + "/" +
               evidence->model_size_bucket + ", this request is " + context.task_type + "/" + context.adapter_type +
               "/" + context.model_size_bucket + "): plain auto";
    return d;
  }
  static const StrategyEvidence kNone;
  auto ev_of = [&](const std::string& s) -> const StrategyEvidence& {
    auto it = evidence->strategies.find(s);
    return it == evidence->strategies.end() ? kNone : it->second;
  };
  std::vector<const StrategyScore*> eligible;
  for (const auto& s : BrainStrategies()) d.scores.push_back(Score(s, ev_of(s), s != "hybrid_ml" || have_reranker, config));
  for (const auto& s : d.scores)
    if (s.eligible) eligible.push_back(&s);
  if (eligible.empty()) {
    std::string have;
    for (const auto& s : d.scores)
      have += (have.empty() ? "" : ", ") + s.strategy + " " + std::to_string(ev_of(s.strategy).Signals()) +
              (s.available ? "" : " (unavailable)");
    d.reason = "not enough feedback for " + context.task_type + "/" + context.adapter_type + "/" +
               context.model_size_bucket + " (a strategy needs " + std::to_string(config.min_evidence) +
               " signals; have " + have + "): plain auto";
    return d;
  }
  // Best first: score, then signals, then the fixed order (stable sort keeps it).
  std::stable_sort(eligible.begin(), eligible.end(), [&](const StrategyScore* a, const StrategyScore* b) {
    if (std::fabs(a->score - b->score) > 1e-9) return a->score > b->score;
    return ev_of(a->strategy).Signals() > ev_of(b->strategy).Signals();
  });
  const StrategyScore* best = eligible.front();
  d.applied = true;
  if (best->score < 0) {
    // Every scored strategy is dominated by OOM outcomes: try an available
    // strategy without such a record, in the fixed order.
    for (const auto& s : d.scores) {
      if (!s.available || s.eligible || ev_of(s.strategy).oom > 0) continue;
      d.chosen = s.strategy;
      d.reason = "every strategy with enough feedback ran out of memory too often (best: " +
                 Describe(*best, ev_of(best->strategy)) + "): trying " + s.strategy + ", which has no OOM on record";
      return d;
    }
  }
  d.chosen = best->strategy;
  d.reason = "best feedback score for " + context.task_type + "/" + context.adapter_type + "/" +
             context.model_size_bucket + ": " + Describe(*best, ev_of(best->strategy));
  if (eligible.size() > 1) {
    d.reason += "; next ";
    for (size_t i = 1; i < eligible.size(); ++i)
      d.reason += (i > 1 ? ", " : "") + Describe(*eligible[i], ev_of(eligible[i]->strategy));
  } else {
    d.reason += "; the other strategies have fewer than " + std::to_string(config.min_evidence) + " signals";
  }
  if (best->score < 0) d.reason += " (all available strategies score below 0: the least bad one)";
  return d;
}

json DecisionJson(const BrainDecision& d) {
  json out = {{"applied", d.applied},
              {"chosen", d.chosen},
              {"plain_auto", d.plain_auto},
              {"reason", d.reason},
              {"min_evidence", d.min_evidence},
              {"context",
               {{"task_type", d.context.task_type},
                {"adapter_type", d.context.adapter_type},
                {"model_size_bucket", d.context.model_size_bucket}}}};
  if (!d.evidence) {
    out["evidence"] = nullptr;
    return out;
  }
  json ev = json::object();
  for (const auto& name : BrainStrategies()) {
    auto it = d.evidence->strategies.find(name);
    StrategyEvidence e = it == d.evidence->strategies.end() ? StrategyEvidence() : it->second;
    json s = {{"recommendations", e.recommendations}, {"feedback", e.feedback},
              {"ratings", e.ratings},                 {"mean_rating", OptNum(e.mean_rating)},
              {"interactions", e.interactions},       {"mean_label", OptNum(e.mean_label)},
              {"success", e.success},                 {"failed", e.failed},
              {"oom", e.oom},                         {"mean_confidence", OptNum(e.mean_confidence)},
              {"mean_vram_utilization", OptNum(e.mean_vram_utilization)},
              {"signals", e.Signals()}};
    for (const auto& sc : d.scores) {
      if (sc.strategy != name) continue;
      s["available"] = sc.available;
      s["eligible"] = sc.eligible;
      s["score"] = sc.eligible ? json(Round3(sc.score)) : json(nullptr);
      s["terms"] = {{"rating", Round3(sc.rating)},
                    {"success", Round3(sc.success)},
                    {"confidence", Round3(sc.confidence)},
                    {"vram_risk", Round3(sc.vram_risk)},
                    {"oom_rate", Round3(sc.oom_rate)}};
    }
    ev[name] = s;
  }
  out["evidence"] = ev;
  return out;
}

json EvidenceJson(const BrainEvidence& e) {
  json out = json::object();
  if (!e.task_type.empty() || !e.adapter_type.empty() || !e.model_size_bucket.empty())
    out["context"] = {{"task_type", e.task_type}, {"adapter_type", e.adapter_type},
                      {"model_size_bucket", e.model_size_bucket}};
  json st = json::object();
  for (const auto& [name, s] : e.strategies) {
    json o = {{"recommendations", s.recommendations}, {"feedback", s.feedback}, {"ratings", s.ratings},
              {"interactions", s.interactions},       {"success", s.success},   {"failed", s.failed},
              {"oom", s.oom}};
    if (s.mean_rating) o["mean_rating"] = *s.mean_rating;
    if (s.mean_label) o["mean_label"] = *s.mean_label;
    if (s.mean_confidence) o["mean_confidence"] = *s.mean_confidence;
    if (s.mean_vram_utilization) o["mean_vram_utilization"] = *s.mean_vram_utilization;
    st[name] = o;
  }
  out["strategies"] = st;
  return out;
}

// The largest per-GPU memory figure taken from an event (GB).
constexpr double kMaxGpuGb = 100000;

BrainEvidence EvidenceFromEvents(const std::vector<json>& events, const std::string& task_type,
                                 const std::string& adapter_type, const std::string& model_size_bucket) {
  using internal::Find;
  using internal::Num;
  using internal::Str;
  struct Sums {
    double rating = 0, label = 0, confidence = 0, util = 0;
    int confidence_n = 0, util_n = 0;
  };
  BrainEvidence ev;
  ev.task_type = task_type;
  ev.adapter_type = adapter_type;
  ev.model_size_bucket = model_size_bucket;
  std::map<std::string, Sums> sums;
  std::map<std::string, std::string> strategy_of;  // recommendation event_id -> strategy (in this context)
  const auto& names = BrainStrategies();
  auto known = [&](const std::string& s) { return std::find(names.begin(), names.end(), s) != names.end(); };
  for (const json& e : events) {
    if (!e.is_object() || Str(e, "event") != "recommendation") continue;
    const json* resp = Find(e, "response");
    // The strategy that ran: the event's "strategy", else the summary's strategy.used.
    std::string strategy = Str(e, "strategy");
    if (!known(strategy) && resp)
      if (const json* st = Find(*resp, "strategy")) strategy = Str(*st, "used");
    const json* req = resp ? Find(*resp, "request") : nullptr;
    if (!known(strategy) || !req) continue;
    if (Str(*req, "task_type") != task_type || Str(*req, "adapter_type") != adapter_type ||
        SizeBucket(Num(*req, "model_params_b")) != model_size_bucket)
      continue;
    const std::string id = Str(e, "event_id");
    if (id.empty() || strategy_of.count(id)) continue;  // duplicates count once
    strategy_of[id] = strategy;
    StrategyEvidence& s = ev.strategies[strategy];
    Sums& z = sums[strategy];
    s.recommendations++;
    // Nested values are checked at this boundary: a confidence of 1e308 or a
    // negative VRAM figure once made a strategy with 6 of 6 OOMs win.
    if (const json* c = Find(*resp, "confidence"))
      if (auto score = Num(*c, "score"); score && *score >= 0 && *score <= 1) z.confidence += *score, z.confidence_n++;
    if (const json* v = Find(*resp, "vram")) {
      auto per = Num(*v, "per_gpu_gb"), usable = Num(*v, "usable_gb");
      auto gb = [](std::optional<double> x) { return x && std::isfinite(*x) && *x > 0 && *x <= kMaxGpuGb; };
      if (gb(per) && gb(usable)) z.util += std::min(2.0, *per / *usable), z.util_n++;
    }
  }
  std::set<std::string> seen, runs;
  for (const json& e : events) {
    if (!e.is_object()) continue;
    const std::string type = Str(e, "event");
    if (type != "feedback" && type != "interaction" && type != "run_complete") continue;
    const std::string id = Str(e, "event_id");
    if (!id.empty() && !seen.insert(id).second) continue;
    auto rec = strategy_of.find(Str(e, "recommendation_event_id"));
    if (rec == strategy_of.end()) continue;
    StrategyEvidence& s = ev.strategies[rec->second];
    Sums& z = sums[rec->second];
    if (type == "run_complete") {
      // The notebook's (or script's) own report of the run: its outcome is
      // feedback nobody had to type. One completion per run counts.
      const std::string run = Str(e, "run_id");
      if (!run.empty() && !runs.insert(run).second) continue;
      const std::string outcome = Str(e, "outcome");
      if (outcome == "interrupted") continue;
      s.feedback++;
      if (outcome == "success") s.success++;
      if (outcome == "error") s.failed++;
      if (outcome == "oom") s.oom++;
    } else if (type == "feedback") {
      s.feedback++;
      if (auto r = Num(e, "rating"); r && *r >= 1 && *r <= 5) s.ratings++, z.rating += *r;
      const std::string outcome = Str(e, "outcome");
      if (outcome == "success") s.success++;
      if (outcome == "failed") s.failed++;
      if (outcome == "oom") s.oom++;
    } else {
      // A rating counts once, through its feedback event; the "rated"
      // interaction the site also logs carries the same rating as a label.
      if (Str(e, "action") == "rated") continue;
      auto label = Num(e, "label");
      if (!label) {
        const double rating = internal::NumOr(e, "rating", 0);  // cast only in range (1e300 is undefined as int)
        label = LabelForInteraction(Str(e, "action"), rating >= 1 && rating <= 5 ? static_cast<int>(rating) : 0);
      }
      if (!label || *label < 0 || *label > 1) continue;
      s.interactions++;
      z.label += *label;
    }
  }
  for (auto& [name, s] : ev.strategies) {
    const Sums& z = sums[name];
    if (s.ratings > 0) s.mean_rating = z.rating / s.ratings;
    if (s.interactions > 0) s.mean_label = z.label / s.interactions;
    if (z.confidence_n > 0) s.mean_confidence = z.confidence / z.confidence_n;
    if (z.util_n > 0) s.mean_vram_utilization = z.util / z.util_n;
  }
  return ev;
}

}  // namespace ftconfig

FTCONFIG_OPTIMIZE_FOR_SIZE_END
