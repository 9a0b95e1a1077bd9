#include "train_xgb.h"

#include <memory>

#include <xgboost/c_api.h>

#include "shared_library.h"

namespace ftconfig::cli {

namespace {

// XGBoost's C API, opened on the first training (shared_library.h): the CLI
// does not link it, so other commands do not load it.
#define FTCONFIG_XGB_FUNCTIONS(X)                                                                        \
  X(XGBGetLastError) X(XGBoostVersion) X(XGBSetGlobalConfig) X(XGDMatrixCreateFromMat) X(XGDMatrixFree) \
  X(XGDMatrixSetFloatInfo) X(XGDMatrixSetUIntInfo) X(XGBoosterCreate) X(XGBoosterFree)                  \
  X(XGBoosterSetParam) X(XGBoosterUpdateOneIter) X(XGBoosterSaveModelToBuffer) X(XGBoosterPredict)

FTCONFIG_SHARED_API(XgbApi, FTCONFIG_XGB_FUNCTIONS, "libxgboost.so.0", "training the learned models", "libxgboost0")

Error XgbError(const XgbApi& x, const char* what) {
  return Error{ErrorCode::kInternal, "xgboost", std::string(what) + ": " + x.XGBGetLastError()};
}

}  // namespace

std::string XgbVersion() {
  if (!XgbApiOnce().ok()) return "unavailable";
  int major = 0, minor = 0, patch = 0;
  XgbApiOnce().value().XGBoostVersion(&major, &minor, &patch);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

Result<XgbResult> XgbTrain(const XgbData& data, const std::vector<std::pair<std::string, std::string>>& params,
                           int rounds) {
  if (!XgbApiOnce().ok()) return XgbApiOnce().error();
  const XgbApi& x = XgbApiOnce().value();
  auto fail = [&x](const char* what) { return XgbError(x, what); };
  auto free_matrix = [&x](void* h) { x.XGDMatrixFree(h); };
  auto free_booster = [&x](void* h) { x.XGBoosterFree(h); };
  x.XGBSetGlobalConfig("{\"verbosity\": 0}");
  DMatrixHandle dm = nullptr;
  if (x.XGDMatrixCreateFromMat(data.x.data(), data.rows, data.cols, std::numeric_limits<float>::quiet_NaN(), &dm) != 0)
    return fail("XGDMatrixCreateFromMat");
  std::unique_ptr<void, decltype(free_matrix)> dmat(dm, free_matrix);
  if (x.XGDMatrixSetFloatInfo(dm, "label", data.label.data(), data.label.size()) != 0)
    return fail("XGDMatrixSetFloatInfo(label)");
  if (!data.group.empty() && x.XGDMatrixSetUIntInfo(dm, "group", data.group.data(), data.group.size()) != 0)
    return fail("XGDMatrixSetUIntInfo(group)");
  if (!data.weight.empty() && x.XGDMatrixSetFloatInfo(dm, "weight", data.weight.data(), data.weight.size()) != 0)
    return fail("XGDMatrixSetFloatInfo(weight)");
  BoosterHandle bh = nullptr;
  DMatrixHandle mats[1] = {dm};
  if (x.XGBoosterCreate(mats, 1, &bh) != 0) return fail("XGBoosterCreate");
  std::unique_ptr<void, decltype(free_booster)> booster(bh, free_booster);
  if (x.XGBoosterSetParam(bh, "nthread", "1") != 0) return fail("XGBoosterSetParam(nthread)");
  for (const auto& [k, v] : params)
    if (x.XGBoosterSetParam(bh, k.c_str(), v.c_str()) != 0) return fail(("XGBoosterSetParam(" + k + ")").c_str());
  for (int i = 0; i < rounds; ++i)
    if (x.XGBoosterUpdateOneIter(bh, i, dm) != 0) return fail("XGBoosterUpdateOneIter");
  XgbResult out;
  bst_ulong len = 0;
  const char* buf = nullptr;
  if (x.XGBoosterSaveModelToBuffer(bh, "{\"format\": \"json\"}", &len, &buf) != 0)
    return fail("XGBoosterSaveModelToBuffer");
  out.model = nlohmann::json::parse(std::string(buf, len), nullptr, false);
  if (out.model.is_discarded())
    return Error{ErrorCode::kInternal, "xgboost", "XGBoost returned a model that is not valid JSON"};
  bst_ulong plen = 0;
  const float* pred = nullptr;
  if (x.XGBoosterPredict(bh, dm, 0, 0, 0, &plen, &pred) != 0) return fail("XGBoosterPredict");
  out.train_pred.assign(pred, pred + plen);
  return out;
}

}  // namespace ftconfig::cli
