#include "catalog_json.h"

#include <vector>

namespace ftconfig::wasm {
namespace {

using json = nlohmann::json;

json Optional(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json ModelJson(const Model& m, const char* match) {
  const ModelArch& a = m.arch;
  return json{{"id", m.id},
              {"name", m.name},
              {"family", m.family},
              {"params_b", a.params_b},
              {"architecture", a.architecture},
              {"is_moe", a.is_moe},
              {"num_experts", a.num_experts},
              {"experts_per_token", a.experts_per_token},
              {"experts_linear", a.experts_linear},
              {"num_layers", a.num_layers},
              {"hidden_size", a.hidden_size},
              {"max_position_embeddings", a.max_position_embeddings},
              {"match", match}};
}

}  // namespace

json GpusJson(const Catalog& catalog) {
  json out = json::array();
  for (const Gpu& g : catalog.gpus()) {
    out.push_back({{"id", g.id},
                   {"name", g.name},
                   {"vendor", g.vendor},
                   {"architecture", g.architecture},
                   {"compute_capability", g.compute_capability},
                   {"vram_gb", g.vram_gb},
                   {"usable_vram_gb", g.usable_vram_gb},
                   {"bf16", g.bf16},
                   {"flash_attention2", g.flash_attention2},
                   {"bnb_4bit", g.bnb_4bit},
                   {"cuda", g.cuda},
                   {"tier", g.tier}});
  }
  return out;
}

json PlatformsJson(const Catalog& catalog) {
  json out = json::array();
  for (const Platform& p : catalog.platforms()) {
    json plans = json::array();
    for (const Plan& plan : p.plans) {
      plans.push_back({{"id", plan.id},
                       {"name", plan.name},
                       {"gpu", plan.gpu},
                       {"gpu_count", plan.gpu_count},
                       {"session_limit_hours", Optional(plan.session_limit_hours)},
                       {"price_per_gpu_hour_usd", Optional(plan.price_per_gpu_hour_usd)},
                       {"price_date", plan.price_date},
                       {"notes", plan.notes}});
    }
    out.push_back({{"id", p.id}, {"name", p.name}, {"kind", p.kind}, {"plans", std::move(plans)}});
  }
  return out;
}

json TasksJson(const Catalog& catalog) {
  json out = json::array();
  for (const TaskType& t : catalog.tasks())
    out.push_back({{"id", t.id}, {"label", t.label}, {"corpus_supported", t.corpus_supported}});
  return out;
}

json ModelsJson(const Catalog& catalog, const std::string& query, int limit) {
  const auto& models = catalog.models();
  size_t cap = limit > 0 ? static_cast<size_t>(limit) : models.size();
  json out = json::array();
  std::string q = NormalizeKey(query);
  if (q.empty()) {
    for (size_t i = 0; i < models.size() && out.size() < cap; ++i) out.push_back(ModelJson(models[i], "all"));
    return out;
  }
  // 0 exact, 1 prefix, 2 substring, 3 none: the best over id, name and aliases.
  std::vector<int> rank(models.size(), 3);
  for (size_t i = 0; i < models.size(); ++i) {
    std::vector<std::string> keys = {models[i].id, models[i].name};
    keys.insert(keys.end(), models[i].aliases.begin(), models[i].aliases.end());
    for (const auto& k : keys) {
      std::string key = NormalizeKey(k);
      size_t at = key.find(q);
      int r = at == std::string::npos ? 3 : key == q ? 0 : at == 0 ? 1 : 2;
      if (r < rank[i]) rank[i] = r;
    }
  }
  static const char* const kMatch[] = {"exact", "prefix", "substring"};
  for (int r = 0; r < 3; ++r)
    for (size_t i = 0; i < models.size() && out.size() < cap; ++i)
      if (rank[i] == r) out.push_back(ModelJson(models[i], kMatch[r]));
  if (!out.empty()) return out;
  // A variant name (a fine-tune, a quantized copy) first: the model it names.
  const Model* variant = catalog.MatchModel(query).model;
  if (variant) out.push_back(ModelJson(*variant, "variant"));
  for (const auto& name : catalog.ClosestModelNames(query, std::min<size_t>(cap, 5)))
    if (const Model* m = catalog.FindModel(name); m && m != variant && out.size() < cap)
      out.push_back(ModelJson(*m, "closest"));
  return out;
}

}  // namespace ftconfig::wasm
