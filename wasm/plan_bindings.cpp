// The planning module (ftconfig-plan.wasm): planning across platforms, plans
// and GPU counts under a budget (ftconfig/plan.h), kept out of the main module
// so that the first recommendation downloads only what it needs. It holds an
// engine of its own, loaded with the same data as the main module's; api.js
// loads it on the first plan() call. One Embind table, at the end.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "engine_data.h"
#include "envelope.h"
#include "ftconfig/plan.h"
#include "ftconfig/recommend.h"

namespace ftconfig::wasm {
namespace {

using json = nlohmann::json;

// `load` once with the main engine's data, then `plan` any number of requests.
class Planner {
 public:
  std::string Load(emscripten::val data) {
    return Guard("load", [&] {
      auto created = EngineFromJs(data);
      if (!created.ok()) return Fail(created.error());
      engine_ = created.value();
      return Ok(json{{"loaded", true}});
    });
  }

  // Every option under the request's constraints, the Pareto front and the best option.
  std::string Plan(const std::string& request) const {
    return Guard("plan", [&] {
      if (!engine_) return Fail(ErrorCode::kUnsupported, "", "the planner has no data yet: call load() first");
      auto plan = PlanTraining(*engine_, request);
      if (!plan.ok()) return Fail(plan.error());
      return Ok(plan.value());
    });
  }

 private:
  std::shared_ptr<const Engine> engine_;
};

}  // namespace
}  // namespace ftconfig::wasm

EMSCRIPTEN_BINDINGS(ftconfig_plan) {
  emscripten::class_<ftconfig::wasm::Planner>("Planner")
      .constructor<>()
      .function("load", &ftconfig::wasm::Planner::Load)
      .function("plan", &ftconfig::wasm::Planner::Plan);
}
