// A small RAII layer over XGBoost's C API (libxgboost, native only): train a
// booster on a dense matrix and return XGBoost's own JSON model document,
// which the engine evaluates itself (engine/src/models.cpp).
#ifndef FTCONFIG_COMPANION_TRAIN_XGB_H_
#define FTCONFIG_COMPANION_TRAIN_XGB_H_

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ftconfig/result.h"

namespace ftconfig::cli {

struct XgbData {
  size_t rows = 0, cols = 0;
  std::vector<float> x;         // row-major rows × cols; NaN = missing
  std::vector<float> label;     // one per row
  std::vector<float> weight;    // per row, or per group when `group` is set; may be empty
  std::vector<unsigned> group;  // ranking: sizes of consecutive query groups; empty otherwise
};

struct XgbResult {
  nlohmann::json model;         // XGBoosterSaveModelToBuffer(format=json), parsed
  std::vector<float> train_pred;  // XGBoost's own predictions on the training rows
};

// Trains `rounds` boosting rounds with `params` (XGBoosterSetParam pairs).
// Single-threaded so results are identical run to run. Errors: kInternal
// with XGBoost's message.
Result<XgbResult> XgbTrain(const XgbData& data, const std::vector<std::pair<std::string, std::string>>& params,
                           int rounds);

// "1.7.4": the linked library's version.
std::string XgbVersion();

}  // namespace ftconfig::cli

#endif  // FTCONFIG_COMPANION_TRAIN_XGB_H_
