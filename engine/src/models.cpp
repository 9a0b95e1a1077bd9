// Reranker and HpPredictor: loading, saving and evaluating trained artifacts.
// No XGBoost and no linear-algebra library here: the engine evaluates the
// learned state itself so the same code runs natively and in WASM. Training
// lives in the companion (companion/train_*.cpp). Layouts: docs/ranking.md.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <set>

#include "ftconfig/ranking.h"
#include "json_util.h"
#include "models_internal.h"
#include "outline.h"

// Runs once per engine or once per answer: optimized for size in WebAssembly (outline.h).
FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN

namespace ftconfig {

namespace internal {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Error DataError(const std::string& field, const std::string& message) {
  return Error{ErrorCode::kDataError, field, message};
}

std::string Index(const std::string& base, size_t i) { return base + "[" + std::to_string(i) + "]"; }

// The shortest decimal (6..9 significant digits) that reads back as `f`, as a
// double, so artifacts carry "0.1" rather than 0.10000000149011612.
double ShortestForFloat(float f) {
  if (!std::isfinite(f)) return static_cast<double>(f);
  char buf[32];
  for (int p = 6; p <= 9; ++p) {
    std::snprintf(buf, sizeof buf, "%.*g", p, static_cast<double>(f));
    double d = std::strtod(buf, nullptr);
    if (static_cast<float>(d) == f) return d;
  }
  return static_cast<double>(f);
}

FTCONFIG_NOINLINE bool ReadNumberArray(const json& j, const char* key, std::vector<double>* out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return false;
  out->clear();
  out->reserve(it->size());
  for (const auto& v : *it) {
    double d;
    if (!ParseLooseNumber(v, &d)) return false;
    out->push_back(d);
  }
  return true;
}

FTCONFIG_NOINLINE bool ReadIntArray(const json& j, const char* key, std::vector<int32_t>* out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return false;
  out->clear();
  out->reserve(it->size());
  for (const auto& v : *it) {
    double d;
    if (!ParseLooseNumber(v, &d) || d != std::floor(d) || d < -2147483648.0 || d > 2147483647.0) return false;
    out->push_back(static_cast<int32_t>(d));
  }
  return true;
}

// A tree's errors, built out of line, only when they happen (outline.h):
// field `where.key`, message "what: where<tail>".
FTCONFIG_COLD Error TreeError(const std::string& where, const std::string& what, const char* key,
                              const std::string& tail) {
  return DataError(where + "." + key, what + ": " + where + tail);
}
FTCONFIG_COLD Error TreeArrayError(const std::string& where, const std::string& what, const char* key,
                                   const char* expected) {
  return TreeError(where, what, key, std::string(".") + key + " " + expected);
}
FTCONFIG_COLD Error TreeSizeError(const std::string& where, const std::string& what, const char* key, size_t got,
                                  size_t n) {
  return TreeError(where, what, key, std::string(".") + key + " has " + std::to_string(got) + " entries, expected " +
                                         std::to_string(n) + " (one per node)");
}
FTCONFIG_COLD Error DefaultLeftError(const std::string& where, const std::string& what, size_t n) {
  using namespace xgb_keys;
  return TreeError(where, what, kDefaultLeft,
                   std::string(".") + kDefaultLeft + " must be an array of " + std::to_string(n) + " booleans or 0/1");
}
enum class NodeProblem { kReachedTwice, kNonFiniteLeaf, kChildOutside, kFeatureOutside };
FTCONFIG_COLD Error NodeError(const std::string& where, const std::string& what, NodeProblem problem, int32_t k,
                              int32_t split, size_t last) {
  using namespace xgb_keys;
  const std::string node = std::to_string(k);
  switch (problem) {
    case NodeProblem::kReachedTwice:
      return TreeError(where, what, kLeft, " is not a tree (node " + node + " is reached twice)");
    case NodeProblem::kNonFiniteLeaf:
      return TreeError(where, what, kSplitCond, " leaf " + node + " has a non-finite value");
    case NodeProblem::kChildOutside:
      return TreeError(where, what, kLeft,
                       " node " + node + " has a child outside 1.." + std::to_string(last) + " (or only one child)");
    case NodeProblem::kFeatureOutside:
      break;
  }
  return TreeError(where, what, kSplitIndex,
                   " node " + node + " splits on feature " + std::to_string(split) + ", expected 0.." + std::to_string(last));
}

FTCONFIG_NOINLINE Result<TreeArrays> ParseTree(const json& t, size_t num_features, const std::string& where,
                                               const std::string& what) {
  using namespace xgb_keys;
  if (!t.is_object()) return DataError(where, what + ": " + where + " must be an object");
  TreeArrays tree;
  std::vector<double> cond;
  if (!ReadIntArray(t, kLeft, &tree.left)) return TreeArrayError(where, what, kLeft, "must be an array of integers");
  if (!ReadIntArray(t, kRight, &tree.right)) return TreeArrayError(where, what, kRight, "must be an array of integers");
  if (!ReadIntArray(t, kSplitIndex, &tree.split))
    return TreeArrayError(where, what, kSplitIndex, "must be an array of integers");
  if (!ReadNumberArray(t, kSplitCond, &cond)) return TreeArrayError(where, what, kSplitCond, "must be an array of numbers");
  const size_t n = tree.left.size();
  if (n == 0) return TreeArrayError(where, what, kLeft, "is empty");
  if (tree.right.size() != n) return TreeSizeError(where, what, kRight, tree.right.size(), n);
  if (tree.split.size() != n) return TreeSizeError(where, what, kSplitIndex, tree.split.size(), n);
  if (cond.size() != n) return TreeSizeError(where, what, kSplitCond, cond.size(), n);
  tree.cond.resize(n);
  for (size_t i = 0; i < n; ++i) tree.cond[i] = static_cast<float>(cond[i]);
  tree.default_left.assign(n, 0);
  auto dl = t.find(kDefaultLeft);
  if (dl != t.end() && !dl->is_null()) {
    if (!dl->is_array() || dl->size() != n) return DefaultLeftError(where, what, n);
    for (size_t i = 0; i < n; ++i) {
      const json& v = (*dl)[i];
      if (v.is_boolean()) {
        tree.default_left[i] = v.get<bool>() ? 1 : 0;
      } else if (v.is_number()) {
        tree.default_left[i] = v.get<double>() != 0 ? 1 : 0;
      } else {
        return DefaultLeftError(where, what, n);
      }
    }
  }
  auto st = t.find("split_type");
  if (st != t.end() && st->is_array())
    for (const auto& v : *st)
      if (v.is_number() && v.get<double>() != 0)
        return DataError(where + ".split_type", what + ": " + where + " uses categorical splits, which are not supported");
  // Structure: every node is a leaf (both children -1) or has two children in
  // range; each node is reached once from the root (no cycles, no sharing).
  std::vector<uint8_t> seen(n, 0);
  std::vector<int32_t> stack = {0};
  while (!stack.empty()) {
    int32_t k = stack.back();
    stack.pop_back();
    if (seen[k]) return NodeError(where, what, NodeProblem::kReachedTwice, k, 0, 0);
    seen[k] = 1;
    int32_t l = tree.left[k], r = tree.right[k];
    if (l == -1 && r == -1) {
      if (!std::isfinite(tree.cond[k])) return NodeError(where, what, NodeProblem::kNonFiniteLeaf, k, 0, 0);
      continue;
    }
    auto in_range = [&](int32_t c) { return c > 0 && static_cast<size_t>(c) < n; };
    if (!in_range(l) || !in_range(r))
      return NodeError(where, what, NodeProblem::kChildOutside, k, 0, n - 1);
    if (tree.split[k] < 0 || static_cast<size_t>(tree.split[k]) >= num_features)
      return NodeError(where, what, NodeProblem::kFeatureOutside, k, tree.split[k], num_features - 1);
    stack.push_back(r);
    stack.push_back(l);
  }
  return tree;
}

// Appends trees[i] to *out, or sets *error (a loop body kept small: outline.h).
FTCONFIG_NOINLINE bool AppendTree(const json& t, size_t num_features, const std::string& where, size_t i,
                                  const std::string& what, std::vector<TreeArrays>* out, Error* error) {
  auto tree = ParseTree(t, num_features, Index(where, i), what);
  if (!tree.ok()) {
    *error = tree.error();
    return false;
  }
  out->push_back(std::move(tree).value());
  return true;
}

Result<ScoringModel> ParseTrees(const json& trees, size_t num_features, const std::string& where,
                                const std::string& what, ScoringModel m) {
  if (!trees.is_array()) return DataError(where, what + ": " + where + " must be an array of trees");
  m.trees.reserve(trees.size());
  Error error;
  for (size_t i = 0; i < trees.size(); ++i)
    if (!AppendTree(trees[i], num_features, where, i, what, &m.trees, &error)) return error;
  return m;
}

// XGBoost's own saved JSON document (XGBoosterSaveModel to *.json, 1.x/2.x):
// learner.learner_model_param.base_score, learner.objective.name,
// learner.gradient_booster.model.trees (gbtree) or
// learner.gradient_booster.gbtree.model.trees + weight_drop (dart).
Result<ScoringModel> ParseXgboostDocument(const json& doc, size_t num_features, const std::string& where,
                                          const std::string& what) {
  const std::string field = where + ".xgboost";
  const json* learner = Find(doc, "learner");
  if (!learner || !learner->is_object())
    return DataError(field + ".learner", what + ": " + field + " has no learner object (not an XGBoost JSON model)");
  ScoringModel m;
  m.kind = ScoringModel::Kind::kTrees;
  m.num_features = num_features;
  m.base_score = 0.5;  // XGBoost 1.x default when absent
  if (const json* p = Find(*learner, "learner_model_param")) {
    if (const json* b = Find(*p, "base_score")) {
      if (!ParseLooseNumber(*b, &m.base_score))
        return DataError(field + ".learner.learner_model_param.base_score",
                         what + ": " + field + ".learner.learner_model_param.base_score is not a number");
    }
    double num_class = 0, num_target = 1;
    if (const json* c = Find(*p, "num_class")) ParseLooseNumber(*c, &num_class);
    if (const json* c = Find(*p, "num_target")) ParseLooseNumber(*c, &num_target);
    if (num_class > 1 || num_target > 1)
      return DataError(field + ".learner.learner_model_param",
                       what + ": " + field + " has more than one output; only single-output models are supported");
  }
  if (const json* o = Find(*learner, "objective")) {
    if (const json* name = Find(*o, "name"); name && name->is_string()) m.objective = name->get<std::string>();
  }
  const json* gb = Find(*learner, "gradient_booster");
  if (!gb || !gb->is_object())
    return DataError(field + ".learner.gradient_booster", what + ": " + field + " has no learner.gradient_booster");
  std::string booster = gb->value("name", std::string("gbtree"));
  const json* model = nullptr;
  std::vector<double> weight_drop;
  if (booster == "gbtree") {
    model = Find(*gb, "model");
  } else if (booster == "dart") {
    if (const json* inner = Find(*gb, "gbtree")) model = Find(*inner, "model");
    ReadNumberArray(*gb, "weight_drop", &weight_drop);
  } else {
    return DataError(field + ".learner.gradient_booster.name",
                     what + ": " + field + " booster \"" + booster + "\" is not supported (gbtree or dart)");
  }
  if (!model || !model->is_object() || !Find(*model, "trees"))
    return DataError(field + ".learner.gradient_booster.model.trees",
                     what + ": " + field + " has no gradient_booster.model.trees");
  FTCONFIG_ASSIGN_OR_RETURN(parsed, ParseTrees((*model)["trees"], num_features,
                                               field + ".learner.gradient_booster.model.trees", what, std::move(m)));
  if (!weight_drop.empty()) {
    if (weight_drop.size() != parsed.trees.size())
      return DataError(field + ".learner.gradient_booster.weight_drop",
                       what + ": " + field + " weight_drop has " + std::to_string(weight_drop.size()) +
                           " entries, expected one per tree");
    for (size_t i = 0; i < parsed.trees.size(); ++i)
      for (size_t k = 0; k < parsed.trees[i].cond.size(); ++k)
        if (parsed.trees[i].left[k] == -1)
          parsed.trees[i].cond[k] = static_cast<float>(parsed.trees[i].cond[k] * weight_drop[i]);
  }
  return parsed;
}

}  // namespace

FTCONFIG_NOINLINE bool ParseLooseNumber(const json& j, double* out) {
  if (j.is_number()) {
    *out = j.get<double>();
    return std::isfinite(*out);
  }
  if (j.is_string()) {
    std::string s = j.get<std::string>();
    if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
    if (s.empty()) return false;
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (end == s.c_str() || *end != '\0' || !std::isfinite(d)) return false;
    *out = d;
    return true;
  }
  if (j.is_array() && j.size() == 1) return ParseLooseNumber(j[0], out);
  return false;
}

double ScoringModel::Eval(const std::vector<double>& x) const {
  if (kind == Kind::kLinear) {
    double s = bias;
    for (size_t i = 0; i < weights.size() && i < x.size(); ++i) {
      if (std::isnan(x[i])) continue;  // missing: at the mean, contributes 0
      s += weights[i] * (x[i] - mean[i]) / scale[i];
    }
    return s;
  }
  double s = 0;
  for (const auto& t : trees) {
    int32_t k = 0;
    // Load() checked that every path from the root ends in a leaf.
    while (t.left[k] != -1) {
      size_t f = static_cast<size_t>(t.split[k]);
      double v = f < x.size() ? x[f] : kNaN;
      if (std::isnan(v)) {
        k = t.default_left[k] ? t.left[k] : t.right[k];
      } else {
        k = static_cast<float>(v) < t.cond[k] ? t.left[k] : t.right[k];
      }
    }
    s += t.cond[k];
  }
  return base_score + s;
}

Result<ScoringModel> ParseScoringModel(const json& j, size_t num_features, const std::string& where,
                                       const std::string& what) {
  if (!j.is_object()) return DataError(where, what + ": " + where + " must be an object");
  std::string kind;
  if (auto it = j.find("kind"); it != j.end() && it->is_string()) {
    kind = it->get<std::string>();
  } else if (j.contains("trees") || j.contains("xgboost")) {
    kind = "trees";
  } else if (j.contains("weights")) {
    kind = "linear";
  }
  if (kind == "trees") {
    if (const json* doc = Find(j, "xgboost")) return ParseXgboostDocument(*doc, num_features, where, what);
    ScoringModel m;
    m.kind = ScoringModel::Kind::kTrees;
    m.num_features = num_features;
    if (const json* b = Find(j, "base_score"); b && !ParseLooseNumber(*b, &m.base_score))
      return DataError(where + ".base_score", what + ": " + where + ".base_score must be a number");
    if (const json* o = Find(j, "objective"); o && o->is_string()) m.objective = o->get<std::string>();
    const json* trees = Find(j, "trees");
    if (!trees) return DataError(where + ".trees", what + ": " + where + ".trees is missing");
    return ParseTrees(*trees, num_features, where + ".trees", what, std::move(m));
  }
  if (kind == "linear") {
    ScoringModel m;
    m.kind = ScoringModel::Kind::kLinear;
    m.num_features = num_features;
    if (!ReadNumberArray(j, "weights", &m.weights) || m.weights.size() != num_features)
      return DataError(where + ".weights", what + ": " + where + ".weights must be an array of " +
                                               std::to_string(num_features) + " numbers (one per feature)");
    m.mean.assign(num_features, 0.0);
    m.scale.assign(num_features, 1.0);
    if (Find(j, "mean") && (!ReadNumberArray(j, "mean", &m.mean) || m.mean.size() != num_features))
      return DataError(where + ".mean", what + ": " + where + ".mean must be an array of " +
                                            std::to_string(num_features) + " numbers");
    if (Find(j, "scale")) {
      if (!ReadNumberArray(j, "scale", &m.scale) || m.scale.size() != num_features ||
          std::any_of(m.scale.begin(), m.scale.end(), [](double s) { return !(s > 0); }))
        return DataError(where + ".scale", what + ": " + where + ".scale must be an array of " +
                                               std::to_string(num_features) + " positive numbers");
    }
    if (const json* b = Find(j, "bias"); b && !ParseLooseNumber(*b, &m.bias))
      return DataError(where + ".bias", what + ": " + where + ".bias must be a number");
    return m;
  }
  return DataError(where + ".kind", what + ": " + where + ".kind must be \"linear\" or \"trees\"" +
                                        (kind.empty() ? std::string(" (missing)") : ", got \"" + kind + "\""));
}

json ScoringModelToJson(const ScoringModel& m) {
  using namespace xgb_keys;
  json out = json::object();
  out["kind"] = m.kind_name();
  if (m.kind == ScoringModel::Kind::kLinear) {
    out["weights"] = m.weights;
    out["bias"] = m.bias;
    out["mean"] = m.mean;
    out["scale"] = m.scale;
    return out;
  }
  out["base_score"] = m.base_score;
  if (!m.objective.empty()) out["objective"] = m.objective;
  json trees = json::array();
  for (const auto& t : m.trees) {
    json cond = json::array();
    for (float c : t.cond) cond.push_back(ShortestForFloat(c));
    json dl = json::array();
    for (uint8_t d : t.default_left) dl.push_back(static_cast<int>(d));
    trees.push_back({{kLeft, t.left}, {kRight, t.right}, {kSplitIndex, t.split}, {kSplitCond, cond}, {kDefaultLeft, dl}});
  }
  out["trees"] = std::move(trees);
  return out;
}

}  // namespace internal

namespace {

using internal::DataError;
using internal::Find;

// Reads format_version: required, an integer in [1, max].
Result<int> ReadFormatVersion(const json& a, int max, const std::string& what) {
  if (!a.is_object()) return DataError("", what + ": expected a JSON object");
  const json* v = Find(a, "format_version");
  if (!v) return DataError("format_version", what + ": format_version is missing");
  double d;
  if (!internal::ParseLooseNumber(*v, &d) || d != std::floor(d) || d < 1)
    return DataError("format_version", what + ": format_version must be a positive integer");
  if (d > max)
    return DataError("format_version", what + ": format_version " +
                                           (d < 1e15 ? std::to_string(static_cast<long long>(d)) : json(d).dump()) +
                                           " is newer than this engine reads (1.." + std::to_string(max) +
                                           "); update ftconfig");
  return static_cast<int>(d);
}

// Maps artifact feature names to positions in the engine's feature vector.
Result<std::vector<int>> MapFeatures(const json& a, const std::vector<std::string>& known, const std::string& what,
                                     const char* producer, std::vector<std::string>* names) {
  const json* f = Find(a, "features");
  if (!f || !f->is_array() || f->empty())
    return DataError("features", what + ": features must be a non-empty array of feature names");
  std::vector<int> index;
  std::set<std::string> seen;
  names->clear();
  for (size_t i = 0; i < f->size(); ++i) {
    const json& n = (*f)[i];
    if (!n.is_string()) return DataError("features", what + ": features[" + std::to_string(i) + "] must be a string");
    std::string name = n.get<std::string>();
    if (!seen.insert(name).second)
      return DataError("features", what + ": feature \"" + name + "\" is listed twice");
    auto it = std::find(known.begin(), known.end(), name);
    if (it == known.end())
      return DataError("features", what + ": feature \"" + name + "\" is not computed by this engine (" + producer +
                                       "); retrain the model or update ftconfig");
    index.push_back(static_cast<int>(it - known.begin()));
    names->push_back(name);
  }
  return index;
}

std::vector<double> Gather(const std::vector<double>& in, const std::vector<int>& index) {
  std::vector<double> x(index.size(), std::numeric_limits<double>::quiet_NaN());
  for (size_t i = 0; i < index.size(); ++i)
    if (static_cast<size_t>(index[i]) < in.size()) x[i] = in[index[i]];
  return x;
}

std::string VersionString(const json& a) {
  const json* v = Find(a, "version");
  if (v && v->is_string() && !v->get<std::string>().empty()) return v->get<std::string>();
  return "unversioned";
}

json OrNull(const json* j) { return j ? *j : json(); }

}  // namespace

// ---------------------------------------------------------------- Reranker

Reranker::Reranker() = default;

Result<Reranker> Reranker::Load(const json& a) {
  const std::string what = "reranker artifact";
  FTCONFIG_ASSIGN_OR_RETURN(fv, ReadFormatVersion(a, kFormatVersion, what));
  Reranker r;
  r.format_version_ = fv;
  r.version_ = VersionString(a);
  r.training_ = OrNull(Find(a, "training"));
  r.metrics_ = OrNull(Find(a, "metrics"));
  const auto& known = PairFeatureNames();
  if (fv == 1) {
    // Draft layout: {"weights": [w_0 .. w_{N-1}, bias], "mean": [N], "scale": [N]}
    // over the first N PairFeatureNames().
    const json* w = Find(a, "weights");
    if (!w || !w->is_array() || w->size() < 2)
      return DataError("weights", what + ": weights must be an array of feature weights followed by the bias");
    size_t n = w->size() - 1;
    if (n > known.size())
      return DataError("weights", what + ": weights has " + std::to_string(n) + " feature weights, more than the " +
                                      std::to_string(known.size()) + " features this engine computes");
    json model = {{"kind", "linear"}, {"weights", json(w->begin(), w->end() - 1)}, {"bias", w->back()}};
    if (const json* m = Find(a, "mean")) model["mean"] = *m;
    if (const json* s = Find(a, "scale")) model["scale"] = *s;
    FTCONFIG_ASSIGN_OR_RETURN(parsed, internal::ParseScoringModel(model, n, "model", what));
    r.feature_names_.assign(known.begin(), known.begin() + static_cast<long>(n));
    for (size_t i = 0; i < n; ++i) r.feature_index_.push_back(static_cast<int>(i));
    r.kind_ = parsed.kind_name();
    r.model_ = std::make_shared<internal::ScoringModel>(std::move(parsed));
    return r;
  }
  FTCONFIG_ASSIGN_OR_RETURN(index, MapFeatures(a, known, what, "PairFeatureNames", &r.feature_names_));
  r.feature_index_ = std::move(index);
  const json* model = Find(a, "model");
  if (!model) return DataError("model", what + ": model is missing");
  FTCONFIG_ASSIGN_OR_RETURN(parsed, internal::ParseScoringModel(*model, r.feature_index_.size(), "model", what));
  r.kind_ = parsed.kind_name();
  r.model_ = std::make_shared<internal::ScoringModel>(std::move(parsed));
  return r;
}

json Reranker::Save() const {
  json out = {{"format_version", kFormatVersion}, {"artifact", "ftconfig.reranker"}, {"version", version_},
              {"features", feature_names_}};
  out["model"] = model_ ? internal::ScoringModelToJson(*model_) : json();
  if (!training_.is_null()) out["training"] = training_;
  if (!metrics_.is_null()) out["metrics"] = metrics_;
  return out;
}

double Reranker::Score(const std::vector<double>& pair_features) const {
  if (!model_) return 0;
  return model_->Eval(Gather(pair_features, feature_index_));
}

// ---------------------------------------------------------------- HpPredictor

HpPredictor::HpPredictor() = default;

Result<HpPredictor> HpPredictor::Load(const json& a) {
  const std::string what = "hp_predictor artifact";
  FTCONFIG_ASSIGN_OR_RETURN(fv, ReadFormatVersion(a, kFormatVersion, what));
  HpPredictor p;
  p.format_version_ = fv;
  p.version_ = VersionString(a);
  p.training_ = OrNull(Find(a, "training"));
  p.metrics_ = OrNull(Find(a, "metrics"));
  FTCONFIG_ASSIGN_OR_RETURN(index, MapFeatures(a, QueryFeatureNames(), what, "QueryFeatureNames", &p.feature_names_));
  p.feature_index_ = std::move(index);
  const json* targets = Find(a, "targets");
  if (!targets || !targets->is_array() || targets->empty())
    return DataError("targets", what + ": targets must be a non-empty array");
  std::set<std::string> seen;
  for (size_t i = 0; i < targets->size(); ++i) {
    const json& t = (*targets)[i];
    const std::string where = "targets[" + std::to_string(i) + "]";
    if (!t.is_object()) return DataError(where, what + ": " + where + " must be an object");
    Target target;
    target.name = internal::Str(t, "name");
    if (target.name.empty()) return DataError(where + ".name", what + ": " + where + ".name is missing");
    if (!seen.insert(target.name).second)
      return DataError(where + ".name", what + ": target \"" + target.name + "\" is listed twice");
    target.space = internal::Str(t, "space", "identity");
    if (target.space != "log10" && target.space != "log2" && target.space != "identity")
      return DataError(where + ".space", what + ": " + where + ".space must be \"log10\", \"log2\" or \"identity\", got \"" +
                                             target.space + "\"");
    if (const json* iv = Find(t, "interval")) {
      target.interval_lo = internal::NumOr(*iv, "lo", 0);
      target.interval_hi = internal::NumOr(*iv, "hi", 0);
      target.coverage = internal::NumOr(*iv, "coverage", 0);
      if (target.interval_lo > target.interval_hi)
        return DataError(where + ".interval", what + ": " + where + ".interval has lo > hi");
    }
    if (const json* clip = Find(t, "clip")) {
      target.min = internal::Num(*clip, "min");
      target.max = internal::Num(*clip, "max");
    }
    const json* model = Find(t, "model");
    if (!model) return DataError(where + ".model", what + ": " + where + ".model is missing");
    FTCONFIG_ASSIGN_OR_RETURN(parsed,
                              internal::ParseScoringModel(*model, p.feature_index_.size(), where + ".model", what));
    target.model = std::make_shared<internal::ScoringModel>(std::move(parsed));
    p.targets_.push_back(std::move(target));
  }
  return p;
}

json HpPredictor::Save() const {
  json targets = json::array();
  for (const auto& t : targets_) {
    json jt = {{"name", t.name},
               {"space", t.space},
               {"interval", {{"lo", t.interval_lo}, {"hi", t.interval_hi}, {"coverage", t.coverage}}}};
    if (t.min || t.max) {
      json clip = json::object();
      if (t.min) clip["min"] = *t.min;
      if (t.max) clip["max"] = *t.max;
      jt["clip"] = clip;
    }
    jt["model"] = internal::ScoringModelToJson(*t.model);
    targets.push_back(std::move(jt));
  }
  json out = {{"format_version", kFormatVersion}, {"artifact", "ftconfig.hp_predictor"}, {"version", version_},
              {"features", feature_names_}, {"targets", std::move(targets)}};
  if (!training_.is_null()) out["training"] = training_;
  if (!metrics_.is_null()) out["metrics"] = metrics_;
  return out;
}

std::vector<std::string> HpPredictor::target_names() const {
  std::vector<std::string> names;
  for (const auto& t : targets_) names.push_back(t.name);
  return names;
}

double HpPredictor::interval_coverage(const std::string& target) const {
  for (const auto& t : targets_)
    if (t.name == target) return t.coverage;
  return 0;
}

std::map<std::string, HpPredictor::Prediction> HpPredictor::Predict(const std::vector<double>& query_features) const {
  std::map<std::string, Prediction> out;
  if (targets_.empty()) return out;
  std::vector<double> x = Gather(query_features, feature_index_);
  for (const auto& t : targets_) {
    double y = t.model->Eval(x);
    if (t.min) y = std::max(y, *t.min);
    if (t.max) y = std::min(y, *t.max);
    auto natural = [&](double v) {
      if (t.space == "log10") return std::pow(10.0, v);
      if (t.space == "log2") return std::pow(2.0, v);
      return v;
    };
    out[t.name] = Prediction{natural(y), natural(y + t.interval_lo), natural(y + t.interval_hi)};
  }
  return out;
}

}  // namespace ftconfig

FTCONFIG_OPTIMIZE_FOR_SIZE_END
