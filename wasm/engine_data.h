// Reads the data a WebAssembly engine is created from (the bundled catalog,
// corpus and model artifacts, as JavaScript strings or UTF-8 bytes) into
// EngineData. Shared by the engine module (bindings.cpp) and the on-demand
// module that plans (export_bindings.cpp).
#ifndef FTCONFIG_WASM_ENGINE_DATA_H_
#define FTCONFIG_WASM_ENGINE_DATA_H_

#include <emscripten/val.h>

#include <memory>

#include "ftconfig/recommend.h"
#include "ftconfig/result.h"

namespace ftconfig::wasm {

// data: {catalog: {gpus, platforms, models, stacks, tasks, datasets?}: JSON
// texts, corpus: [{name, text}]: JSONL texts in the order the native CLI
// reads them (or corpus_snapshot: the text of `ftconfig corpus snapshot`),
// models?: {reranker?, hp_predictor?, calibration?}: artifact JSON texts}.
// Texts may be strings or UTF-8 bytes (Uint8Array, copied without decoding).
// A malformed value is an error naming its field (data.catalog.gpus, ...).
Result<EngineData> EngineDataFromJs(const emscripten::val& data);

// An engine created from that data (EngineDataFromJs, then Engine::Create).
Result<std::shared_ptr<const Engine>> EngineFromJs(const emscripten::val& data);

}  // namespace ftconfig::wasm

#endif  // FTCONFIG_WASM_ENGINE_DATA_H_
