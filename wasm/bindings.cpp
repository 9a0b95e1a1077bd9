// The WebAssembly surface of the engine (ftconfig-wasm.wasm): one Embind
// table, at the end. Every bound function returns a JSON envelope and runs
// inside Guard() (envelope.h). Nothing here knows about files or URLs: the
// caller hands over the bundled data as strings or bytes. Notebook and config
// exports (export_bindings.cpp) and planning (plan_bindings.cpp) live in
// modules of their own, loaded on demand: the first recommendation does not
// download them.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog_json.h"
#include "engine_data.h"
#include "envelope.h"
#include "ftconfig/estimate.h"
#include "ftconfig/json_text.h"
#include "ftconfig/recommend.h"

// Runs once per engine or once per call: optimized for size, like the engine's
// loaders (engine/src/outline.h, FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN).
#pragma clang attribute push(__attribute__((minsize)), apply_to = function)

namespace ftconfig::wasm {
namespace {

using emscripten::val;
using json = nlohmann::json;

// The engine handle. `load` once, then any number of calls; every method is
// safe to call before `load` (it answers a "not loaded" error).
class WasmEngine {
 public:
  // data: what EngineDataFromJs reads (engine_data.h).
  std::string Load(val data) {
    return Guard("load", [&] {
      auto created = EngineFromJs(data);
      if (!created.ok()) return Fail(created.error());
      engine_ = created.value();
      return Ok(Status());
    });
  }

  // The recommendation's envelope as a Uint8Array view of this engine's
  // buffer, valid until the next call: api.js decodes it with TextDecoder.
  // Returning a std::string instead costs a copy and two byte-by-byte
  // JavaScript loops (Embind's std::string transfer) over the ~10 KB answer:
  // ~4% of a request.
  val RecommendBytes(const std::string& request) {
    last_ = Guard("recommend", [&] {
      if (!engine_) return NotLoaded();
      auto response = engine_->Recommend(request);
      if (!response.ok()) return Fail(response.error());
      return Ok(response.value());
    });
    return val(emscripten::typed_memory_view(last_.size(), reinterpret_cast<const uint8_t*>(last_.data())));
  }

  std::string Estimate(const std::string& input) const {
    return Guard("estimate", [&] {
      if (!engine_) return NotLoaded();
      json j = json::parse(input, nullptr, false);
      if (j.is_discarded()) return Fail(ErrorCode::kInvalidJson, "input", "input is not valid JSON: " + JsonSyntaxError(input));
      const ftconfig::Catalog* catalog = &engine_->catalog();
      auto [answer, code] = EstimateFromJson(
          j, [catalog]() -> Result<const ftconfig::Catalog*> { return catalog; }, engine_->calibration());
      if (code == 2) return JsonText(json{{"ok", false}, {"error", answer["error"]}});
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
  std::string last_;  // RecommendBytes' answer, viewed by JavaScript
};

std::string Version() { return Engine::Version(); }

}  // namespace
}  // namespace ftconfig::wasm

EMSCRIPTEN_BINDINGS(ftconfig) {
  using ftconfig::wasm::WasmEngine;
  emscripten::class_<WasmEngine>("Engine")
      .constructor<>()
      .function("load", &WasmEngine::Load)
      .function("recommendBytes", &WasmEngine::RecommendBytes)
      .function("estimate", &WasmEngine::Estimate)
      .function("catalog", &WasmEngine::Catalog)
      .function("status", &WasmEngine::StatusJson);
  emscripten::function("version", &ftconfig::wasm::Version);
}

#pragma clang attribute pop
