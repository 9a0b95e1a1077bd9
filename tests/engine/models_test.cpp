// Reranker and HpPredictor artifacts (engine/src/models.cpp): compatibility
// with every kept artifact version, save -> load -> compare round trips, the
// exact errors on malformed artifacts, and the shipped models/.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <set>

#include "ftconfig/ranking.h"
#include "test_util.h"
#include "train_data.h"

using namespace ftconfig;

namespace {

template <typename T>
std::string Why(const Result<T>& r) {
  return r.ok() ? std::string() : r.error().message;
}

const double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string ModelsDir() { return std::string(FTCONFIG_DATA_DIR) + "/../models"; }

json ReadJson(const std::string& path) {
  json j = json::parse(test::ReadFile(path), nullptr, false);
  if (j.is_discarded()) throw std::runtime_error(path + " is not JSON");
  return j;
}

json FixtureJson(const std::string& name) { return ReadJson(std::string(FTCONFIG_TEST_FIXTURES) + "/models/" + name); }

// A full feature vector (in `names` order) with the named values set, the rest NaN.
std::vector<double> Vector(const std::vector<std::string>& names, const json& values) {
  std::vector<double> x(names.size(), kNaN);
  for (size_t i = 0; i < names.size(); ++i)
    if (values.contains(names[i])) x[i] = values[names[i]].get<double>();
  return x;
}

// Deterministic pseudo-random feature vectors for comparing two models.
std::vector<std::vector<double>> Probes(size_t dim, int n) {
  std::vector<std::vector<double>> out;
  unsigned s = 2024;
  for (int i = 0; i < n; ++i) {
    std::vector<double> x(dim);
    for (auto& v : x) {
      s = s * 1664525u + 1013904223u;
      v = ((s >> 8) % 2000) / 500.0 - 2.0;
    }
    out.push_back(x);
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(models)

BOOST_AUTO_TEST_CASE(every_kept_artifact_version_loads_and_scores_as_recorded) {
  json expected = FixtureJson("expected.json");
  int checked = 0;
  for (const auto& [file, e] : expected.items()) {
    if (file == "about") continue;
    json artifact = FixtureJson(file);
    const double tol = e.value("tolerance", 1e-9);
    if (file.rfind("hp-predictor", 0) == 0) {
      auto p = HpPredictor::Load(artifact);
      BOOST_TEST_REQUIRE(p.ok(), file + ": " + Why(p));
      BOOST_TEST(p.value().format_version() == e["format_version"].get<int>());
      BOOST_TEST(p.value().interval_coverage("learning_rate") == 0.9);
      BOOST_TEST(p.value().interval_coverage("nope") == 0.0);
      const double rel = e.value("tolerance_relative", 1e-9);
      for (const auto& c : e["cases"]) {
        auto pred = p.value().Predict(Vector(QueryFeatureNames(), c["features"]));
        for (const auto& [target, want] : c["predictions"].items()) {
          BOOST_TEST_REQUIRE(pred.count(target) == 1u, file + " " + target);
          const auto& got = pred.at(target);
          BOOST_TEST(std::fabs(got.value / want["value"].get<double>() - 1) < rel, file + " " + target);
          BOOST_TEST(std::fabs(got.lo / want["lo"].get<double>() - 1) < rel, file + " " + target);
          BOOST_TEST(std::fabs(got.hi / want["hi"].get<double>() - 1) < rel, file + " " + target);
        }
      }
    } else {
      auto r = Reranker::Load(artifact);
      BOOST_TEST_REQUIRE(r.ok(), file + ": " + Why(r));
      BOOST_TEST(r.value().kind() == e["kind"].get<std::string>());
      BOOST_TEST(r.value().format_version() == e["format_version"].get<int>());
      for (const auto& c : e["cases"]) {
        double got = r.value().Score(Vector(PairFeatureNames(), c["features"]));
        BOOST_TEST(std::fabs(got - c["score"].get<double>()) <= tol, file + ": " + c.dump() + " scored " +
                                                                          std::to_string(got));
      }
    }
    ++checked;
  }
  BOOST_TEST(checked == 6);
}

BOOST_AUTO_TEST_CASE(round_trip_save_load_compare) {
  std::vector<json> rerankers = {FixtureJson("reranker-v1-linear.json"), FixtureJson("reranker-v2-linear.json"),
                                 FixtureJson("reranker-v2-trees.json"), FixtureJson("reranker-v2-xgboost-native.json"),
                                 FixtureJson("reranker-v2-linear-20-features.json"),
                                 ReadJson(ModelsDir() + "/reranker.json")};
  for (const auto& a : rerankers) {
    auto first = Reranker::Load(a);
    BOOST_TEST_REQUIRE(first.ok(), Why(first));
    json saved = first.value().Save();
    BOOST_TEST(saved["format_version"] == Reranker::kFormatVersion);
    auto second = Reranker::Load(saved);
    BOOST_TEST_REQUIRE(second.ok(), Why(second));
    BOOST_TEST(second.value().Save() == saved);  // byte-for-byte stable after one save
    BOOST_TEST(second.value().version() == first.value().version());
    BOOST_TEST(second.value().kind() == first.value().kind());
    for (const auto& x : Probes(PairFeatureNames().size(), 50))
      BOOST_TEST(second.value().Score(x) == first.value().Score(x));
  }
  std::vector<json> predictors = {FixtureJson("hp-predictor-v1.json"), ReadJson(ModelsDir() + "/hp_predictor.json")};
  for (const auto& a : predictors) {
    auto first = HpPredictor::Load(a);
    BOOST_TEST_REQUIRE(first.ok(), Why(first));
    json saved = first.value().Save();
    auto second = HpPredictor::Load(saved);
    BOOST_TEST_REQUIRE(second.ok(), Why(second));
    BOOST_TEST(second.value().Save() == saved);
    for (const auto& x : Probes(QueryFeatureNames().size(), 50)) {
      auto p1 = first.value().Predict(x), p2 = second.value().Predict(x);
      BOOST_TEST_REQUIRE(p1.size() == p2.size());
      for (const auto& [k, v] : p1) {
        BOOST_TEST(p2.at(k).value == v.value);
        BOOST_TEST(p2.at(k).lo == v.lo);
        BOOST_TEST(p2.at(k).hi == v.hi);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(draft_layout_is_upgraded_on_save) {
  auto r = Reranker::Load(FixtureJson("reranker-v1-linear.json"));
  BOOST_TEST_REQUIRE(r.ok());
  json saved = r.value().Save();
  BOOST_TEST(saved["format_version"] == 2);
  BOOST_TEST(saved["features"] == json({"same_task", "same_adapter", "same_size_bucket"}));
  BOOST_TEST(saved["model"]["kind"] == "linear");
  BOOST_TEST(saved["model"]["bias"] == 0.25);
  BOOST_TEST(saved["model"]["weights"] == json({1.0, -2.0, 0.5}));
}

BOOST_AUTO_TEST_CASE(xgboost_document_saves_as_compact_tree_arrays) {
  auto r = Reranker::Load(FixtureJson("reranker-v2-xgboost-native.json"));
  BOOST_TEST_REQUIRE(r.ok());
  json m = r.value().Save()["model"];
  BOOST_TEST(!m.contains("xgboost"));
  BOOST_TEST(m["trees"].size() == 3u);
  BOOST_TEST(m["base_score"] == 0.5);
  BOOST_TEST(m["objective"] == "rank:ndcg");
  for (const char* key : {"left_children", "right_children", "split_indices", "split_conditions", "default_left"})
    BOOST_TEST(m["trees"][0].contains(key), key);
  // Thresholds are written as the shortest decimal that reads back as the same float.
  BOOST_TEST(m["trees"][0]["split_conditions"][0] == 0.5);
}

BOOST_AUTO_TEST_CASE(missing_values_follow_default_left_and_ties_go_right) {
  auto r = Reranker::Load(FixtureJson("reranker-v2-trees.json"));
  BOOST_TEST_REQUIRE(r.ok());
  // Root: headroom < 0 -> left leaf (-1); missing headroom -> default left.
  BOOST_TEST(r.value().Score({1.0}) == -0.5);  // short vector: headroom missing
  json at_threshold = {{"same_task", 0.5}, {"headroom", 0.0}};
  BOOST_TEST(r.value().Score(Vector(PairFeatureNames(), at_threshold)) == 0.5 + 0.7f);
  auto lin = Reranker::Load(FixtureJson("reranker-v2-linear.json"));
  BOOST_TEST_REQUIRE(lin.ok());
  BOOST_TEST(lin.value().Score(Vector(PairFeatureNames(), json{{"same_task", 1}})) == 0.5);  // NaN headroom adds 0
}

BOOST_AUTO_TEST_CASE(empty_models_are_inert) {
  Reranker r;
  BOOST_TEST(r.Score(std::vector<double>(20, 1.0)) == 0.0);
  BOOST_TEST(r.kind().empty());
  HpPredictor p;
  BOOST_TEST(p.Predict(std::vector<double>(16, 1.0)).empty());
}

BOOST_AUTO_TEST_CASE(malformed_reranker_artifacts_name_the_key) {
  struct Case {
    std::string artifact, field, message;
  };
  const std::string pre = R"({"format_version":2,"features":["same_task","headroom"],)";
  const std::string tree3 = R"("split_indices":[0,0,0],"split_conditions":[0.5,1,2])";
  const Case cases[] = {
      {"[]", "", "reranker artifact: expected a JSON object"},
      {"{}", "format_version", "reranker artifact: format_version is missing"},
      {R"({"format_version":"two"})", "format_version", "reranker artifact: format_version must be a positive integer"},
      {R"({"format_version":3})", "format_version",
       "reranker artifact: format_version 3 is newer than this engine reads (1..2); update ftconfig"},
      {R"({"format_version":1,"weights":[1]})", "weights",
       "reranker artifact: weights must be an array of feature weights followed by the bias"},
      {R"({"format_version":2,"model":{}})", "features",
       "reranker artifact: features must be a non-empty array of feature names"},
      {R"({"format_version":2,"features":["gpu_price"],"model":{}})", "features",
       "reranker artifact: feature \"gpu_price\" is not computed by this engine (PairFeatureNames); retrain the "
       "model or update ftconfig"},
      {R"({"format_version":2,"features":["same_task","same_task"],"model":{}})", "features",
       "reranker artifact: feature \"same_task\" is listed twice"},
      {pre + R"("modle":{}})", "model", "reranker artifact: model is missing"},
      {pre + R"("model":{"kind":"forest"}})", "model.kind",
       "reranker artifact: model.kind must be \"linear\" or \"trees\", got \"forest\""},
      {pre + R"("model":{"kind":"linear","weights":[1]}})", "model.weights",
       "reranker artifact: model.weights must be an array of 2 numbers (one per feature)"},
      {pre + R"("model":{"kind":"linear","weights":[1,2],"scale":[1,0]}})", "model.scale",
       "reranker artifact: model.scale must be an array of 2 positive numbers"},
      {pre + R"("model":{"kind":"trees"}})", "model.trees", "reranker artifact: model.trees is missing"},
      {pre + R"("model":{"kind":"trees","trees":[{"left_children":[1,-1,-1],"right_children":[2,-1],)" + tree3 + "}]}}",
       "model.trees[0].right_children",
       "reranker artifact: model.trees[0].right_children has 2 entries, expected 3 (one per node)"},
      {pre + R"("model":{"kind":"trees","trees":[{"left_children":[1,-1,-1],"right_children":[7,-1,-1],)" + tree3 + "}]}}",
       "model.trees[0].left_children",
       "reranker artifact: model.trees[0] node 0 has a child outside 1..2 (or only one child)"},
      {pre + R"("model":{"kind":"trees","trees":[{"left_children":[1,2,-1,-1],"right_children":[2,3,-1,-1],)"
                 R"("split_indices":[0,0,0,0],"split_conditions":[0.5,1,2,3]}]}})",
       "model.trees[0].left_children", "reranker artifact: model.trees[0] is not a tree (node 2 is reached twice)"},
      {pre + R"("model":{"kind":"trees","trees":[{"left_children":[1,-1,-1],"right_children":[2,-1,-1],)"
                 R"("split_indices":[5,0,0],"split_conditions":[0.5,1,2]}]}})",
       "model.trees[0].split_indices", "reranker artifact: model.trees[0] node 0 splits on feature 5, expected 0..1"},
      {pre + R"("model":{"kind":"trees","trees":[{"left_children":[1,-1,-1],"right_children":[2,-1,-1],)" + tree3 +
                 R"(,"split_type":[1,0,0]}]}})",
       "model.trees[0].split_type", "reranker artifact: model.trees[0] uses categorical splits, which are not supported"},
      {pre + R"("model":{"kind":"trees","xgboost":{"version":[1,7,4]}}})", "model.xgboost.learner",
       "reranker artifact: model.xgboost has no learner object (not an XGBoost JSON model)"},
  };
  for (const auto& c : cases) {
    auto r = Reranker::Load(json::parse(c.artifact));
    BOOST_TEST_REQUIRE(!r.ok(), c.artifact);
    BOOST_TEST(r.error().code == ErrorCode::kDataError, c.artifact);
    BOOST_TEST(r.error().field == c.field, c.artifact);
    BOOST_TEST(r.error().message == c.message, c.artifact);
  }
}

BOOST_AUTO_TEST_CASE(malformed_predictor_artifacts_name_the_key) {
  struct Case {
    std::string artifact, field, message;
  };
  const std::string pre = R"({"format_version":1,"features":["log10_params"],)";
  const std::string model = R"("model":{"kind":"linear","weights":[1]})";
  const Case cases[] = {
      {R"({"format_version":2})", "format_version",
       "hp_predictor artifact: format_version 2 is newer than this engine reads (1..1); update ftconfig"},
      {R"({"format_version":1,"features":["x"]})", "features",
       "hp_predictor artifact: feature \"x\" is not computed by this engine (QueryFeatureNames); retrain the model or "
       "update ftconfig"},
      {pre + R"("targets":[]})", "targets", "hp_predictor artifact: targets must be a non-empty array"},
      {pre + R"("targets":[{"space":"log10",)" + model + "}]}", "targets[0].name",
       "hp_predictor artifact: targets[0].name is missing"},
      {pre + R"("targets":[{"name":"lr","space":"ln",)" + model + "}]}", "targets[0].space",
       "hp_predictor artifact: targets[0].space must be \"log10\", \"log2\" or \"identity\", got \"ln\""},
      {pre + R"("targets":[{"name":"lr",)" + model + R"(},{"name":"lr",)" + model + "}]}", "targets[1].name",
       "hp_predictor artifact: target \"lr\" is listed twice"},
      {pre + R"("targets":[{"name":"lr","interval":{"lo":1,"hi":-1},)" + model + "}]}", "targets[0].interval",
       "hp_predictor artifact: targets[0].interval has lo > hi"},
      {pre + R"("targets":[{"name":"lr"}]})", "targets[0].model", "hp_predictor artifact: targets[0].model is missing"},
      {pre + R"("targets":[{"name":"lr","model":{"kind":"linear","weights":[1,2]}}]})", "targets[0].model.weights",
       "hp_predictor artifact: targets[0].model.weights must be an array of 1 numbers (one per feature)"},
  };
  for (const auto& c : cases) {
    auto p = HpPredictor::Load(json::parse(c.artifact));
    BOOST_TEST_REQUIRE(!p.ok(), c.artifact);
    BOOST_TEST(p.error().code == ErrorCode::kDataError, c.artifact);
    BOOST_TEST(p.error().field == c.field, c.artifact);
    BOOST_TEST(p.error().message == c.message, c.artifact);
  }
}

BOOST_AUTO_TEST_CASE(tolerant_reader_ignores_unknown_keys_and_defaults_optional_ones) {
  json a = FixtureJson("reranker-v2-linear.json");
  a["future_key"] = {{"anything", 1}};
  a["model"]["future_model_key"] = true;
  a.erase("version");
  auto r = Reranker::Load(a);
  BOOST_TEST_REQUIRE(r.ok());
  BOOST_TEST(r.value().version() == "unversioned");
  BOOST_TEST(r.value().Score(Vector(PairFeatureNames(), json{{"headroom", 0.25}, {"same_task", 1}})) == 1.0);
  // XGBoost >= 2.1 writes base_score as "[5E-1]".
  json x = FixtureJson("reranker-v2-xgboost-native.json");
  x["model"]["xgboost"]["learner"]["learner_model_param"]["base_score"] = "[5E-1]";
  BOOST_TEST(Reranker::Load(x).ok());
}

BOOST_AUTO_TEST_CASE(registry_names_the_shipped_artifacts_with_their_digests) {
  // format_version 2 (companion/model_registry.h): the production alias names
  // a version whose artifacts are the shipped files.
  json reg = ReadJson(ModelsDir() + "/registry.json");
  BOOST_TEST(reg["format_version"] == 2);
  std::string production = reg["aliases"]["production"];
  std::set<std::string> kinds;
  for (const auto& v : reg["versions"]) {
    if (v["version"] != production) continue;
    BOOST_TEST(v["stage"] == "production");
    for (const auto& [kind, m] : v["artifacts"].items()) {
      std::string text = test::ReadFile(ModelsDir() + "/" + m["path"].get<std::string>());
      BOOST_TEST(m["sha256"] == cli::Sha256Hex(text), m["path"]);
      json artifact = json::parse(text);
      BOOST_TEST(m["version"] == artifact["version"], m["path"]);
      kinds.insert(kind);
    }
  }
  BOOST_TEST((kinds == std::set<std::string>{"hp_predictor", "reranker"}));
}

BOOST_AUTO_TEST_CASE(sha256_matches_the_standard_test_vectors) {
  BOOST_TEST(cli::Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(cli::Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  BOOST_TEST(cli::Sha256Hex(std::string(1000, 'a')) ==
             "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

BOOST_AUTO_TEST_SUITE_END()
