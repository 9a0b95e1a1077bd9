#include "train_xgb.h"

#include <memory>

#include <xgboost/c_api.h>

namespace ftconfig::cli {

namespace {

Error XgbError(const char* what) {
  return Error{ErrorCode::kInternal, "xgboost", std::string(what) + ": " + XGBGetLastError()};
}

struct DMatrixDeleter {
  void operator()(void* h) const { XGDMatrixFree(h); }
};
struct BoosterDeleter {
  void operator()(void* h) const { XGBoosterFree(h); }
};
using DMatrixPtr = std::unique_ptr<void, DMatrixDeleter>;
using BoosterPtr = std::unique_ptr<void, BoosterDeleter>;

}  // namespace

std::string XgbVersion() {
  int major = 0, minor = 0, patch = 0;
  XGBoostVersion(&major, &minor, &patch);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

Result<XgbResult> XgbTrain(const XgbData& data, const std::vector<std::pair<std::string, std::string>>& params,
                           int rounds) {
  XGBSetGlobalConfig("{\"verbosity\": 0}");
  DMatrixHandle dm = nullptr;
  if (XGDMatrixCreateFromMat(data.x.data(), data.rows, data.cols, std::numeric_limits<float>::quiet_NaN(), &dm) != 0)
    return XgbError("XGDMatrixCreateFromMat");
  DMatrixPtr dmat(dm);
  if (XGDMatrixSetFloatInfo(dm, "label", data.label.data(), data.label.size()) != 0)
    return XgbError("XGDMatrixSetFloatInfo(label)");
  if (!data.group.empty() && XGDMatrixSetUIntInfo(dm, "group", data.group.data(), data.group.size()) != 0)
    return XgbError("XGDMatrixSetUIntInfo(group)");
  if (!data.weight.empty() && XGDMatrixSetFloatInfo(dm, "weight", data.weight.data(), data.weight.size()) != 0)
    return XgbError("XGDMatrixSetFloatInfo(weight)");
  BoosterHandle bh = nullptr;
  DMatrixHandle mats[1] = {dm};
  if (XGBoosterCreate(mats, 1, &bh) != 0) return XgbError("XGBoosterCreate");
  BoosterPtr booster(bh);
  if (XGBoosterSetParam(bh, "nthread", "1") != 0) return XgbError("XGBoosterSetParam(nthread)");
  for (const auto& [k, v] : params)
    if (XGBoosterSetParam(bh, k.c_str(), v.c_str()) != 0) return XgbError(("XGBoosterSetParam(" + k + ")").c_str());
  for (int i = 0; i < rounds; ++i)
    if (XGBoosterUpdateOneIter(bh, i, dm) != 0) return XgbError("XGBoosterUpdateOneIter");
  XgbResult out;
  bst_ulong len = 0;
  const char* buf = nullptr;
  if (XGBoosterSaveModelToBuffer(bh, "{\"format\": \"json\"}", &len, &buf) != 0)
    return XgbError("XGBoosterSaveModelToBuffer");
  out.model = nlohmann::json::parse(std::string(buf, len), nullptr, false);
  if (out.model.is_discarded())
    return Error{ErrorCode::kInternal, "xgboost", "XGBoost returned a model that is not valid JSON"};
  bst_ulong plen = 0;
  const float* pred = nullptr;
  if (XGBoosterPredict(bh, dm, 0, 0, 0, &plen, &pred) != 0) return XgbError("XGBoosterPredict");
  out.train_pred.assign(pred, pred + plen);
  return out;
}

}  // namespace ftconfig::cli
