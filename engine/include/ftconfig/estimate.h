// `estimate`: one training setup in (JSON), peak VRAM per GPU with its
// breakdown, throughput and a fit verdict out (JSON). The keys are those of
// the measurement table (docs/memory-model.md, "CLI"). The CLI's `ftconfig
// estimate` and the WebAssembly module's `estimate` both answer with this
// function, so they cannot disagree (tests/golden compares them anyway).
#ifndef FTCONFIG_ESTIMATE_H_
#define FTCONFIG_ESTIMATE_H_

#include <functional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "ftconfig/calibration.h"
#include "ftconfig/catalog.h"
#include "ftconfig/result.h"

namespace ftconfig {

// The catalog, asked for only when an input names a model or a GPU (an
// estimate from architecture fields needs none); its error becomes the
// answer's error.
using CatalogSource = std::function<Result<const Catalog*>()>;

// Returns (answer, code): code 0 fits (or no GPU named), 1 does not fit,
// 2 bad input - then the answer is {"error": {code, field, message}} (plus
// the input's "id"). `calibration` scales the memory and throughput
// estimates as it does for recommendations (ftconfig/calibration.h); the
// answer names it. `gpu_override`, when not empty, replaces the input's "gpu".
std::pair<nlohmann::json, int> EstimateFromJson(const nlohmann::json& input, const CatalogSource& catalog,
                                                const Calibration& calibration = {},
                                                const std::string& gpu_override = "");

}  // namespace ftconfig

#endif  // FTCONFIG_ESTIMATE_H_
