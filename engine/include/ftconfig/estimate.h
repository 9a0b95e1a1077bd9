// `estimate` for the WebAssembly module: one JSON setup in, one JSON answer
// out, with the keys of the native `ftconfig estimate` CLI
// (companion/cmd_estimate.cpp; docs/memory-model.md, "CLI").
//
// The CLI's version lives in the companion, which does not build under
// Emscripten; this one takes the already loaded Catalog instead of a data
// folder. tests/js/golden.test.mjs runs the same inputs through both and
// requires identical answers, so the two cannot drift apart silently.
// (Candidate for the engine proper: the CLI could call this function.)
#ifndef FTCONFIG_WASM_ESTIMATE_JSON_H_
#define FTCONFIG_WASM_ESTIMATE_JSON_H_

#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "ftconfig/catalog.h"

namespace ftconfig::wasm {

// Returns (answer, code): code 0 fits (or no GPU named), 1 does not fit,
// 2 bad input — then the answer is {"error": {code, field, message}}.
// `gpu_override`, when not empty, replaces the input's "gpu".
std::pair<nlohmann::json, int> EstimateFromJson(const nlohmann::json& input, const Catalog& catalog,
                                                const std::string& gpu_override = "");

}  // namespace ftconfig::wasm

#endif  // FTCONFIG_WASM_ESTIMATE_JSON_H_
