// Catalog summaries for pickers (the site's form, the widget's attributes):
// what a person chooses from, not everything the engine knows.
#ifndef FTCONFIG_WASM_CATALOG_JSON_H_
#define FTCONFIG_WASM_CATALOG_JSON_H_

#include <string>

#include <nlohmann/json.hpp>

#include "ftconfig/catalog.h"

namespace ftconfig::wasm {

// [{id, name, vendor, architecture, compute_capability, vram_gb, usable_vram_gb,
//   bf16, flash_attention2, bnb_4bit, cuda, tier}], in catalog order.
nlohmann::json GpusJson(const Catalog& catalog);
// [{id, name, kind, plans: [{id, name, gpu, gpu_count, session_limit_hours,
//   price_per_gpu_hour_usd, price_date, notes}]}], in catalog order.
nlohmann::json PlatformsJson(const Catalog& catalog);
// [{id, label, corpus_supported}].
nlohmann::json TasksJson(const Catalog& catalog);
// Models matching `query` (id, name or alias; case, spaces, '-', '_' and '/'
// ignored): exact matches first, then prefixes, then substrings, each group in
// catalog order; with no match, the closest names by edit distance. An empty
// query lists the catalog. At most `limit` entries (limit <= 0: no limit).
// Each: {id, name, family, params_b, architecture, is_moe, num_experts,
// experts_per_token, num_layers, hidden_size, max_position_embeddings, match}
// where match is "exact" | "prefix" | "substring" | "closest" | "all".
nlohmann::json ModelsJson(const Catalog& catalog, const std::string& query, int limit);

}  // namespace ftconfig::wasm

#endif  // FTCONFIG_WASM_CATALOG_JSON_H_
