// RunRealism: the leave-one-source-out loop and the aggregation of its answers
// into the metrics of docs/realism.md.
#include <algorithm>
#include <cmath>
#include <set>

#include "realism.h"

namespace ftconfig::cli {

namespace {

double Round4(double v) { return std::round(v * 1e4) / 1e4; }

const std::vector<std::string>& Baselines() {
  static const std::vector<std::string> b = {"adapter_constant", "unsloth", "llamafactory_webui"};
  return b;
}

// Agreement counts of one cell, per configuration and per source repository.
struct Tally {
  int n = 0, agree = 0;
  std::map<std::string, std::pair<int, int>> by_source;  // repo -> (agree, n)
  void Add(bool ok, const std::string& source) {
    ++n, agree += ok;
    auto& s = by_source[source];
    s.first += ok, s.second += 1;
  }
  json ToJson() const {
    if (n == 0) return {{"n", 0}};
    double macro = 0;
    for (const auto& [src, s] : by_source) macro += double(s.first) / s.second;
    return {{"share", Round4(double(agree) / n)},
            {"n", n},
            {"macro", Round4(macro / by_source.size())},
            {"sources", by_source.size()}};
  }
};

// One answer to one held-out configuration.
struct Run {
  size_t record;
  int fold;
  std::string answerer;
  RealismAnswer answer;
  // A "does not fit" answer as a user follows it: the engine asked again
  // with its first option's request_patch (FollowFirstOption).
  std::optional<RealismAnswer> followed = std::nullopt;
  bool errored = false;
  json detail = json();  // engine answers: what set the values (for the runs file)
};

// What the response says set its values, for error analysis.
json DetailOf(const json& resp) {
  const json& hp = resp.value("hyperparameters", json::object());
  const json& why = resp.value("why", json::object());
  return {{"strategy_used", resp.value("strategy", json::object()).value("used", "")},
          {"adapter_served", hp.value("adapter_type", "")},
          {"lora_target", hp.value("lora_target", json())},
          {"optimizer", hp.value("optimizer", json())},
          {"why_learning_rate", why.value("learning_rate", "")},
          {"why_max_seq_length", why.value("max_seq_length", "")},
          {"clamps", resp.value("diagnostics", json::object()).value("clamps", json::array()).size()},
          {"confidence_features", resp.value("confidence", json::object()).value("features", json())}};
}

struct FoldContext {
  const TrainingSet& ts;
  const RealismOptions& opt;
  std::vector<Run>* runs;
  int* skipped;
  std::vector<std::string>* errors;
  std::vector<int> gpu_counts;  // RequestGpuCount per record
};

// Refuses an engine that holds a row of the repository it is asked about.
std::optional<std::string> LeakCheck(const Engine& engine, const std::string& held_out) {
  for (const auto& r : engine.corpus().records())
    if (r.source_repo == held_out) return "the engine for held-out " + held_out + " holds its row " + r.id;
  return std::nullopt;
}

// The engine's answer once its first "does not fit" option is taken (the
// smallest GPU that fits, as the page's first button offers); empty when it
// gives none or that does not fit either.
std::optional<RealismAnswer> FollowFirstOption(const Engine& engine, json req, const json& resp) {
  const json& options = resp.value("does_not_fit", json::object()).value("options", json::array());
  if (!options.is_array() || options.empty() || !options[0].contains("request_patch")) return std::nullopt;
  for (const auto& [k, v] : options[0]["request_patch"].items()) {
    if (v.is_null()) req.erase(k);
    else req[k] = v;
  }
  auto again = engine.Recommend(req.dump());
  if (!again.ok()) return std::nullopt;
  RealismAnswer a = AnswerFromResponse(again.value());
  if (!a.fits) return std::nullopt;
  return a;
}

void AnswerRecord(const FoldContext& c, const Engine& engine, const AdapterConstants& constants, size_t i, int fold) {
  const ConfigRecord& r = c.ts.corpus.records()[i];
  for (const auto& s : c.opt.strategies) {
    auto req = UserRequest(r, c.ts.catalog, *c.ts.query_gpu[i], c.gpu_counts[i], s);
    if (!req) {
      ++*c.skipped;
      return;
    }
    auto resp = engine.Recommend(req->dump());
    Run run{i, fold, s, RealismAnswer::Refusal()};
    if (resp.ok()) {
      run.answer = AnswerFromResponse(resp.value());
      run.detail = DetailOf(resp.value());
      if (!run.answer.fits) run.followed = FollowFirstOption(engine, *req, resp.value());
    } else {
      run.errored = true;
      if (c.errors->size() < 20) c.errors->push_back(r.id + " / " + s + ": " + resp.error().message);
    }
    c.runs->push_back(std::move(run));
  }
  c.runs->push_back({i, fold, "adapter_constant", constants.For(r)});
  c.runs->push_back({i, fold, "unsloth", UnslothAnswer(r)});
  c.runs->push_back({i, fold, "llamafactory_webui", LlamaFactoryWebUiAnswer(r)});
}

json OptNum(const std::optional<double>& v) { return v ? json(*v) : json(); }

void WriteRun(std::ostream& out, const TrainingSet& ts, const Run& run) {
  const ConfigRecord& r = ts.corpus.records()[run.record];
  const RealismAnswer& a = run.answer;
  json fields = json::object();
  for (const auto& f : RealismFields())
    if (auto ok = FieldAgrees(f.name, r, a)) fields[f.name] = *ok;
  json row = {{"id", r.id}, {"repo", r.source_repo}, {"fold", run.fold}, {"answerer", run.answerer},
              {"gpu", ts.query_gpu[run.record]->id}, {"fits", a.fits}, {"followed", run.followed.has_value()}, {"error", run.errored},
              {"lr", OptNum(a.learning_rate)}, {"lr_true", r.learning_rate},
              {"seq", OptNum(a.max_seq_length)},
              {"seq_true", r.max_seq_length ? json(*r.max_seq_length) : json()},
              {"lora_r", OptNum(a.lora_r)}, {"lora_r_true", r.lora_r ? json(*r.lora_r) : json()},
              {"lora_alpha", OptNum(a.lora_alpha)}, {"lora_alpha_true", r.lora_alpha ? json(*r.lora_alpha) : json()},
              {"target_class", a.target_class}, {"target_class_true", TargetClass(r.lora_target)},
              {"confidence", OptNum(a.confidence_score)}, {"level", a.confidence_level}, {"agrees", fields}};
  if (!run.detail.is_null()) row["engine"] = run.detail;
  out << row.dump() << "\n";
}

// ---- aggregation ---------------------------------------------------------

struct Aggregates {
  std::map<std::string, std::map<std::string, Tally>> fields;  // answerer -> field, "does not fit" followed
  std::map<std::string, std::map<std::string, Tally>> strict;  // answerer -> field, "does not fit" scores nothing
  // dimension -> value -> answerer -> headline field
  std::map<std::string, std::map<std::string, std::map<std::string, std::map<std::string, Tally>>>> breakdown;
  std::map<std::string, Tally> shorter, refused;                  // over-conservatism, per answerer
  std::map<std::string, std::vector<std::pair<double, bool>>> scored;  // strategy -> (score, agreement)
  std::map<std::string, std::map<std::string, Tally>> by_level;        // strategy -> level
};

void AddRun(const TrainingSet& ts, const Run& run, const std::vector<bool>& own_fits, bool engine_answer,
            Aggregates* g) {
  const ConfigRecord& r = ts.corpus.records()[run.record];
  const RealismAnswer& a = run.answer;
  const std::map<std::string, std::string> dims = {
      {"task_family", TaskFamily(r.task_type)}, {"adapter", r.adapter_type}, {"size", r.size_bucket}};
  for (const auto& f : RealismFields()) {
    auto strict = FieldAgrees(f.name, r, a);
    if (!strict) continue;
    g->strict[run.answerer][f.name].Add(*strict, r.source_repo);
    auto ok = run.followed ? FieldAgrees(f.name, r, *run.followed) : strict;
    g->fields[run.answerer][f.name].Add(ok.value_or(false), r.source_repo);
    if (f.headline)
      for (const auto& [dim, value] : dims) g->breakdown[dim][value][run.answerer][f.name].Add(*ok, r.source_repo);
  }
  if (own_fits[run.record]) {
    if (engine_answer) g->refused[run.answerer].Add(!a.fits, r.source_repo);
    if (a.fits && a.max_seq_length && r.max_seq_length)
      g->shorter[run.answerer].Add(*a.max_seq_length * 2 < *r.max_seq_length, r.source_repo);
  }
  if (a.fits && a.confidence_score) {
    const bool agree = Agreement(r, a);
    g->scored[run.answerer].push_back({*a.confidence_score, agree});
    g->by_level[run.answerer][a.confidence_level.empty() ? "?" : a.confidence_level].Add(agree, r.source_repo);
  }
}

json CalibrationJson(const std::vector<std::pair<double, bool>>& scored, const std::map<std::string, Tally>& levels) {
  json bins = json::array();
  for (int b = 0; b < 5; ++b) {
    const double lo = b * 0.2, hi = lo + 0.2;
    Tally t;
    for (const auto& [s, y] : scored)
      if (s >= lo - 1e-12 && (s < hi - 1e-12 || (b == 4 && s <= 1 + 1e-12))) t.Add(y, "all");
    bins.push_back({{"lo", Round4(lo)}, {"hi", Round4(hi)}, {"n", t.n},
                    {"agreement", t.n ? json(Round4(double(t.agree) / t.n)) : json()}});
  }
  json lv = json::object();
  for (const auto& [level, t] : levels) lv[level] = t.ToJson();
  auto auc = Auc(scored);
  int agree = 0;
  for (const auto& p : scored) agree += p.second;
  return {{"auc", auc ? json(Round4(*auc)) : json()},
          {"n", scored.size()},
          {"agreement", scored.empty() ? json() : json(Round4(double(agree) / scored.size()))},
          {"bins", bins},
          {"levels", lv}};
}

json MetricsJson(const Aggregates& g, const std::vector<std::string>& answerers) {
  json M = json::object();
  json results = json::object();
  for (const auto& who : answerers) {
    json per = json::object();
    for (const auto& f : RealismFields()) {
      auto it = g.fields.find(who);
      per[f.name] = it != g.fields.end() && it->second.count(f.name) ? it->second.at(f.name).ToJson() : json{{"n", 0}};
    }
    results[who] = per;
  }
  M["results"] = results;
  json strict = json::object();
  for (const auto& [who, per] : g.strict) {
    if (!g.fields.count(who)) continue;
    for (const auto& [field, t] : per) strict[who][field] = t.ToJson();
  }
  M["results_strict"] = strict;
  json bd = json::object();
  for (const auto& [dim, values] : g.breakdown)
    for (const auto& [value, whos] : values)
      for (const auto& [who, fields] : whos)
        for (const auto& [field, t] : fields) bd[dim][value][who][field] = t.ToJson();
  M["breakdowns"] = bd;
  json oc = json::object();
  for (const auto& who : answerers) {
    oc[who] = {{"shorter_than_half", g.shorter.count(who) ? g.shorter.at(who).ToJson() : json{{"n", 0}}},
               {"refused", g.refused.count(who) ? g.refused.at(who).ToJson() : json{{"n", 0}}}};
  }
  M["over_conservatism"] = oc;
  json cal = json::object();
  for (const auto& [who, scored] : g.scored) cal[who] = CalibrationJson(scored, g.by_level.at(who));
  M["calibration"] = cal;
  return M;
}

int NodeRequests(const std::vector<ConfigRecord>& recs, const std::vector<int>& counts) {
  int n = 0;
  for (size_t i = 0; i < recs.size(); ++i) n += recs[i].num_gpus <= 1 && counts[i] > 1;
  return n;
}

}  // namespace

json RunRealism(const TrainingSet& ts, const EngineFactory& make_engine, const RealismOptions& opt,
                const Progress& progress) {
  const auto& recs = ts.corpus.records();
  std::vector<Run> runs;
  int skipped = 0;
  std::vector<std::string> errors, fold_errors;
  FoldContext ctx{ts, opt, &runs, &skipped, &errors, {}};
  for (size_t i = 0; i < recs.size(); ++i)
    ctx.gpu_counts.push_back(RequestGpuCount(recs[i], ts.query_arch[i], *ts.query_gpu[i], ts.gpu_source[i]));
  for (size_t k = 0; k < ts.repos.size(); ++k) {
    const std::string& held_out = ts.repos[k];
    progress("realism: fold " + std::to_string(k + 1) + "/" + std::to_string(ts.repos.size()) + ": " + held_out +
             " held out");
    auto engine = make_engine(FilterSources(ts.sources, {held_out}), held_out);
    std::optional<std::string> problem;
    if (!engine.ok()) problem = held_out + ": " + engine.error().message;
    else problem = LeakCheck(*engine.value(), held_out);
    if (problem) {
      fold_errors.push_back(*problem);
      continue;
    }
    const int fold = static_cast<int>(k);
    auto constants = AdapterConstants::Fit(recs, [&](size_t i) { return ts.repo_of[i] != fold; });
    for (size_t i = 0; i < recs.size(); ++i)
      if (ts.repo_of[i] == fold) AnswerRecord(ctx, *engine.value(), constants, i, fold);
  }
  // Does the practitioner's own configuration fit the requested GPU by the engine's estimate?
  std::vector<bool> own_fits(recs.size());
  for (size_t i = 0; i < recs.size(); ++i)
    own_fits[i] = ConfigHeadroom(recs[i], ts.query_arch[i], *ts.query_gpu[i], std::max(1, recs[i].num_gpus),
                                 recs[i].task_type, recs[i].adapter_type) >= 0;
  Aggregates agg;
  const std::set<std::string> engine_answerers(opt.strategies.begin(), opt.strategies.end());
  for (const auto& run : runs) {
    AddRun(ts, run, own_fits, engine_answerers.count(run.answerer) > 0, &agg);
    if (opt.runs) WriteRun(*opt.runs, ts, run);
  }
  std::vector<std::string> answerers = opt.strategies;
  answerers.insert(answerers.end(), Baselines().begin(), Baselines().end());
  json M = MetricsJson(agg, answerers);
  for (const auto& b : Baselines()) M["results_strict"].erase(b);  // they never refuse
  std::map<std::string, int> gpu_source;
  for (const auto& s : ts.gpu_source) ++gpu_source[s];
  int fits = static_cast<int>(std::count(own_fits.begin(), own_fits.end(), true));
  json fields = json::object();
  for (const auto& f : RealismFields()) fields[f.name] = {{"label", f.label}, {"headline", f.headline}};
  M["corpus"] = {{"records", recs.size()}, {"repositories", ts.repos.size()}, {"sha256", ts.corpus_sha256},
                 {"gpu_source", gpu_source}, {"own_config_fits", fits},
                 {"node_requests", NodeRequests(recs, ctx.gpu_counts)}};
  M["served_strategy"] = opt.strategies.empty() ? "" : opt.strategies.front();
  M["strategies"] = opt.strategies;
  M["baselines"] = Baselines();
  M["fields"] = fields;
  M["skipped_no_model_size"] = skipped;
  M["engine_errors"] = errors;
  M["fold_errors"] = fold_errors;
  Gate gate = RealismGate(M);
  M["gate"] = {{"name", gate.name}, {"passed", gate.passed}, {"detail", gate.detail}};
  return M;
}

Gate RealismGate(const json& M) {
  Gate g{"realism: served strategy not worse than the best baseline on any headline field", "", true};
  const std::string served = M.value("served_strategy", "");
  if (served.empty() || !M.contains("results") || !M["results"].contains(served)) {
    g.passed = false;
    g.detail = "no results for the served strategy";
    return g;
  }
  const json& res = M["results"];
  // The share of one cell; empty when the cell is missing or has no configuration.
  auto share = [&](const std::string& who, const char* field) -> std::optional<double> {
    if (!res.contains(who) || !res[who].contains(field) || !res[who][field].contains("share")) return std::nullopt;
    return res[who][field]["share"].get<double>();
  };
  for (const auto& f : RealismFields()) {
    if (!f.headline) continue;
    auto v = share(served, f.name);
    if (!v) continue;
    std::string best_name;
    double best = -1;
    for (const auto& b : Baselines())
      if (auto s = share(b, f.name); s && *s > best) best = *s, best_name = b;
    const bool ok = *v + 1e-9 >= best;
    g.passed = g.passed && ok;
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s%s %.3f vs %s %.3f (n %d)%s", g.detail.empty() ? "" : "; ", f.name, *v,
                  best_name.c_str(), best, res[served][f.name].value("n", 0), ok ? "" : " WORSE");
    g.detail += buf;
  }
  return g;
}

}  // namespace ftconfig::cli
