// The WebAssembly surface of the engine (ftconfig-wasm.wasm): one Embind
// table, at the end. Every bound function returns a JSON envelope and runs
// inside Guard() (envelope.h). Nothing here knows about files or URLs: the
// caller hands over the bundled data as strings or bytes. Notebook and config
// exports live in a second module (export_bindings.cpp).
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog_json.h"
#include "envelope.h"
#include "ftconfig/estimate.h"
#include "ftconfig/json_text.h"
#include "ftconfig/plan.h"
#include "ftconfig/recommend.h"

// Runs once per engine or once per call: optimized for size, like the engine's
// loaders (engine/src/outline.h, FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN).
#pragma clang attribute push(__attribute__((minsize)), apply_to = function)

namespace ftconfig::wasm {
namespace {

using emscripten::val;
using json = nlohmann::json;

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

// The engine handle. `load` once, then any number of calls; every method is
// safe to call before `load` (it answers a "not loaded" error).
class WasmEngine {
 public:
  // data: {catalog: {gpus, platforms, models, stacks, tasks, datasets?}: JSON
  // texts, corpus: [{name, text}]: JSONL texts in the order the native CLI
  // reads them (or corpus_snapshot: the text of `ftconfig corpus snapshot`),
  // models?: {reranker?, hp_predictor?, calibration?}: artifact JSON texts}.
  // Texts may be strings or UTF-8 bytes (Uint8Array, copied without decoding).
  std::string Load(val data) {
    return Guard("load", [&] {
      if (!IsObject(data)) return Fail(ErrorCode::kInvalidType, "data", "data must be an object {catalog, corpus}");
      val catalog = data["catalog"];
      if (!IsObject(catalog))
        return Fail(ErrorCode::kMissingField, "data.catalog", "data.catalog must be an object of JSON texts");
      EngineData files;
      std::string problem;
      if (!ReadText(catalog, "gpus", true, &files.catalog.gpus, &problem) ||
          !ReadText(catalog, "platforms", true, &files.catalog.platforms, &problem) ||
          !ReadText(catalog, "models", true, &files.catalog.models, &problem) ||
          !ReadText(catalog, "stacks", true, &files.catalog.stacks, &problem) ||
          !ReadText(catalog, "tasks", true, &files.catalog.tasks, &problem) ||
          !ReadText(catalog, "datasets", false, &files.catalog.datasets, &problem))
        return Fail(ErrorCode::kDataError, "data.catalog", problem);
      // The bundle carries either the raw corpus files or a snapshot of the
      // normalized corpus (`ftconfig corpus snapshot`), which loads faster.
      val snapshot = data["corpus_snapshot"];
      if (!snapshot.isUndefined() && !snapshot.isNull()) {
        if (!IsText(snapshot))
          return Fail(ErrorCode::kDataError, "data.corpus_snapshot",
                      "data.corpus_snapshot must be the snapshot's JSON text (string or UTF-8 bytes)");
        files.corpus_snapshot_json = Text(snapshot);
      }
      val corpus = data["corpus"];
      if (files.corpus_snapshot_json.empty() && !IsArray(corpus))
        return Fail(ErrorCode::kMissingField, "data.corpus",
                    "data.corpus must be an array of {name, text} (or give data.corpus_snapshot)");
      int n = files.corpus_snapshot_json.empty() ? corpus["length"].as<int>() : 0;
      for (int i = 0; i < n; ++i) {
        val file = corpus[i];
        std::string field = "data.corpus[" + std::to_string(i) + "]";
        if (!IsObject(file) || !file["name"].isString() || !IsText(file["text"]))
          return Fail(ErrorCode::kDataError, field, field + " must be {name: string, text: string or UTF-8 bytes}");
        files.corpus.push_back({file["name"].as<std::string>(), Text(file["text"])});
      }
      val models = data["models"];
      if (!models.isUndefined() && !models.isNull()) {
        if (!IsObject(models))
          return Fail(ErrorCode::kDataError, "data.models", "data.models must be an object {reranker?, hp_predictor?, calibration?}");
        for (auto [key, out] : {std::pair<const char*, std::string*>{"reranker", &files.reranker_json},
                                {"hp_predictor", &files.hp_predictor_json},
                                {"calibration", &files.calibration_json}}) {
          val v = models[key];
          if (v.isUndefined() || v.isNull()) continue;
          if (!IsText(v))
            return Fail(ErrorCode::kDataError, std::string("data.models.") + key,
                        std::string("data.models.") + key + " must be the artifact's JSON text");
          *out = Text(v);
        }
      }
      auto created = Engine::Create(files);
      if (!created.ok()) return Fail(created.error());
      engine_ = created.value();
      return Ok(Status());
    });
  }

  std::string Recommend(const std::string& request) const {
    return Guard("recommend", [&] {
      if (!engine_) return NotLoaded();
      auto response = engine_->Recommend(request);
      if (!response.ok()) return Fail(response.error());
      return Ok(response.value());
    });
  }

  // Every option under the request's constraints, the Pareto front and the best option (ftconfig/plan.h).
  std::string Plan(const std::string& request) const {
    return Guard("plan", [&] {
      if (!engine_) return NotLoaded();
      auto plan = PlanTraining(*engine_, request);
      if (!plan.ok()) return Fail(plan.error());
      return Ok(plan.value());
    });
  }

  std::string Estimate(const std::string& input) const {
    return Guard("estimate", [&] {
      if (!engine_) return NotLoaded();
      json j = json::parse(input, nullptr, false);
      if (j.is_discarded()) return Fail(ErrorCode::kInvalidJson, "input", "input is not valid JSON: " + JsonSyntaxError(input));
      const ftconfig::Catalog* catalog = &engine_->catalog();
      auto [answer, code] = EstimateFromJson(
          j, [catalog]() -> Result<const ftconfig::Catalog*> { return catalog; }, engine_->calibration());
      if (code == 2) return json{{"ok", false}, {"error", answer["error"]}}.dump();
      return Ok(answer);
    });
  }

  // what: "gpus" | "platforms" | "tasks" | "models" (query, limit apply to models).
  std::string Catalog(const std::string& what, const std::string& query, int limit) const {
    return Guard("catalog", [&] {
      if (!engine_) return NotLoaded();
      const auto& c = engine_->catalog();
      if (what == "gpus") return Ok(GpusJson(c));
      if (what == "platforms") return Ok(PlatformsJson(c));
      if (what == "tasks") return Ok(TasksJson(c));
      if (what == "models") return Ok(ModelsJson(c, query, limit));
      return Fail(ErrorCode::kInvalidValue, "what", "unknown catalog \"" + what + "\"; accepted: gpus, platforms, models, tasks");
    });
  }

  std::string StatusJson() const {
    return Guard("status", [&] { return Ok(Status()); });
  }

 private:
  static std::string NotLoaded() {
    return Fail(ErrorCode::kUnsupported, "", "the engine has no data yet: call load() first");
  }

  json Status() const {
    json s = {{"engine_version", Engine::Version()}, {"loaded", engine_ != nullptr}};
    if (!engine_) return s;
    const auto& c = engine_->catalog();
    const auto& st = engine_->corpus().stats();
    s["catalog"] = {{"gpus", c.gpus().size()},     {"platforms", c.platforms().size()},
                    {"models", c.models().size()}, {"stacks", c.stacks().size()},
                    {"tasks", c.tasks().size()}};
    s["corpus"] = {{"files_loaded", st.files_loaded},   {"rows_read", st.rows_read},
                   {"rows_accepted", st.rows_accepted}, {"rows_rejected", st.rows_rejected},
                   {"rows_duplicate", st.rows_duplicate}};
    s["profiles"] = {{"groups", engine_->profiles().group_count()}};
    auto model_status = [](const auto* m) {
      if (!m) return json{{"status", "missing"}, {"version", nullptr}};
      return json{{"status", "loaded"}, {"version", m->version()}, {"format_version", m->format_version()}};
    };
    s["models"] = {{"reranker", model_status(engine_->reranker())},
                   {"hp_predictor", model_status(engine_->hp_predictor())}};
    if (const Reranker* r = engine_->reranker()) s["models"]["reranker"]["kind"] = r->kind();
    return s;
  }

  std::shared_ptr<const Engine> engine_;
};

std::string Version() { return Engine::Version(); }

}  // namespace
}  // namespace ftconfig::wasm

EMSCRIPTEN_BINDINGS(ftconfig) {
  using ftconfig::wasm::WasmEngine;
  emscripten::class_<WasmEngine>("Engine")
      .constructor<>()
      .function("load", &WasmEngine::Load)
      .function("recommend", &WasmEngine::Recommend)
      .function("plan", &WasmEngine::Plan)
      .function("estimate", &WasmEngine::Estimate)
      .function("catalog", &WasmEngine::Catalog)
      .function("status", &WasmEngine::StatusJson);
  emscripten::function("version", &ftconfig::wasm::Version);
}

#pragma clang attribute pop
