#include "ftconfig/catalog.h"
#include "ftconfig/limits.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "json_util.h"
#include "ftconfig/json_text.h"
#include "ftconfig/memory.h"
#include "json_fast.h"
#include "outline.h"

// Runs once per engine or once per answer: optimized for size in WebAssembly (outline.h).
FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN

namespace ftconfig {

using internal::Bool;
using internal::Find;
using internal::Num;
using internal::NumOr;
using internal::Str;

const char* ToString(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidJson: return "invalid_json";
    case ErrorCode::kInvalidType: return "invalid_type";
    case ErrorCode::kInvalidValue: return "invalid_value";
    case ErrorCode::kMissingField: return "missing_field";
    case ErrorCode::kUnknownField: return "unknown_field";
    case ErrorCode::kUnknownPlatform: return "unknown_platform";
    case ErrorCode::kUnknownPlan: return "unknown_plan";
    case ErrorCode::kUnknownGpu: return "unknown_gpu";
    case ErrorCode::kUnknownModel: return "unknown_model";
    case ErrorCode::kUnknownTask: return "unknown_task";
    case ErrorCode::kDataError: return "data_error";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kInternal: return "internal";
  }
  return "internal";
}

namespace internal {
size_t EditDistanceAtMost(const std::string& a, const std::string& b, size_t limit) {
  if ((a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) > limit) return limit + 1;
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    size_t row_min = cur[0];
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min > limit) return limit + 1;  // every later row is at least this
    std::swap(prev, cur);
  }
  return std::min(prev[b.size()], limit + 1);
}

size_t EditDistance(const std::string& a, const std::string& b) {
  return EditDistanceAtMost(a, b, std::numeric_limits<size_t>::max() - 1);
}
}  // namespace internal

std::string NormalizeKey(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c == ' ' || c == '_' || c == '-' || c == '/' || c == '\t') continue;
    out.push_back(static_cast<char>(std::tolower(c)));
  }
  return out;
}

namespace {

std::vector<std::string> Strings(const json& j, const char* key) {
  std::vector<std::string> out;
  const json* v = Find(j, key);
  if (!v) return out;
  if (v->is_string()) out.push_back(v->get<std::string>());
  if (v->is_array())
    for (const auto& e : *v)
      if (e.is_string()) out.push_back(e.get<std::string>());
  return out;
}

Result<json> ParseFile(const std::string& text, const std::string& file, const char* list_key) {
  json j = internal::ParseJson(text);
  if (j.is_discarded())
    return Error{ErrorCode::kInvalidJson, file, file + " is not valid JSON: " + JsonSyntaxError(text)};
  if (list_key && (!j.is_object() || !j.contains(list_key) || !j[list_key].is_array()))
    return Error{ErrorCode::kDataError, file,
                 file + " must be an object with an array \"" + list_key + "\""};
  return j;
}

Error EntryError(const std::string& file, size_t i, const std::string& what) {
  return Error{ErrorCode::kDataError, file + "[" + std::to_string(i) + "]", file + " entry " +
                                                                                 std::to_string(i) + ": " + what};
}

// Registers `keys` for index `idx`; a key already taken by another entry is a
// data error (aliases must be unambiguous).
std::optional<Error> Index(std::map<std::string, size_t>& index, const std::vector<std::string>& keys,
                           size_t idx, const std::string& file) {
  for (const auto& k : keys) {
    std::string key = NormalizeKey(k);
    if (key.empty()) continue;
    auto [it, inserted] = index.emplace(key, idx);
    if (!inserted && it->second != idx)
      return EntryError(file, idx, "alias \"" + k + "\" is already used by entry " + std::to_string(it->second));
  }
  return std::nullopt;
}

// Appends an entry found under its aliases, its id and `also` (its name).
template <typename T>
std::optional<Error> Append(T entry, const std::vector<std::string>& also, std::map<std::string, size_t>& index,
                            std::vector<T>& items, const std::string& file) {
  std::vector<std::string> keys = entry.aliases;
  keys.push_back(entry.id);
  keys.insert(keys.end(), also.begin(), also.end());
  if (auto err = Index(index, keys, items.size(), file)) return err;
  items.push_back(std::move(entry));
  return std::nullopt;
}

template <typename T>
std::vector<std::string> Closest(const std::vector<T>& items, const std::string& query, size_t n) {
  // Bounded work: edit distance costs |query| x |name|, and a 10 KB name took
  // seconds (natively and in WebAssembly). Longer queries are compared by
  // their first kMaxFuzzyQueryLength bytes.
  std::string q = NormalizeKey(query.substr(0, 4 * kMaxFuzzyQueryLength));
  if (q.size() > kMaxFuzzyQueryLength) q.resize(kMaxFuzzyQueryLength);
  std::vector<std::pair<size_t, std::string>> scored;
  if (n == 0) return {};
  std::vector<size_t> top;  // the n smallest scores so far, ascending: later items must beat top.back()
  for (const auto& item : items) {
    const size_t bound = top.size() < n ? std::numeric_limits<size_t>::max() / 2 : top.back();
    const std::string id_key = NormalizeKey(item.id);
    size_t best = internal::EditDistanceAtMost(q, id_key, bound);
    for (const auto& a : item.aliases)
      best = std::min(best, internal::EditDistanceAtMost(q, NormalizeKey(a), std::min(best, bound)));
    // A substring match is a strong hint ("llama-3-8b" inside an id).
    if (!q.empty() && id_key.find(q) != std::string::npos) best = std::min<size_t>(best, 1);
    scored.emplace_back(best, item.id);  // scores above `bound` are inexact but never in the first n
    top.insert(std::upper_bound(top.begin(), top.end(), best), best);
    if (top.size() > n) top.pop_back();
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && out.size() < n; ++i) out.push_back(scored[i].second);
  return out;
}

std::string JoinQuoted(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", \"" : "\"") + v[i] + "\"";
  return s;
}

}  // namespace

namespace {

Result<Gpu> GpuEntry(const json& e, const std::string& file, size_t i) {
  Gpu g;
  g.id = Str(e, "id");
  g.name = Str(e, "name");
  if (g.id.empty() || g.name.empty()) return EntryError(file, i, "needs \"id\" and \"name\"");
  g.aliases = Strings(e, "aliases");
  g.vendor = Str(e, "vendor");
  g.architecture = Str(e, "architecture");
  g.compute_capability = NumOr(e, "compute_capability", 0);
  g.vram_gb = NumOr(e, "vram_gb", 0);
  g.usable_vram_gb = NumOr(e, "usable_vram_gb", g.vram_gb * 0.93);
  if (g.vram_gb <= 0) return EntryError(file, i, "\"vram_gb\" must be a positive number");
  g.bf16 = Bool(e, "bf16").value_or(false);
  g.flash_attention2 = Bool(e, "flash_attention2").value_or(false);
  g.bnb_4bit = Bool(e, "bnb_4bit").value_or(false);
  g.cuda = Bool(e, "cuda").value_or(true);
  g.peak_tflops_fp16 = Num(e, "peak_tflops_fp16");
  g.peak_tflops_bf16 = Num(e, "peak_tflops_bf16");
  g.peak_tflops_fp32 = Num(e, "peak_tflops_fp32");
  g.bandwidth_gbps = Num(e, "bandwidth_gbps");
  g.tier = Str(e, "tier");
  if (const json* s = Find(e, "source")) g.source = *s;
  return g;
}

Plan PlanEntry(const json& pe) {
  Plan plan;
  plan.id = Str(pe, "id");
  plan.name = Str(pe, "name", plan.id);
  plan.aliases = Strings(pe, "aliases");
  plan.gpu = Str(pe, "gpu");
  plan.gpu_count = static_cast<int>(NumOr(pe, "gpu_count", 1));
  plan.session_limit_hours = Num(pe, "session_limit_hours");
  plan.price_per_gpu_hour_usd = Num(pe, "price_per_gpu_hour_usd");
  plan.price_date = Str(pe, "price_date");
  plan.price_source = Str(pe, "price_source");
  plan.weekly_quota_hours = Num(pe, "weekly_quota_hours");
  plan.notes = Str(pe, "notes");
  return plan;
}

Result<Model> ModelEntry(const json& e, const std::string& file, size_t i) {
  Model m;
  m.id = Str(e, "id");
  m.name = Str(e, "name", m.id);
  m.family = Str(e, "family");
  m.aliases = Strings(e, "aliases");
  ModelArch& a = m.arch;
  a.params_b = NumOr(e, "params_b", 0);
  if (m.id.empty() || a.params_b <= 0) return EntryError(file, i, "needs \"id\" and a positive \"params_b\"");
  a.hidden_size = static_cast<int>(NumOr(e, "hidden_size", 0));
  a.intermediate_size = static_cast<int>(NumOr(e, "intermediate_size", 0));
  a.num_layers = static_cast<int>(NumOr(e, "num_layers", 0));
  a.num_attention_heads = static_cast<int>(NumOr(e, "num_attention_heads", 0));
  a.num_kv_heads = static_cast<int>(NumOr(e, "num_kv_heads", a.num_attention_heads));
  a.head_dim = static_cast<int>(NumOr(e, "head_dim", a.num_attention_heads ? a.hidden_size / a.num_attention_heads : 0));
  a.vocab_size = static_cast<int>(NumOr(e, "vocab_size", 0));
  a.max_position_embeddings = static_cast<int>(NumOr(e, "max_position_embeddings", 0));
  a.vision_params_b = NumOr(e, "vision_params_b", 0);
  if (a.vision_params_b < 0 || a.vision_params_b > a.params_b)
    return EntryError(file, i, "\"vision_params_b\" must be between 0 and params_b");
  a.tie_word_embeddings = Bool(e, "tie_word_embeddings").value_or(false);
  a.is_moe = Bool(e, "is_moe").value_or(false);
  a.num_experts = static_cast<int>(NumOr(e, "num_experts", 0));
  a.experts_per_token = static_cast<int>(NumOr(e, "experts_per_token", 0));
  a.experts_linear = Bool(e, "experts_linear").value_or(true);
  a.gated_mlp = Bool(e, "gated_mlp").value_or(true);
  a.architecture = Str(e, "architecture", "decoder");
  a.layer_type = LayerTypeOf(m.id);
  if (a.hidden_size <= 0 || a.num_layers <= 0)
    return EntryError(file, i, "model \"" + m.id + "\" needs hidden_size and num_layers");
  return m;
}

}  // namespace

std::optional<Error> Catalog::LoadGpus(const std::string& text) {
  const std::string file = "catalog/gpus.json";
  FTCONFIG_ASSIGN_OR_RETURN(j, ParseFile(text, file, "gpus"));
  const json& list = j["gpus"];
  for (size_t i = 0; i < list.size(); ++i) {
    FTCONFIG_ASSIGN_OR_RETURN(g, GpuEntry(list[i], file, i));
    const std::string name = g.name;  // read before the entry moves
    if (auto err = Append(std::move(g), {name}, gpu_index_, gpus_, file)) return err;
  }
  return std::nullopt;
}

std::optional<Error> Catalog::LoadPlatforms(const std::string& text) {
  const std::string file = "catalog/platforms.json";
  FTCONFIG_ASSIGN_OR_RETURN(j, ParseFile(text, file, "platforms"));
  const json& list = j["platforms"];
  for (size_t i = 0; i < list.size(); ++i) {
    const json& e = list[i];
    Platform p;
    p.id = Str(e, "id");
    p.name = Str(e, "name", p.id);
    p.kind = Str(e, "kind", "cloud");
    p.aliases = Strings(e, "aliases");
    if (p.id.empty()) return EntryError(file, i, "needs \"id\"");
    const json* plans = Find(e, "plans");
    if (!plans || !plans->is_array() || plans->empty())
      return EntryError(file, i, "platform \"" + p.id + "\" needs a non-empty \"plans\" array");
    for (const auto& pe : *plans) {
      Plan plan = PlanEntry(pe);
      if (plan.id.empty()) return EntryError(file, i, "a plan of \"" + p.id + "\" has no \"id\"");
      if (!plan.gpu.empty() && !GpuById(plan.gpu))
        return EntryError(file, i, "plan \"" + p.id + "/" + plan.id + "\" names unknown gpu \"" + plan.gpu + "\"");
      if (plan.gpu_count < 1) return EntryError(file, i, "plan \"" + plan.id + "\" needs gpu_count >= 1");
      p.plans.push_back(std::move(plan));
    }
    const std::string name = p.name;
    if (auto err = Append(std::move(p), {name}, platform_index_, platforms_, file)) return err;
  }
  return std::nullopt;
}

std::optional<Error> Catalog::LoadModels(const std::string& text) {
  const std::string file = "catalog/models.json";
  FTCONFIG_ASSIGN_OR_RETURN(j, ParseFile(text, file, "models"));
  const json& list = j["models"];
  for (size_t i = 0; i < list.size(); ++i) {
    FTCONFIG_ASSIGN_OR_RETURN(m, ModelEntry(list[i], file, i));
    if (auto err = Append(std::move(m), {}, model_index_, models_, file)) return err;
  }
  return std::nullopt;
}

std::optional<Error> Catalog::LoadStacks(const std::string& text) {
  const std::string file = "catalog/stacks.json";
  FTCONFIG_ASSIGN_OR_RETURN(j, ParseFile(text, file, "stacks"));
  const json& list = j["stacks"];
  for (size_t i = 0; i < list.size(); ++i) {
    const json& e = list[i];
    Stack s;
    s.id = Str(e, "id");
    s.label = Str(e, "label", s.id);
    if (s.id.empty()) return EntryError(file, i, "needs \"id\"");
    if (const json* match = Find(e, "match")) {
      s.min_cc = NumOr(*match, "min_cc", 0);
      s.max_cc = Num(*match, "max_cc");
      s.platforms = Strings(*match, "platforms");
    }
    s.requires_flash_attention2 = Bool(e, "requires_flash_attention2").value_or(false);
    s.pins = e;
    stacks_.push_back(std::move(s));
  }
  return std::nullopt;
}

std::optional<Error> Catalog::LoadTasks(const std::string& text) {
  const std::string file = "catalog/tasks.json";
  FTCONFIG_ASSIGN_OR_RETURN(j, ParseFile(text, file, "tasks"));
  for (const auto& e : j["tasks"]) {
    TaskType t;
    t.id = Str(e, "id");
    t.label = Str(e, "label", t.id);
    t.corpus_supported = Bool(e, "corpus_supported").value_or(true);
    if (t.id.empty()) return Error{ErrorCode::kDataError, file, file + ": a task has no \"id\""};
    task_alias_[NormalizeKey(t.id)] = t.id;
    tasks_.push_back(std::move(t));
  }
  if (const json* aliases = Find(j, "aliases"); aliases && aliases->is_object()) {
    for (const auto& [alias, target] : aliases->items()) {
      if (!target.is_string() || !TaskById(target.get<std::string>()))
        return Error{ErrorCode::kDataError, file, file + ": alias \"" + alias + "\" maps to an unknown task"};
      task_alias_.emplace(NormalizeKey(alias), target.get<std::string>());
    }
  }
  return std::nullopt;
}

std::optional<Error> Catalog::LoadDatasets(const std::string& text) {
  const std::string file = "catalog/datasets.json";
  FTCONFIG_ASSIGN_OR_RETURN(j, ParseFile(text, file, "datasets"));
  for (const auto& e : j["datasets"]) {
    DatasetInfo d;
    d.name = Str(e, "name");
    d.aliases = Strings(e, "aliases");
    d.num_examples = Num(e, "num_examples");
    d.avg_tokens = Num(e, "avg_tokens");
    if (d.name.empty()) continue;
    size_t idx = datasets_.size();
    dataset_index_.emplace(NormalizeKey(d.name), idx);
    for (const auto& a : d.aliases) dataset_index_.emplace(NormalizeKey(a), idx);
    datasets_.push_back(std::move(d));
  }
  if (const json* b = Find(j, "size_buckets")) {
    small_max_ = NumOr(*b, "small_max", small_max_);
    medium_max_ = NumOr(*b, "medium_max", medium_max_);
  }
  return std::nullopt;
}

Result<Catalog> Catalog::Load(const CatalogFiles& files) {
  Catalog c;
  if (auto e = c.LoadGpus(files.gpus)) return *e;
  if (auto e = c.LoadPlatforms(files.platforms)) return *e;  // after the GPUs its plans name
  if (auto e = c.LoadModels(files.models)) return *e;
  if (auto e = c.LoadStacks(files.stacks)) return *e;
  if (auto e = c.LoadTasks(files.tasks)) return *e;
  if (!files.datasets.empty())  // optional file
    if (auto e = c.LoadDatasets(files.datasets)) return *e;
  if (c.gpus_.empty() || c.platforms_.empty() || c.models_.empty() || c.tasks_.empty())
    return Error{ErrorCode::kDataError, "catalog", "the catalog needs at least one GPU, platform, model and task"};
  return c;
}

const Gpu* Catalog::GpuById(const std::string& id) const {
  for (const auto& g : gpus_)
    if (g.id == id) return &g;
  return nullptr;
}

namespace {

// A memory size for a sentence: "80", "141".
std::string Fmt0(double gb) { return std::to_string(static_cast<long long>(gb + 0.5)); }

// Vendor and product-line words people add or leave out.
std::string StripGpuVendor(std::string key) {
  for (int pass = 0; pass < 2; ++pass)
    for (const char* prefix : {"nvidia", "tesla", "geforce", "quadro"}) {
      std::string p(prefix);
      if (key.rfind(p, 0) == 0) key = key.substr(p.size());
    }
  return key;
}

// "NVIDIA A10G 24GB (g5.2xlarge)" -> "NVIDIA A10G 24GB ": remarks in
// parentheses (instance names, "memory size not stated") dropped.
std::string DropParentheses(const std::string& s) {
  std::string out;
  int depth = 0;
  for (char ch : s) {
    if (ch == '(') ++depth;
    else if (ch == ')') depth = std::max(0, depth - 1);
    else if (depth == 0) out.push_back(ch);
  }
  return out;
}

// Words of a GPU name, lower case, split at anything not a letter or digit.
std::vector<std::string> GpuWords(const std::string& s) {
  std::vector<std::string> words(1);
  for (unsigned char c : s) {
    if (std::isalnum(c)) words.back().push_back(static_cast<char>(std::tolower(c)));
    else if (!words.back().empty()) words.emplace_back();
  }
  if (words.back().empty()) words.pop_back();
  return words;
}

// A memory size word ("80gb", "24g") or a number followed by "gb"; returns
// the GB (0 when `words[i]` is not one) and how many words it spans.
double MemoryWord(const std::vector<std::string>& words, size_t i, size_t* span) {
  const std::string& w = words[i];
  size_t digits = 0;
  while (digits < w.size() && std::isdigit(static_cast<unsigned char>(w[digits]))) ++digits;
  if (digits == 0 || digits > 4) return 0;
  std::string rest = w.substr(digits);
  *span = 1;
  if (rest.empty() && i + 1 < words.size() && words[i + 1] == "gb") *span = 2;
  else if (rest != "gb" && rest != "g") return 0;
  return std::stod(w.substr(0, digits));
}

// The name without its memory size, as a lookup key ("A100 80GB" -> "a100"),
// and the size it stated (0 when none).
std::string SizelessGpuKey(const std::string& name, double* stated_gb) {
  std::vector<std::string> words = GpuWords(DropParentheses(name));
  std::string key;
  *stated_gb = 0;
  for (size_t i = 0; i < words.size(); ++i) {
    size_t span = 0;
    double gb = MemoryWord(words, i, &span);
    if (gb > 0) {
      *stated_gb = gb;
      i += span - 1;
      continue;
    }
    // Memory technology says nothing the catalog keys on ("HBM2e", "GDDR6X").
    if (words[i].rfind("hbm", 0) == 0 || words[i].rfind("gddr", 0) == 0) continue;
    key += words[i];
  }
  return StripGpuVendor(key);
}

}  // namespace

const Gpu* Catalog::LookupGpuKey(const std::string& raw_key) const {
  if (raw_key.empty()) return nullptr;
  auto it = gpu_index_.find(raw_key);
  if (it == gpu_index_.end()) it = gpu_index_.find(StripGpuVendor(raw_key));
  return it == gpu_index_.end() ? nullptr : &gpus_[it->second];
}

// The card with more memory sold under the same name as `g`, if any.
const Gpu* Catalog::LargerGpuOfSameName(const Gpu& g, const std::string& sizeless_key) const {
  for (const auto& other : gpus_) {
    if (&other == &g || other.vram_gb <= g.vram_gb) continue;
    for (const auto& alias : other.aliases) {
      double gb = 0;
      if (SizelessGpuKey(alias, &gb) == sizeless_key && gb > 0) return &other;
    }
  }
  return nullptr;
}

Result<const Gpu*> Catalog::FindGpu(const std::string& name, const std::string& field, std::string* note) const {
  if (note) note->clear();
  constexpr size_t kMaxGpuName = 200;
  const std::string shown = name.substr(0, kMaxGpuName);
  const Gpu* g = nullptr;
  double stated = 0;
  std::string sizeless;
  if (name.size() <= kMaxGpuName) {
    g = LookupGpuKey(NormalizeKey(name));
    if (!g) g = LookupGpuKey(NormalizeKey(DropParentheses(name)));
    sizeless = SizelessGpuKey(name, &stated);
    if (!g && stated > 0) {
      // A size the catalog has no card for ("H100 96GB"): the catalog's card of
      // that name, when it has no more memory than stated (the safe side).
      const Gpu* base = LookupGpuKey(sizeless);
      if (base && base->vram_gb <= stated) {
        g = base;
        if (note)
          *note = "GPU \"" + shown + "\": no " + Fmt0(stated) + " GB card in the catalog; " + base->name + " (" +
                  Fmt0(base->vram_gb) + " GB) used";
      }
    }
  }
  if (g && stated == 0 && note) {
    if (const Gpu* larger = LargerGpuOfSameName(*g, sizeless))
      *note = "GPU \"" + shown + "\" does not say its memory: the " + Fmt0(g->vram_gb) + " GB card assumed (" +
              larger->name + " has " + Fmt0(larger->vram_gb) + " GB)";
  }
  if (g) return g;
  auto close = ClosestGpuNames(shown);
  return Error{ErrorCode::kUnknownGpu, field,
               "unknown GPU \"" + shown + "\"; closest known: " + JoinQuoted(close) +
                   " (ftconfig catalog gpus lists all)"};
}

Result<const Platform*> Catalog::FindPlatform(const std::string& name) const {
  auto it = platform_index_.find(NormalizeKey(name));
  if (it != platform_index_.end()) return &platforms_[it->second];
  std::vector<std::string> ids;
  for (const auto& p : platforms_) ids.push_back(p.id);
  return Error{ErrorCode::kUnknownPlatform, "platform",
               "unknown platform \"" + name + "\"; expected one of " + JoinQuoted(ids)};
}

Result<const Plan*> Catalog::FindPlan(const Platform& platform, const std::string& name) const {
  std::string key = NormalizeKey(name);
  for (const auto& plan : platform.plans) {
    if (NormalizeKey(plan.id) == key || NormalizeKey(plan.name) == key) return &plan;
    for (const auto& a : plan.aliases)
      if (NormalizeKey(a) == key) return &plan;
  }
  std::vector<std::string> ids;
  for (const auto& p : platform.plans) ids.push_back(p.id);
  return Error{ErrorCode::kUnknownPlan, "plan",
               "platform \"" + platform.id + "\" has no plan \"" + name + "\"; expected one of " + JoinQuoted(ids)};
}

const Model* Catalog::FindModel(const std::string& name) const { return MatchModel(name).model; }

namespace {

// Trailing words of a model name that name a fine-tune or a re-packaging of
// the same weights' architecture: chat / instruction tunes, release dates,
// quantized or converted checkpoints. Never a size or a version.
// What a trailing word of a model name (lower case) says: nothing (part of
// the model's own name), a variant, or a quantized checkpoint.
enum class WordKind { kName, kVariant, kQuantized };

WordKind VariantWordKind(const std::string& w) {
  static const std::pair<const char*, WordKind> kWords[] = {
      {"instruct", WordKind::kVariant}, {"chat", WordKind::kVariant},  {"it", WordKind::kVariant},
      {"base", WordKind::kVariant},     {"hf", WordKind::kVariant},    {"sft", WordKind::kVariant},
      {"dpo", WordKind::kVariant},      {"orpo", WordKind::kVariant},  {"pt", WordKind::kVariant},
      {"unsloth", WordKind::kVariant},  {"fp16", WordKind::kVariant},  {"bf16", WordKind::kVariant},
      {"mlx", WordKind::kVariant},      {"dynamic", WordKind::kVariant}, {"bnb", WordKind::kQuantized},
      {"4bit", WordKind::kQuantized},   {"8bit", WordKind::kQuantized}, {"gptq", WordKind::kQuantized},
      {"awq", WordKind::kQuantized},    {"gguf", WordKind::kQuantized}, {"int4", WordKind::kQuantized},
      {"int8", WordKind::kQuantized},   {"nf4", WordKind::kQuantized}, {"fp8", WordKind::kQuantized},
      {"exl2", WordKind::kQuantized}};
  for (const auto& [word, kind] : kWords)
    if (w == word) return kind;
  // A release date: 2407, 2501, 2503 (Mistral), 0628 (Qwen-VL style).
  const bool date = w.size() == 4 && std::all_of(w.begin(), w.end(), [](char c) { return c >= '0' && c <= '9'; });
  return date ? WordKind::kVariant : WordKind::kName;
}

// The name's last path part split at '-', '_', ' ' (dots stay: "3.1").
std::vector<std::string> NameWords(const std::string& name) {
  std::string base = name.substr(name.rfind('/') == std::string::npos ? 0 : name.rfind('/') + 1);
  std::vector<std::string> words;
  std::string cur;
  for (unsigned char c : base) {
    if (c == '-' || c == '_' || c == ' ' || c == '\t') {
      if (!cur.empty()) words.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(static_cast<char>(c));
    }
  }
  if (!cur.empty()) words.push_back(cur);
  return words;
}

std::string LowerWord(std::string w) {
  for (char& c : w) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return w;
}

}  // namespace

ModelMatch Catalog::MatchModel(const std::string& name) const {
  ModelMatch m;
  auto lookup = [&](const std::string& key) -> const Model* {
    auto it = model_index_.find(key);
    return it == model_index_.end() ? nullptr : &models_[it->second];
  };
  if ((m.model = lookup(NormalizeKey(name)))) return m;
  // "org/Name" where only "Name" is known (forks, mirrors, unsloth/ copies).
  std::vector<std::string> words = NameWords(name);
  std::string joined;
  for (const auto& w : words) joined += w;
  if (name.find('/') != std::string::npos && (m.model = lookup(NormalizeKey(joined)))) return m;
  // Variant words dropped from the end, one at a time, until a name matches.
  for (WordKind kind; words.size() > 1 && (kind = VariantWordKind(LowerWord(words.back()))) != WordKind::kName;) {
    m.dropped.insert(m.dropped.begin(), words.back());
    m.prequantized = m.prequantized || kind == WordKind::kQuantized;
    words.pop_back();
    joined.clear();
    for (const auto& w : words) joined += w;
    if ((m.model = lookup(NormalizeKey(joined)))) return m;
  }
  return ModelMatch{};
}

std::string ModelMatch::Note(const std::string& name) const {
  if (!model || dropped.empty()) return "";
  std::string words;
  for (const auto& w : dropped) words += (words.empty() ? "" : "-") + w;
  std::string note = "model \"" + name.substr(0, 200) + "\" is read as " + model->id + " (\"" + words +
                     "\" names a variant of the same architecture)";
  if (prequantized)
    note += "; a quantized checkpoint: adapters train on it as it is (like QLoRA), 16-bit LoRA or full "
            "fine-tuning needs the original weights (" + model->id + ")";
  return note;
}

std::string Catalog::CanonicalTask(const std::string& name) const {
  auto it = task_alias_.find(NormalizeKey(name));
  return it == task_alias_.end() ? std::string() : it->second;
}

const TaskType* Catalog::TaskById(const std::string& id) const {
  for (const auto& t : tasks_)
    if (t.id == id) return &t;
  return nullptr;
}

const DatasetInfo* Catalog::FindDataset(const std::string& name) const {
  auto it = dataset_index_.find(NormalizeKey(name));
  if (it != dataset_index_.end()) return &datasets_[it->second];
  auto slash = name.rfind('/');
  if (slash != std::string::npos) {
    it = dataset_index_.find(NormalizeKey(name.substr(slash + 1)));
    if (it != dataset_index_.end()) return &datasets_[it->second];
  }
  return nullptr;
}

const Stack* Catalog::SelectStack(const Gpu& gpu, const std::string& platform_id) const {
  if (!gpu.cuda) return nullptr;
  for (const auto& s : stacks_) {
    if (gpu.compute_capability + 1e-9 < s.min_cc) continue;
    if (s.max_cc && gpu.compute_capability > *s.max_cc + 1e-9) continue;
    if (!s.platforms.empty() &&
        std::find(s.platforms.begin(), s.platforms.end(), platform_id) == s.platforms.end())
      continue;
    return &s;
  }
  return nullptr;
}

std::vector<std::string> Catalog::ClosestGpuNames(const std::string& query, size_t n) const {
  return Closest(gpus_, query, n);
}

namespace {

// One "<number><b|m>" token of a name, with what touches it.
struct SizeToken {
  double billions = 0;
  char before = 0, after = 0;  // the characters around it (0 at the ends)
  std::string rest;            // the text after the token
};

std::vector<SizeToken> SizeTokens(const std::string& base) {
  std::vector<SizeToken> out;
  for (size_t i = 0; i < base.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(base[i]))) continue;
    if (i > 0 && (std::isdigit(static_cast<unsigned char>(base[i - 1])) || base[i - 1] == '.')) continue;
    size_t j = i;
    while (j < base.size() && (std::isdigit(static_cast<unsigned char>(base[j])) || base[j] == '.')) ++j;
    if (j >= base.size()) break;
    const char unit = static_cast<char>(std::tolower(static_cast<unsigned char>(base[j])));
    const char after = j + 1 < base.size() ? base[j + 1] : 0;
    if ((unit != 'b' && unit != 'm') || std::isalnum(static_cast<unsigned char>(after))) continue;
    SizeToken t;
    t.billions = std::strtod(base.substr(i, j - i).c_str(), nullptr) * (unit == 'm' ? 1e-3 : 1.0);
    t.before = i > 0 ? static_cast<char>(std::tolower(static_cast<unsigned char>(base[i - 1]))) : 0;
    t.after = after;
    t.rest = base.substr(j + 1);
    out.push_back(t);
  }
  return out;
}

// "-16E" / "_128e" after a size: an expert count, the size was an active one.
bool ExpertCountFollows(const std::string& rest) {
  size_t i = 0;
  while (i < rest.size() && (rest[i] == '-' || rest[i] == '_' || rest[i] == '.')) ++i;
  size_t j = i;
  while (j < rest.size() && std::isdigit(static_cast<unsigned char>(rest[j]))) ++j;
  return j > i && j < rest.size() && (rest[j] == 'e' || rest[j] == 'E') &&
         (j + 1 == rest.size() || !std::isalnum(static_cast<unsigned char>(rest[j + 1])));
}

}  // namespace

std::optional<double> NominalParamsFromName(const std::string& name) {
  if (name.size() > 256) return std::nullopt;
  const std::string base = name.substr(name.rfind('/') == std::string::npos ? 0 : name.rfind('/') + 1);
  for (const SizeToken& t : SizeTokens(base)) {
    if (t.before == 'x') return std::nullopt;                  // "8x22B"
    if (t.before == 'a' || t.before == 'e') continue;          // "A3B" active, "E2B" effective
    if (std::isalpha(static_cast<unsigned char>(t.before))) continue;  // part of a word ("v2b")
    if (ExpertCountFollows(t.rest)) return std::nullopt;       // "17B-16E"
    // The range model_params_b accepts (0.001-2,000 billion).
    if (t.billions < 0.001 || t.billions > 2000) return std::nullopt;
    return t.billions;
  }
  return std::nullopt;
}

std::vector<std::string> Catalog::ClosestModelNames(const std::string& query, size_t n) const {
  return Closest(models_, query, n);
}

}  // namespace ftconfig

FTCONFIG_OPTIMIZE_FOR_SIZE_END
