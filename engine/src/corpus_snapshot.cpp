// The corpus snapshot: the normalized records and pipeline statistics of a
// built Corpus in a compact columnar JSON form (one array per record, field
// order given once), so a start-up path that cannot afford to re-parse and
// re-normalize the raw JSONL (the WebAssembly engine in a browser) loads the
// same records directly. Corpus::FromSnapshot(corpus.ToSnapshot()) yields
// records equal to the original, field for field.
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "corpus_snapshot_internal.h"
#include "ftconfig/corpus.h"
#include "ftconfig/limits.h"
#include "outline.h"

// Runs once per engine or once per answer: optimized for size in WebAssembly (outline.h).
FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN

namespace ftconfig {

namespace internal {

const char* RecordOutOfRange(const ConfigRecord& r, const char** expected) {
  auto out = [&](const char* field, const char* range) {
    *expected = range;
    return field;
  };
  if (!(r.learning_rate >= 1e-8 && r.learning_rate <= 0.01)) return out("learning_rate", "between 1e-8 and 0.01");
  if (r.batch_size_per_device < 1 || r.batch_size_per_device > 4096)
    return out("batch_size_per_device", "between 1 and 4096");
  if (r.gradient_accumulation_steps < 1 || r.gradient_accumulation_steps > 4096)
    return out("gradient_accumulation_steps", "between 1 and 4096");
  if (r.num_gpus < 1 || r.num_gpus > 100000) return out("num_gpus", "between 1 and 100000");
  if (r.effective_batch_size < 1 || r.effective_batch_size > kMaxEffectiveBatchSize ||
      static_cast<long long>(r.effective_batch_size) !=
          static_cast<long long>(r.batch_size_per_device) * r.gradient_accumulation_steps * r.num_gpus)
    return out("effective_batch_size",
               "batch_size_per_device x gradient_accumulation_steps x num_gpus, at most 1048576");
  if (r.model_params_b && !(*r.model_params_b > 0 && *r.model_params_b <= 2000))
    return out("model_params_b", "in (0, 2000] or null");
  if (r.lora_r && (*r.lora_r < 0 || *r.lora_r > 4096)) return out("lora_r", "between 0 and 4096 or null");
  if (r.lora_alpha && *r.lora_alpha < 0) return out("lora_alpha", "non-negative or null");
  if (r.lora_dropout && !(*r.lora_dropout >= 0 && *r.lora_dropout < 1)) return out("lora_dropout", "in [0, 1) or null");
  if (r.max_seq_length && (*r.max_seq_length < 16 || *r.max_seq_length > 2000000))
    return out("max_seq_length", "between 16 and 2000000 or null");
  if (r.num_epochs && !(*r.num_epochs > 0 && *r.num_epochs <= 1000)) return out("num_epochs", "in (0, 1000] or null");
  if (r.max_steps && *r.max_steps < 0) return out("max_steps", "non-negative or null");
  if (r.dataset_size && !(*r.dataset_size > 0)) return out("dataset_size", "positive or null");
  if (!(r.weight > 0 && r.weight <= 1)) return out("weight", "in (0, 1]");
  return nullptr;
}

}  // namespace internal

namespace {

constexpr const char* kFormat = "ftconfig-corpus-snapshot";
constexpr int kFormatVersion = 1;

json Put(const std::string& v) { return v; }
json Put(const SharedString& v) { return v.str(); }
json Put(int v) { return v; }
json Put(double v) { return v; }
template <typename T>
json Put(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

// Readers: an Error names the record and field ("corpus_snapshot.rows[12].learning_rate").
// Out of line (outline.h): the row reader calls one per field.
FTCONFIG_NOINLINE bool Get(const json& j, std::string& out) {
  if (!j.is_string()) return false;
  out = j.get_ref<const std::string&>();
  return true;
}
FTCONFIG_NOINLINE bool Get(const json& j, SharedString& out) {
  if (!j.is_string()) return false;
  out = j.get_ref<const std::string&>();
  return true;
}
FTCONFIG_NOINLINE bool Get(const json& j, int& out) {
  if (!j.is_number_integer()) return false;
  auto v = j.get<long long>();
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) return false;
  out = static_cast<int>(v);
  return true;
}
FTCONFIG_NOINLINE bool Get(const json& j, double& out) {
  if (!j.is_number()) return false;
  out = j.get<double>();
  return std::isfinite(out);
}
FTCONFIG_NOINLINE bool Get(const json& j, bool& out) {
  if (!j.is_boolean()) return false;
  out = j.get<bool>();
  return true;
}
template <typename T>
FTCONFIG_NOINLINE bool Get(const json& j, std::optional<T>& out) {
  if (j.is_null()) {
    out.reset();
    return true;
  }
  T v{};
  if (!Get(j, v)) return false;
  out = std::move(v);
  return true;
}

const char* TypeName(const std::string&) { return "a string"; }
const char* TypeName(const SharedString&) { return "a string"; }
const char* TypeName(int) { return "an integer"; }
const char* TypeName(double) { return "a finite number"; }
const char* TypeName(const std::optional<int>&) { return "an integer or null"; }
const char* TypeName(const std::optional<double>&) { return "a finite number or null"; }
const char* TypeName(const std::optional<bool>&) { return "true or false or null"; }

FTCONFIG_COLD Error SnapshotError(const std::string& field, const std::string& expected) {
  return Error{ErrorCode::kDataError, "corpus_snapshot." + field, "corpus snapshot: " + field + " must be " + expected};
}

// rows[i] (field null) or rows[i].field.
FTCONFIG_COLD Error RowError(size_t i, const char* field, const std::string& expected) {
  std::string where = "rows[" + std::to_string(i) + "]";
  if (field) where += std::string(".") + field;
  return SnapshotError(where, expected);
}

// Appends row i to *records; false with *error set when a value is missing,
// of the wrong type or out of range.
FTCONFIG_NOINLINE bool ReadRow(const json& row, size_t i, size_t width, std::vector<ConfigRecord>* records,
                               Error* error) {
  if (!row.is_array() || row.size() != width) {
    *error = RowError(i, nullptr, "an array of " + std::to_string(width) + " values");
    return false;
  }
  const json::array_t& v = row.get_ref<const json::array_t&>();
  ConfigRecord& r = records->emplace_back();
  size_t k = 0;
  const char* bad = nullptr;
  const char* expected = nullptr;
#define FTCONFIG_GET(f)                                            \
  if (!bad && !Get(v[k], r.f)) bad = #f, expected = TypeName(r.f); \
  ++k;
  FTCONFIG_RECORD_FIELDS(FTCONFIG_GET)
#undef FTCONFIG_GET
  if (!bad) bad = internal::RecordOutOfRange(r, &expected);
  if (!bad) return true;
  records->pop_back();
  *error = RowError(i, bad, expected);
  return false;
}

// Corpus::learned() in a snapshot: {"lora_alpha_ratio", "qlora_alpha_ratio",
// "rule_agreement": {task: [configurations, agreeing]}}.
json LearnedJson(const CorpusLearned& l) {
  json agreement = json::object();
  for (const auto& [task, counts] : l.rule_agreement) agreement[task] = {counts.first, counts.second};
  auto schedule = [](const LearnedSchedule& x) {
    return json{{"scheduler", x.scheduler}, {"warmup_ratio", x.warmup_ratio}, {"optimizer", x.optimizer}};
  };
  return {{"lora_alpha_ratio", l.lora_alpha_ratio},
          {"qlora_alpha_ratio", l.qlora_alpha_ratio},
          {"rule_agreement", agreement},
          {"adapter_schedule", schedule(l.adapter_schedule)},
          {"full_schedule", schedule(l.full_schedule)}};
}

// j[key] as one of `allowed` into *out; false when absent, not a string or another value.
template <size_t N>
bool ReadOneOf(const json& j, const char* key, const std::array<std::string_view, N>& allowed, std::string* out) {
  if (!j.contains(key) || !j[key].is_string()) return false;
  const std::string& v = j[key].get_ref<const std::string&>();
  if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) return false;
  *out = v;
  return true;
}

template <size_t N>
std::string OneOf(const std::array<std::string_view, N>& allowed) {
  std::string s = "one of";
  for (size_t i = 0; i < N; ++i) s += std::string(i ? ", " : " ") + std::string(allowed[i]);
  return s;
}

// learned.<key>: {"scheduler" and "optimizer": ones the engine serves, "warmup_ratio": 0 to 0.1}.
Result<LearnedSchedule> ReadSchedule(const json& learned, const char* key) {
  const std::string where = std::string("learned.") + key;
  if (!learned.contains(key) || !learned[key].is_object()) return SnapshotError(where, "an object");
  const json& j = learned[key];
  LearnedSchedule out;
  if (!ReadOneOf(j, "scheduler", LearnedSchedule::kSchedulers, &out.scheduler))
    return SnapshotError(where + ".scheduler", OneOf(LearnedSchedule::kSchedulers));
  if (!j.contains("warmup_ratio") || !Get(j["warmup_ratio"], out.warmup_ratio) || out.warmup_ratio < 0 ||
      out.warmup_ratio > LearnedSchedule::kMaxWarmupRatio)
    return SnapshotError(where + ".warmup_ratio", "a number from 0 to 0.1");
  if (!ReadOneOf(j, "optimizer", LearnedSchedule::kOptimizers, &out.optimizer))
    return SnapshotError(where + ".optimizer", OneOf(LearnedSchedule::kOptimizers));
  return out;
}

// Reads "learned" (optional: only distilled corpora carry it).
Result<std::optional<CorpusLearned>> ReadLearned(const json& snap) {
  if (!snap.contains("learned")) return std::optional<CorpusLearned>();
  const json& j = snap["learned"];
  if (!j.is_object()) return SnapshotError("learned", "an object");
  CorpusLearned l;
  for (auto [key, out] : {std::pair<const char*, int*>{"lora_alpha_ratio", &l.lora_alpha_ratio},
                          {"qlora_alpha_ratio", &l.qlora_alpha_ratio}})
    if (!j.contains(key) || !Get(j[key], *out) || (*out != 1 && *out != 2))
      return SnapshotError(std::string("learned.") + key, "1 or 2");
  if (!j.contains("rule_agreement") || !j["rule_agreement"].is_object())
    return SnapshotError("learned.rule_agreement", "an object of [configurations, agreeing] by task");
  for (const auto& [task, counts] : j["rule_agreement"].items()) {
    double n = 0, k = 0;
    if (task.empty() || task.size() > kMaxNameLength || !counts.is_array() || counts.size() != 2 ||
        !Get(counts[0], n) || !Get(counts[1], k) || !(k >= 0 && k <= n && n <= 1e9))
      return SnapshotError("learned.rule_agreement", "[configurations, agreeing] with 0 <= agreeing <= configurations "
                                                     "<= 1e9 under task names of 1-" + std::to_string(kMaxNameLength) +
                                                     " characters");
    l.rule_agreement[task] = {n, k};
  }
  FTCONFIG_ASSIGN_OR_RETURN(adapter_schedule, ReadSchedule(j, "adapter_schedule"));
  FTCONFIG_ASSIGN_OR_RETURN(full_schedule, ReadSchedule(j, "full_schedule"));
  l.adapter_schedule = std::move(adapter_schedule);
  l.full_schedule = std::move(full_schedule);
  return std::optional<CorpusLearned>(std::move(l));
}

}  // namespace

json Corpus::ToSnapshot() const {
  json fields = json::array();
#define FTCONFIG_NAME(f) fields.push_back(#f);
  FTCONFIG_RECORD_FIELDS(FTCONFIG_NAME)
#undef FTCONFIG_NAME
  json rows = json::array();
  for (const auto& r : records_) {
    json row = json::array();
#define FTCONFIG_PUT(f) row.push_back(Put(r.f));
    FTCONFIG_RECORD_FIELDS(FTCONFIG_PUT)
#undef FTCONFIG_PUT
    rows.push_back(std::move(row));
  }
  const CorpusStats& s = stats_;
  json stats = {{"files_loaded", s.files_loaded},
                {"files_skipped", s.files_skipped},
                {"rows_read", s.rows_read},
                {"rows_rejected", s.rows_rejected},
                {"rows_duplicate", s.rows_duplicate},
                {"rows_accepted", s.rows_accepted},
                {"rejected_by_reason", s.rejected_by_reason},
                {"accepted_by_source", s.accepted_by_source},
                {"warnings", s.warnings}};
  json snap = {{"format", kFormat}, {"format_version", kFormatVersion}, {"fields", fields}, {"stats", stats},
               {"rows", rows}};
  if (learned_) snap["learned"] = LearnedJson(*learned_);
  return snap;
}

Result<Corpus> Corpus::FromSnapshot(const json& snap) {
  if (!snap.is_object() || snap.value("format", std::string()) != kFormat)
    return SnapshotError("format", std::string("\"") + kFormat + "\" (an object made by `ftconfig corpus snapshot`)");
  if (!snap.contains("format_version") || !snap["format_version"].is_number_integer() ||
      snap["format_version"].get<long long>() != kFormatVersion)
    return SnapshotError("format_version", std::to_string(kFormatVersion) +
                                               " (rebuild the snapshot with this version of ftconfig)");
  // The field list must be exactly this build's: a snapshot from another
  // version is refused rather than read with fields shifted.
  json expected = json::array();
#define FTCONFIG_NAME(f) expected.push_back(#f);
  FTCONFIG_RECORD_FIELDS(FTCONFIG_NAME)
#undef FTCONFIG_NAME
  if (!snap.contains("fields") || snap["fields"] != expected)
    return SnapshotError("fields", "this build's record field list " + expected.dump());
  const size_t width = expected.size();

  Corpus c;
  const json* stats = snap.contains("stats") ? &snap["stats"] : nullptr;
  if (!stats || !stats->is_object()) return SnapshotError("stats", "an object");
  auto get_int = [&](const char* key, int& out) -> bool {
    return stats->contains(key) && Get((*stats)[key], out);
  };
  CorpusStats& s = c.stats_;
  for (auto [key, out] : {std::pair<const char*, int*>{"files_loaded", &s.files_loaded},
                          {"files_skipped", &s.files_skipped},
                          {"rows_read", &s.rows_read},
                          {"rows_rejected", &s.rows_rejected},
                          {"rows_duplicate", &s.rows_duplicate},
                          {"rows_accepted", &s.rows_accepted}})
    if (!get_int(key, *out) || *out < 0) return SnapshotError(std::string("stats.") + key, "a non-negative integer");
  for (const char* key : {"rejected_by_reason", "accepted_by_source"}) {
    auto& m = std::string(key) == "rejected_by_reason" ? s.rejected_by_reason : s.accepted_by_source;
    if (!stats->contains(key) || !(*stats)[key].is_object())
      return SnapshotError(std::string("stats.") + key, "an object of counts");
    for (const auto& [k, v] : (*stats)[key].items()) {
      int n = 0;
      if (!Get(v, n) || n < 0) return SnapshotError(std::string("stats.") + key + "." + k, "a non-negative integer");
      m[k] = n;
    }
  }
  if (!stats->contains("warnings") || !(*stats)["warnings"].is_array())
    return SnapshotError("stats.warnings", "an array of strings");
  for (const auto& w : (*stats)["warnings"]) {
    if (!w.is_string()) return SnapshotError("stats.warnings", "an array of strings");
    s.warnings.push_back(w.get<std::string>());
  }

  if (!snap.contains("rows") || !snap["rows"].is_array()) return SnapshotError("rows", "an array of records");
  const json& rows = snap["rows"];
  c.records_.reserve(rows.size());
  Error error;
  for (size_t i = 0; i < rows.size(); ++i)
    if (!ReadRow(rows[i], i, width, &c.records_, &error)) return error;
  if (c.records_.empty()) return SnapshotError("rows", "a non-empty array of records");
  if (static_cast<size_t>(s.rows_accepted) != c.records_.size())
    return SnapshotError("stats.rows_accepted", "the number of rows (" + std::to_string(c.records_.size()) + ")");
  FTCONFIG_ASSIGN_OR_RETURN(learned, ReadLearned(snap));
  c.learned_ = std::move(learned);
  return c;
}

}  // namespace ftconfig

FTCONFIG_OPTIMIZE_FOR_SIZE_END
