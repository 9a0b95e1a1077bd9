// Internal: the learned scoring functions behind Reranker and HpPredictor,
// and their JSON (de)serialization. Two kinds:
//
//   linear: score = bias + sum_i weights[i] * (x[i] - mean[i]) / scale[i]
//   trees:  score = base_score + sum_t leaf_t(x), XGBoost gbtree semantics:
//           at an internal node go left when x[split_indices] < split_conditions
//           (compared in float, as XGBoost stores features and thresholds),
//           follow default_left when the feature is missing (NaN); at a leaf
//           the value is split_conditions[node] (XGBoost keeps leaf values
//           and thresholds in one field; base_weights are training stats).
//
// The tree arrays use XGBoost's JSON key names (left_children,
// right_children, split_indices, split_conditions, default_left), defined
// once below, so the same parser reads our compact artifacts and XGBoost's own
// saved model document (learner.gradient_booster.model.trees).
#ifndef FTCONFIG_SRC_MODELS_INTERNAL_H_
#define FTCONFIG_SRC_MODELS_INTERNAL_H_

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ftconfig/result.h"

namespace ftconfig::internal {

using json = nlohmann::json;

// XGBoost JSON key names, defined once.
namespace xgb_keys {
inline constexpr const char* kLeft = "left_children";
inline constexpr const char* kRight = "right_children";
inline constexpr const char* kSplitIndex = "split_indices";
inline constexpr const char* kSplitCond = "split_conditions";
inline constexpr const char* kDefaultLeft = "default_left";
inline constexpr const char* kBaseWeights = "base_weights";
}  // namespace xgb_keys

struct TreeArrays {
  std::vector<int32_t> left, right, split;
  std::vector<float> cond;           // threshold (internal node) or leaf value
  std::vector<uint8_t> default_left;  // 1: missing goes left
};

class ScoringModel {
 public:
  enum class Kind { kLinear, kTrees };

  Kind kind = Kind::kLinear;
  size_t num_features = 0;
  // linear
  std::vector<double> weights, mean, scale;
  double bias = 0;
  // trees
  std::vector<TreeArrays> trees;
  double base_score = 0;
  std::string objective;  // informational ("rank:ndcg", "reg:squarederror")

  // `x` has num_features entries in the model's feature order; NaN = missing.
  double Eval(const std::vector<double>& x) const;
  const char* kind_name() const { return kind == Kind::kLinear ? "linear" : "trees"; }
};

// Reads `j` (an artifact's "model" object) for a model over `num_features`
// features. `where` prefixes error fields ("model", "targets[0].model") and
// `what` prefixes messages ("reranker artifact"). Accepts:
//   {"kind":"linear","weights":[..],"bias":b,"mean":[..],"scale":[..]}
//   {"kind":"trees","base_score":b,"trees":[{left_children,...}, ...]}
//   {"kind":"trees","xgboost":<XGBoost saved JSON model document>}
Result<ScoringModel> ParseScoringModel(const json& j, size_t num_features, const std::string& where,
                                       const std::string& what);
// The compact form ParseScoringModel reads (never the "xgboost" form).
json ScoringModelToJson(const ScoringModel& m);

// Parses one number that XGBoost may write as a JSON number, a string
// ("5E-1") or a bracketed string ("[5E-1]", XGBoost >= 2.1).
bool ParseLooseNumber(const json& j, double* out);

}  // namespace ftconfig::internal

#endif  // FTCONFIG_SRC_MODELS_INTERNAL_H_
