#include "engine_data.h"

#include <string>
#include <utility>

// Runs once per engine: optimized for size, like the engine's loaders
// (engine/src/outline.h, FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN).
#pragma clang attribute push(__attribute__((minsize)), apply_to = function)

namespace ftconfig::wasm {
namespace {

using emscripten::val;

bool IsArray(const val& v) { return val::global("Array").call<bool>("isArray", v); }
bool IsObject(const val& v) { return !v.isNull() && v.typeOf().as<std::string>() == "object"; }
// File contents arrive as strings or, cheaper, as UTF-8 bytes (Uint8Array).
bool IsText(const val& v) { return v.isString() || v.instanceof(val::global("Uint8Array")); }


// The text of a string or a Uint8Array. Bytes are copied with one
// TypedArray.set into the string's buffer (Embind's own conversion copies
// byte by byte in JavaScript, which costs ~80 ms for the bundled data).
std::string Text(const val& v) {
  if (v.isString()) return v.as<std::string>();
  size_t n = v["length"].as<size_t>();
  std::string out(n, '\0');
  if (n > 0) {
    val view(emscripten::typed_memory_view(n, reinterpret_cast<unsigned char*>(&out[0])));
    view.call<void>("set", v);
  }
  return out;
}

// Reads data[key] as a string; `required` false allows absent (empty string).
bool ReadText(const val& data, const char* key, bool required, std::string* out, std::string* problem) {
  val v = data[key];
  if (v.isUndefined() || v.isNull()) {
    if (required) *problem = std::string("data.catalog.") + key + " is missing";
    return !required;
  }
  if (!IsText(v)) {
    *problem = std::string("data.catalog.") + key + " must be the file's JSON text (a string or UTF-8 bytes)";
    return false;
  }
  *out = Text(v);
  return true;
}

}  // namespace

Result<EngineData> EngineDataFromJs(const val& data) {
  if (!IsObject(data)) return Error{ErrorCode::kInvalidType, "data", "data must be an object {catalog, corpus}"};
  val catalog = data["catalog"];
  if (!IsObject(catalog))
    return Error{ErrorCode::kMissingField, "data.catalog", "data.catalog must be an object of JSON texts"};
  EngineData files;
  std::string problem;
  if (!ReadText(catalog, "gpus", true, &files.catalog.gpus, &problem) ||
      !ReadText(catalog, "platforms", true, &files.catalog.platforms, &problem) ||
      !ReadText(catalog, "models", true, &files.catalog.models, &problem) ||
      !ReadText(catalog, "stacks", true, &files.catalog.stacks, &problem) ||
      !ReadText(catalog, "tasks", true, &files.catalog.tasks, &problem) ||
      !ReadText(catalog, "datasets", false, &files.catalog.datasets, &problem))
    return Error{ErrorCode::kDataError, "data.catalog", problem};
  // The bundle carries either the raw corpus files or a snapshot of the
  // normalized corpus (`ftconfig corpus snapshot`), which loads faster.
  val snapshot = data["corpus_snapshot"];
  if (!snapshot.isUndefined() && !snapshot.isNull()) {
    if (!IsText(snapshot))
      return Error{ErrorCode::kDataError, "data.corpus_snapshot",
                  "data.corpus_snapshot must be the snapshot's JSON text (string or UTF-8 bytes)"};
    files.corpus_snapshot_json = Text(snapshot);
  }
  val corpus = data["corpus"];
  if (files.corpus_snapshot_json.empty() && !IsArray(corpus))
    return Error{ErrorCode::kMissingField, "data.corpus",
                "data.corpus must be an array of {name, text} (or give data.corpus_snapshot)"};
  int n = files.corpus_snapshot_json.empty() ? corpus["length"].as<int>() : 0;
  for (int i = 0; i < n; ++i) {
    val file = corpus[i];
    std::string field = "data.corpus[" + std::to_string(i) + "]";
    if (!IsObject(file) || !file["name"].isString() || !IsText(file["text"]))
      return Error{ErrorCode::kDataError, field, field + " must be {name: string, text: string or UTF-8 bytes}"};
    files.corpus.push_back({file["name"].as<std::string>(), Text(file["text"])});
  }
  val models = data["models"];
  if (!models.isUndefined() && !models.isNull()) {
    if (!IsObject(models))
      return Error{ErrorCode::kDataError, "data.models", "data.models must be an object {reranker?, hp_predictor?, calibration?}"};
    for (auto [key, out] : {std::pair<const char*, std::string*>{"reranker", &files.reranker_json},
                            {"hp_predictor", &files.hp_predictor_json},
                            {"calibration", &files.calibration_json}}) {
      val v = models[key];
      if (v.isUndefined() || v.isNull()) continue;
      if (!IsText(v))
        return Error{ErrorCode::kDataError, std::string("data.models.") + key,
                    std::string("data.models.") + key + " must be the artifact's JSON text"};
      *out = Text(v);
    }
  }
  return files;
}

Result<std::shared_ptr<const Engine>> EngineFromJs(const val& data) {
  auto files = EngineDataFromJs(data);
  if (!files.ok()) return files.error();
  return Engine::Create(files.value());
}

}  // namespace ftconfig::wasm

#pragma clang attribute pop
