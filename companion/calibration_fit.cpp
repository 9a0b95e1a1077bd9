#include "calibration_fit.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <tuple>

#include "ftconfig/recommend.h"  // Engine::kFitFraction
#include "train_data.h"          // WeightedMedian

namespace ftconfig::cli {

namespace {

using Key = std::tuple<std::string, std::string, std::string>;  // family, framework, gpu_class

double Median(std::vector<double> v) {
  std::vector<std::pair<double, double>> vw;
  for (double x : v) vw.push_back({x, 1.0});
  return WeightedMedian(vw);
}

// The 95th percentile (nearest rank).
double P95(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(std::ceil(0.95 * v.size()));
  return v[std::min(v.size(), std::max<size_t>(i, 1)) - 1];
}

struct Group {
  std::vector<std::pair<double, bool>> memory;  // log ratio, censored
  std::vector<std::pair<double, std::string>> tps;  // log ratio, run id
  double Estimate() const { return CensoredMedian(memory); }
  int n() const { return static_cast<int>(memory.size()); }
};

double Shrink(const Group& g, double parent, double prior) {
  const double n = g.n();
  if (n == 0) return parent;
  return (n * g.Estimate() + prior * parent) / (n + prior);
}

double Guard(const Group& g) {
  std::vector<double> v;
  for (const auto& [x, censored] : g.memory) v.push_back(std::exp(x));
  return P95(v);
}

double ClampMemory(double log_scale) {
  return std::clamp(std::exp(log_scale), Calibration::kMinMemoryScale, Calibration::kMaxMemoryScale);
}

double MedianAbsError(const std::vector<double>& log_errors) {
  std::vector<double> a;
  for (double e : log_errors) a.push_back(std::fabs(std::exp(e) - 1));
  return a.empty() ? 0 : Median(a);
}

// A throughput scale for a group, served only when it beats the parent's
// scale on the group's held-out runs (fitted on the others).
std::optional<double> ThroughputScale(const Group& g, double parent_log, const CalibrationFitOptions& opt) {
  std::vector<double> train, held;
  for (const auto& [x, run] : g.tps) (HeldOut(run, opt.held_out_share) ? held : train).push_back(x);
  if (static_cast<int>(train.size()) < opt.min_runs || held.size() < 3) return std::nullopt;
  const double n = train.size();
  const double fitted = (n * Median(train) + opt.prior_runs * parent_log) / (n + opt.prior_runs);
  std::vector<double> err_own, err_parent;
  for (double x : held) {
    err_own.push_back(x - fitted);
    err_parent.push_back(x - parent_log);
  }
  if (!(MedianAbsError(err_own) < MedianAbsError(err_parent))) return std::nullopt;
  std::vector<double> all;
  for (const auto& p : g.tps) all.push_back(p.first);
  const double m = all.size();
  return std::clamp(std::exp((m * Median(all) + opt.prior_runs * parent_log) / (m + opt.prior_runs)),
                    Calibration::kMinThroughputScale, Calibration::kMaxThroughputScale);
}

json Entry(const std::string& family, const std::string& framework, const std::string& gpu_class, const Group& g,
           double log_scale, double guard, std::optional<double> tps) {
  int censored = 0;
  for (const auto& p : g.memory) censored += p.second ? 1 : 0;
  json e = {{"family", family}, {"framework", framework}, {"gpu_class", gpu_class},
            {"memory", {{"scale", Round4(ClampMemory(log_scale))}, {"runs", g.n()}, {"oom_runs", censored},
                        {"raw_median_ratio", g.n() ? json(Round4(std::exp(g.Estimate()))) : json(nullptr)}}}};
  if (guard > 0) e["memory"]["guard"] = Round4(std::min(3.0, guard));
  if (tps) e["throughput"] = {{"scale", Round4(*tps)}, {"runs", g.tps.size()}};
  return e;
}

}  // namespace

bool HeldOut(const std::string& run_id, double share) {
  std::uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : run_id) h = (h ^ c) * 16777619u;
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  return (h % 10000) < share * 10000;
}

std::vector<CalibrationObservation> ObservationsOf(const std::vector<MeasuredRun>& runs) {
  std::vector<CalibrationObservation> out;
  for (const auto& r : runs) {
    if (r.outcome != "success" && r.outcome != "oom") continue;
    if (!r.uncalibrated_gb || !r.measured_gb || !(*r.uncalibrated_gb > 0) || !(*r.measured_gb > 0)) continue;
    CalibrationObservation o;
    o.context = r.context;
    o.run_id = r.run_id;
    o.log_ratio = std::log(*r.measured_gb / *r.uncalibrated_gb);
    o.censored = r.outcome == "oom";
    if (r.outcome == "success" && r.measured_tps && r.uncalibrated_tps && *r.uncalibrated_tps > 0)
      o.log_tps_ratio = std::log(*r.measured_tps / *r.uncalibrated_tps);
    out.push_back(o);
  }
  return out;
}

double CensoredMedian(const std::vector<std::pair<double, bool>>& vc) {
  if (vc.empty()) return 0;
  std::vector<std::pair<double, bool>> v = vc;
  // Exact values before censored ones at a tie (a lower bound at x is above x).
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : (!a.second && b.second);
  });
  double survival = 1;
  size_t at_risk = v.size();
  double largest_bound = -1e300;
  for (const auto& [x, censored] : v) {
    if (censored) {
      largest_bound = std::max(largest_bound, x);
    } else {
      survival *= 1.0 - 1.0 / static_cast<double>(at_risk);
      if (survival <= 0.5) return x;
    }
    --at_risk;
  }
  return largest_bound;  // the median lies above every exact value: the best lower bound we have
}

json FitCalibration(const std::vector<CalibrationObservation>& obs, const CalibrationFitOptions& opt) {
  Group all;
  std::map<std::string, Group> families;
  std::map<Key, Group> contexts;
  for (const auto& o : obs) {
    const Key k{o.context.family, o.context.framework, o.context.gpu_class};
    for (Group* g : {&all, &families[o.context.family], &contexts[k]}) {
      g->memory.push_back({o.log_ratio, o.censored});
      if (o.log_tps_ratio) g->tps.push_back({*o.log_tps_ratio, o.run_id});
    }
  }
  if (all.n() < opt.min_runs) return nullptr;
  const double global = all.Estimate();
  json j = {{"artifact", "ftconfig.calibration"}, {"format_version", 2}, {"version", opt.version}};
  int censored = 0;
  for (const auto& p : all.memory) censored += p.second ? 1 : 0;
  j["memory"] = {{"scale", Round4(ClampMemory(global))}, {"runs", all.n()}, {"oom_runs", censored},
                 {"prior_runs", opt.prior_runs}, {"guard_factor", Calibration::kGuardFactor}};
  double global_tps = 0;
  if (static_cast<int>(all.tps.size()) >= opt.min_runs) {
    std::vector<double> t;
    for (const auto& p : all.tps) t.push_back(p.first);
    global_tps = Median(t);
    j["throughput"] = {{"scale", Round4(std::clamp(std::exp(global_tps), Calibration::kMinThroughputScale,
                                                   Calibration::kMaxThroughputScale))},
                       {"runs", all.tps.size()}};
  }
  json entries = json::array();
  std::map<std::string, std::pair<double, double>> family_fit;  // log scale, guard
  for (const auto& [family, g] : families) {
    const double s = Shrink(g, global, opt.prior_runs);
    const double guard = g.n() >= opt.min_guard_runs ? std::max(Guard(g), ClampMemory(s)) : 0;
    family_fit[family] = {s, guard};
    entries.push_back(Entry(family, "*", "*", g, s, guard, ThroughputScale(g, global_tps, opt)));
  }
  for (const auto& [key, g] : contexts) {
    const auto& [family, framework, gpu_class] = key;
    const auto [parent, parent_guard] = family_fit[family];
    const double s = Shrink(g, parent, opt.prior_runs);
    const double guard = g.n() >= opt.min_guard_runs ? std::max(Guard(g), ClampMemory(s)) : parent_guard;
    entries.push_back(Entry(family, framework, gpu_class, g, s, guard, ThroughputScale(g, global_tps, opt)));
  }
  j["contexts"] = entries;
  return j;
}

json CalibrationScore::ToJson() const {
  return {{"runs", runs},
          {"successes", successes},
          {"ooms", ooms},
          {"missed_ooms", missed_ooms},
          {"median_abs_error", Round4(median_abs_error)},
          {"median_error", Round4(median_error)},
          {"missed_oom_rate", Round4(missed_oom_rate)}};
}

CalibrationScore ScoreCalibration(const Calibration& cal, const std::vector<const MeasuredRun*>& runs) {
  CalibrationScore s;
  std::vector<double> abs_err, err;
  for (const MeasuredRun* r : runs) {
    if (r->outcome != "success" && r->outcome != "oom") continue;
    if (!r->uncalibrated_gb || !r->measured_gb || !(*r->measured_gb > 0)) continue;
    const Calibration c = cal.ForContext(r->context);
    const double est = *r->uncalibrated_gb * c.memory_scale;
    ++s.runs;
    const bool oom = r->outcome == "oom" || (r->gpu_usable_gb > 0 && *r->measured_gb > r->gpu_usable_gb);
    if (oom) {
      ++s.ooms;
      if (r->gpu_usable_gb > 0 && est <= r->gpu_usable_gb * Engine::kFitFraction) ++s.missed_ooms;
      continue;
    }
    ++s.successes;
    err.push_back(est / *r->measured_gb - 1);
    abs_err.push_back(std::fabs(err.back()));
  }
  s.median_abs_error = abs_err.empty() ? 0 : Median(abs_err);
  s.median_error = err.empty() ? 0 : Median(err);
  s.missed_oom_rate = s.runs ? static_cast<double>(s.missed_ooms) / s.runs : 0;
  return s;
}

json CalibrationGates(const CalibrationScore& cand, const CalibrationScore& base) {
  auto pct = [](double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.1f%%", v * 100);
    return std::string(b);
  };
  json gates = json::array();
  const bool enough = cand.runs >= 5;
  gates.push_back({{"name", "calibration: held-out runs"},
                   {"passed", enough},
                   {"detail", std::to_string(cand.runs) + " held-out runs (at least 5)"}});
  const bool err_ok = cand.median_abs_error < base.median_abs_error ||
                      (cand.median_abs_error <= 0.03 && base.median_abs_error <= 0.03);
  gates.push_back({{"name", "calibration: held-out memory error"},
                   {"passed", enough && err_ok},
                   {"detail", "median |error| " + pct(cand.median_abs_error) + " vs " + pct(base.median_abs_error) +
                                  " (must be lower, or both within 3%)"}});
  gates.push_back({{"name", "calibration: held-out OOM rate"},
                   {"passed", enough && cand.missed_oom_rate <= base.missed_oom_rate},
                   {"detail", "missed OOMs " + pct(cand.missed_oom_rate) + " vs " + pct(base.missed_oom_rate) +
                                  " (must not be higher)"}});
  return gates;
}

CalibrationCandidate TrainCalibration(const std::vector<MeasuredRun>& runs, const Calibration& production,
                                      const CalibrationFitOptions& opt) {
  std::vector<MeasuredRun> fit;
  std::vector<const MeasuredRun*> held;
  for (const auto& r : runs) {
    if (HeldOut(r.run_id, opt.held_out_share)) held.push_back(&r);
    else fit.push_back(r);
  }
  CalibrationCandidate c;
  c.artifact = FitCalibration(ObservationsOf(fit), opt);
  c.scores = {{"fit_runs", fit.size()}, {"held_out_runs", held.size()}};
  if (c.artifact.is_null()) {
    c.gates.push_back({{"name", "calibration: enough runs"},
                       {"passed", false},
                       {"detail", "fewer than " + std::to_string(opt.min_runs) + " measured runs to fit on"}});
    return c;
  }
  auto loaded = Calibration::Load(c.artifact.dump());
  if (!loaded.ok()) {  // a bug, not bad input: the fit writes what Load reads
    c.gates.push_back({{"name", "calibration: artifact"}, {"passed", false}, {"detail", loaded.error().message}});
    return c;
  }
  const CalibrationScore cand = ScoreCalibration(loaded.value(), held);
  const CalibrationScore base = ScoreCalibration(production, held);
  c.scores["held_out"] = {{"candidate", cand.ToJson()}, {"production", base.ToJson()}};
  c.gates = CalibrationGates(cand, base);
  c.passed = true;
  for (const auto& g : c.gates) c.passed = c.passed && g["passed"].get<bool>();
  c.artifact["held_out"] = c.scores["held_out"];
  return c;
}

}  // namespace ftconfig::cli
