// Plan requests: the recommendation fields a plan keeps, and its constraints,
// each bad field an error naming it (docs/planning.md, "Request").
#include <cmath>
#include <cstdio>

#include "ftconfig/frameworks.h"
#include "ftconfig/json_text.h"
#include "ftconfig/limits.h"
#include "ftconfig/plan.h"
#include "json_fast.h"
#include "json_util.h"
#include "outline.h"

FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN

namespace ftconfig {

namespace {

const char* const kConstraintFields[] = {"budget_usd", "deadline_hours", "platforms", "exclude_platforms",
                                         "min_gpus",   "max_gpus",       "adapters",  "frameworks",
                                         "objective"};

// Fields of a recommendation request that a plan chooses itself.
const char* const kChosenByPlan[] = {"platform", "plan", "gpu", "gpu_override", "num_gpus"};

Error Invalid(const std::string& field, const std::string& message) {
  return Error{ErrorCode::kInvalidValue, field, "\"" + field + "\" " + message};
}

Error WrongType(const std::string& field, const char* expected) {
  return Error{ErrorCode::kInvalidType, field, "\"" + field + "\" must be " + expected};
}

std::optional<Error> ReadNumber(const json& c, const char* key, double min, double max, bool integer,
                                std::optional<double>* out) {
  auto it = c.find(key);
  if (it == c.end() || it->is_null()) return std::nullopt;
  const std::string field = std::string("constraints.") + key;
  if (!it->is_number()) return WrongType(field, integer ? "an integer" : "a number");
  double d = it->get<double>();
  if (!std::isfinite(d) || d < min || d > max || (integer && std::floor(d) != d)) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "must be %s from %g to %g", integer ? "an integer" : "a number", min, max);
    return Invalid(field, buf);
  }
  *out = d;
  return std::nullopt;
}

// A list of names: an array of at most kMaxPlanListLength strings of at most kMaxNameLength bytes.
std::optional<Error> ReadNames(const json& c, const char* key, std::vector<std::string>* out) {
  auto it = c.find(key);
  if (it == c.end() || it->is_null()) return std::nullopt;
  const std::string field = std::string("constraints.") + key;
  if (!it->is_array()) return WrongType(field, "an array of strings");
  if (it->size() > kMaxPlanListLength)
    return Invalid(field, "has more than " + std::to_string(kMaxPlanListLength) + " entries");
  for (size_t i = 0; i < it->size(); ++i) {
    const json& v = (*it)[i];
    const std::string item = field + "[" + std::to_string(i) + "]";
    if (!v.is_string()) return WrongType(item, "a string");
    if (v.get_ref<const std::string&>().size() > kMaxNameLength)
      return Invalid(item, "is longer than " + std::to_string(kMaxNameLength) + " bytes");
    out->push_back(internal::Trim(v.get<std::string>()));
  }
  return std::nullopt;
}

// Platform names become ids; an unknown one is an error naming its entry.
std::optional<Error> ResolvePlatforms(const Catalog& catalog, const char* key, std::vector<std::string>* names) {
  for (size_t i = 0; i < names->size(); ++i) {
    auto p = catalog.FindPlatform((*names)[i]);
    if (!p.ok()) {
      Error e = p.error();
      e.field = std::string("constraints.") + key + "[" + std::to_string(i) + "]";
      return e;
    }
    (*names)[i] = p.value()->id;
  }
  return std::nullopt;
}

std::optional<Error> ResolveAdapters(std::vector<std::string>* adapters) {
  for (size_t i = 0; i < adapters->size(); ++i) {
    std::string a = internal::Lower((*adapters)[i]);
    if (a == "full") a = "none";
    if (a != "none" && a != "lora" && a != "qlora")
      return Invalid("constraints.adapters[" + std::to_string(i) + "]",
                     "must be \"none\" (full fine-tuning), \"lora\" or \"qlora\"");
    (*adapters)[i] = a;
  }
  return std::nullopt;
}

std::optional<Error> ResolveFrameworks(std::vector<std::string>* frameworks) {
  for (size_t i = 0; i < frameworks->size(); ++i) {
    const FrameworkProfile* f = FindFramework((*frameworks)[i]);
    if (!f)
      return Invalid("constraints.frameworks[" + std::to_string(i) + "]",
                     "is not a known framework (hf-trainer, unsloth, axolotl, llama-factory, torchtune, litgpt, pytorch)");
  }
  return std::nullopt;
}

Result<PlanConstraints> ParseConstraints(const json& c, const Catalog& catalog) {
  PlanConstraints out;
  if (c.is_null()) return out;
  if (!c.is_object()) return WrongType("constraints", "an object");
  for (const auto& [key, value] : c.items()) {
    bool known = false;
    for (const char* f : kConstraintFields) known = known || key == f;
    if (!known)
      return Error{ErrorCode::kUnknownField, "constraints." + key,
                   "unknown constraint \"" + key + "\"; accepted: budget_usd, deadline_hours, platforms, "
                   "exclude_platforms, min_gpus, max_gpus, adapters, frameworks, objective"};
  }
#define FT_TRY(expr) \
  if (auto err_ = (expr)) return *err_
  FT_TRY(ReadNumber(c, "budget_usd", 0, 1e7, false, &out.budget_usd));
  FT_TRY(ReadNumber(c, "deadline_hours", 0.01, 1e5, false, &out.deadline_hours));
  std::optional<double> gpus;
  FT_TRY(ReadNumber(c, "min_gpus", 1, 1024, true, &gpus));
  if (gpus) out.min_gpus = static_cast<int>(*gpus);
  gpus.reset();
  FT_TRY(ReadNumber(c, "max_gpus", 1, 1024, true, &gpus));
  if (gpus) out.max_gpus = static_cast<int>(*gpus);
  if (out.min_gpus > out.max_gpus) return Invalid("constraints.min_gpus", "must be at most constraints.max_gpus");
  FT_TRY(ReadNames(c, "platforms", &out.platforms));
  FT_TRY(ResolvePlatforms(catalog, "platforms", &out.platforms));
  FT_TRY(ReadNames(c, "exclude_platforms", &out.exclude_platforms));
  FT_TRY(ResolvePlatforms(catalog, "exclude_platforms", &out.exclude_platforms));
  FT_TRY(ReadNames(c, "adapters", &out.adapters));
  FT_TRY(ResolveAdapters(&out.adapters));
  FT_TRY(ReadNames(c, "frameworks", &out.frameworks));
  FT_TRY(ResolveFrameworks(&out.frameworks));
  if (auto it = c.find("objective"); it != c.end() && !it->is_null()) {
    if (!it->is_string()) return WrongType("constraints.objective", "a string");
    std::string o = internal::Lower(internal::Trim(it->get<std::string>().substr(0, kMaxNameLength + 1)));
    if (o != "cost" && o != "time" && o != "risk" && o != "balanced")
      return Invalid("constraints.objective", "must be \"cost\", \"time\", \"risk\" or \"balanced\"");
    out.objective = o;
  }
#undef FT_TRY
  return out;
}

}  // namespace

Result<PlanRequest> ParsePlanRequest(const std::string& text, const Catalog& catalog) {
  json j = internal::ParseJson(text);
  if (j.is_discarded())
    return Error{ErrorCode::kInvalidJson, "",
                 "the plan request is not valid JSON (expected one JSON object): " + JsonSyntaxError(text)};
  return ParsePlanRequest(j, catalog);
}

Result<PlanRequest> ParsePlanRequest(const json& j, const Catalog& catalog) {
  if (!j.is_object()) return Error{ErrorCode::kInvalidType, "", "the plan request must be a JSON object"};
  for (const char* f : kChosenByPlan)
    if (j.contains(f) && !j[f].is_null())
      return Invalid(f, "is chosen by the plan: limit the choice with constraints.platforms, "
                        "constraints.exclude_platforms, constraints.min_gpus and constraints.max_gpus instead");
  if (catalog.gpus().empty()) return Error{ErrorCode::kDataError, "gpus", "the catalog has no GPUs"};
  PlanRequest out;
  out.base_json = j;
  out.base_json.erase("constraints");
  // The request parser needs a target; the plan replaces it for every option.
  json parse = out.base_json;
  parse["gpu_override"] = catalog.gpus().front().id;
  FTCONFIG_ASSIGN_OR_RETURN(base, ParseRequest(parse));
  base.gpu_override.clear();
  out.base = std::move(base);
  auto it = j.find("constraints");
  FTCONFIG_ASSIGN_OR_RETURN(constraints, ParseConstraints(it == j.end() ? json(nullptr) : *it, catalog));
  out.constraints = std::move(constraints);
  if (out.constraints.adapters.empty()) out.constraints.adapters.push_back(out.base.adapter_type);
  if (out.constraints.frameworks.empty()) out.constraints.frameworks.push_back(out.base.framework);
  return out;
}

}  // namespace ftconfig

FTCONFIG_OPTIMIZE_FOR_SIZE_END
