#include "telemetry_event.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <random>

namespace ftconfig::telemetry {

namespace {

// One field of the event schema (docs/telemetry.md).
struct FieldSpec {
  const char* name;
  enum Kind { kString, kInteger, kNumber, kBool, kObject, kArray } kind;
  bool required;
  bool nullable;
  double min = -1e300;
  double max = 1e300;
  std::vector<std::string> one_of = {};
  std::size_t max_len = 4096;
};

const char* KindName(FieldSpec::Kind k) {
  switch (k) {
    case FieldSpec::kString: return "a string";
    case FieldSpec::kInteger: return "an integer";
    case FieldSpec::kNumber: return "a number";
    case FieldSpec::kBool: return "true or false";
    case FieldSpec::kObject: return "an object";
    case FieldSpec::kArray: return "an array";
  }
  return "?";
}

constexpr double kBig = 1e300;

// docs/telemetry.md (schema_version 1): the notebook's run_start and
// run_complete, plus the events the companion and the browser add
// (feedback, recommendation, interaction; docs/telemetry.md, "Companion").
// Fields not listed here are kept as they are (readers ignore unknown fields).

// Fields every event carries.
const std::vector<FieldSpec>& EnvelopeFields() {
  static const std::vector<FieldSpec> f = {
      {"schema_version", FieldSpec::kInteger, true, false, 1, kBig},
      {"event", FieldSpec::kString, true, false},
      {"event_id", FieldSpec::kString, true, false, 0, kBig, {}, 36},
      {"timestamp", FieldSpec::kString, true, false, 0, kBig, {}, 40},
      {"source", FieldSpec::kString, true, false, 0, kBig, {"notebook", "script", "cli", "browser"}},
      {"run_id", FieldSpec::kString, false, false, 0, kBig, {}, 36},
      {"engine_version", FieldSpec::kString, false, false, 0, kBig, {}, 64},
      {"fingerprint", FieldSpec::kString, false, false, 0, kBig, {}, 16},
      // What a run or a rating refers to (the learning brain joins on it) and
      // the model slot and version that served it (canary health).
      {"recommendation_event_id", FieldSpec::kString, false, false, 0, kBig, {}, 36},
      {"model_slot", FieldSpec::kString, false, true, 0, kBig, {}, 64},
      {"model_version", FieldSpec::kString, false, true, 0, kBig, {}, 128},
  };
  return f;
}

const std::vector<std::string> kRunOutcomes = {"success", "oom", "error", "interrupted"};
const std::vector<std::string> kFeedbackOutcomes = {"success", "failed", "oom"};

// Fields per event (beyond the envelope).
const std::map<std::string, std::vector<FieldSpec>>& EventFields() {
  static const std::map<std::string, std::vector<FieldSpec>> t = {
      {"run_start",
       {
           {"run_id", FieldSpec::kString, true, false, 0, kBig, {}, 36},
           {"fingerprint", FieldSpec::kString, true, false, 0, kBig, {}, 16},
           {"engine_version", FieldSpec::kString, true, false, 0, kBig, {}, 64},
           {"recommendation", FieldSpec::kObject, true, false},
           {"environment", FieldSpec::kObject, false, false},
       }},
      {"run_complete",
       {
           {"run_id", FieldSpec::kString, true, false, 0, kBig, {}, 36},
           {"fingerprint", FieldSpec::kString, true, false, 0, kBig, {}, 16},
           {"engine_version", FieldSpec::kString, true, false, 0, kBig, {}, 64},
           {"outcome", FieldSpec::kString, true, false, 0, kBig, kRunOutcomes},
           // The doc says "number"; the notebook writes null when run_start was never recorded.
           {"wall_time_s", FieldSpec::kNumber, false, true, 0, kBig},
           {"train_time_s", FieldSpec::kNumber, false, true, 0, kBig},
           {"peak_memory_allocated_bytes", FieldSpec::kInteger, false, true, 0, kBig},
           {"peak_memory_reserved_bytes", FieldSpec::kInteger, false, true, 0, kBig},
           {"peak_memory_allocated_gb", FieldSpec::kNumber, false, true, 0, kBig},
           {"peak_memory_reserved_gb", FieldSpec::kNumber, false, true, 0, kBig},
           {"predicted_per_gpu_gb", FieldSpec::kNumber, false, true, 0, kBig},
           {"tokens_seen", FieldSpec::kInteger, false, true, 0, kBig},
           {"tokens_per_sec", FieldSpec::kNumber, false, true, 0, kBig},
           {"tokens_per_sec_method", FieldSpec::kString, false, true, 0, kBig,
            {"input_tokens_seen", "upper_bound_full_sequences"}},
           {"global_step", FieldSpec::kInteger, false, false, 0, kBig},
           {"final_loss", FieldSpec::kNumber, false, true},
           {"train_loss", FieldSpec::kNumber, false, true},
           {"eval_loss", FieldSpec::kNumber, false, true},
           {"error", FieldSpec::kObject, false, true},
       }},
      {"feedback",
       {
           {"rating", FieldSpec::kInteger, false, true, 1, 5},
           {"outcome", FieldSpec::kString, false, true, 0, kBig, kFeedbackOutcomes},
           {"notes", FieldSpec::kString, false, true, 0, kBig, {}, 2000},
       }},
      {"recommendation",
       {
           {"request", FieldSpec::kObject, true, false},
           {"response", FieldSpec::kObject, false, false},
           {"strategy", FieldSpec::kString, false, false, 0, kBig, {}, 64},
       }},
      {"interaction",
       {
           {"action", FieldSpec::kString, true, false, 0, kBig, {"used", "saved", "rated", "dismissed"}},
           {"rating", FieldSpec::kInteger, false, false, 1, 5},
           {"label", FieldSpec::kNumber, false, false, 0, 1},
       }},
  };
  return t;
}

bool IsHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// 8-4-4-4-12 hex digits.
bool IsUuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !IsHex(s[i])) return false;
  }
  return true;
}

int DaysInMonth(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// UTC as ISO 8601: YYYY-MM-DDTHH:MM:SS[.fraction](Z|+00:00); impossible dates
// such as 2026-02-31 are refused.
bool IsIso8601Utc(const std::string& s) {
  auto digits = [&](size_t pos, size_t n) {
    if (pos + n > s.size()) return false;
    for (size_t i = pos; i < pos + n; ++i)
      if (s[i] < '0' || s[i] > '9') return false;
    return true;
  };
  if (!(digits(0, 4) && s.size() > 19 && s[4] == '-' && digits(5, 2) && s[7] == '-' && digits(8, 2) &&
        (s[10] == 'T' || s[10] == 't' || s[10] == ' ') && digits(11, 2) && s[13] == ':' && digits(14, 2) &&
        s[16] == ':' && digits(17, 2)))
    return false;
  int month = std::stoi(s.substr(5, 2)), day = std::stoi(s.substr(8, 2));
  int hour = std::stoi(s.substr(11, 2)), minute = std::stoi(s.substr(14, 2)), second = std::stoi(s.substr(17, 2));
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(std::stoi(s.substr(0, 4)), month) || hour > 23 ||
      minute > 59 || second > 60)
    return false;
  size_t p = 19;
  if (p < s.size() && s[p] == '.') {
    size_t q = p + 1;
    while (q < s.size() && s[q] >= '0' && s[q] <= '9') ++q;
    if (q == p + 1) return false;
    p = q;
  }
  if (p < s.size() && (s[p] == 'Z' || s[p] == 'z')) return p + 1 == s.size();
  return s.compare(p, std::string::npos, "+00:00") == 0 || s.compare(p, std::string::npos, "-00:00") == 0;
}

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

// Whole numbers JSON integers can hold exactly (|d| <= 2^53). Checked before
// any cast: casting 1e20 to long long is undefined (UBSan aborted on it).
bool IsExactInteger(double d) { return std::isfinite(d) && std::floor(d) == d && std::fabs(d) <= 9007199254740992.0; }

std::string Num(double d) {
  if (IsExactInteger(d)) return std::to_string(static_cast<long long>(d));
  return json(d).dump();
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
  return out;
}

Result<bool> CheckField(const json& ev, const FieldSpec& f) {
  const std::string name = f.name;
  if (!ev.contains(name)) {
    if (f.required) return Error{ErrorCode::kMissingField, name, "required: " + std::string(KindName(f.kind))};
    return true;
  }
  const json& v = ev[name];
  if (v.is_null()) {
    if (f.nullable) return true;
    return Error{ErrorCode::kInvalidType, name, "must be " + std::string(KindName(f.kind)) + ", not null"};
  }
  bool type_ok = false;
  switch (f.kind) {
    case FieldSpec::kString: type_ok = v.is_string(); break;
    case FieldSpec::kInteger:
      type_ok = v.is_number_integer() || (v.is_number_float() && IsExactInteger(v.get<double>()));
      break;
    case FieldSpec::kNumber: type_ok = v.is_number(); break;
    case FieldSpec::kBool: type_ok = v.is_boolean(); break;
    case FieldSpec::kObject: type_ok = v.is_object(); break;
    case FieldSpec::kArray: type_ok = v.is_array(); break;
  }
  if (!type_ok) return Error{ErrorCode::kInvalidType, name, "must be " + std::string(KindName(f.kind))};
  if (v.is_number()) {
    double d = v.get<double>();
    if (!(d >= f.min && d <= f.max))  // also refuses NaN
      return Error{ErrorCode::kInvalidValue, name,
                   "out of range: " + v.dump() +
                       (f.max < kBig ? " (expected " + Num(f.min) + " to " + Num(f.max) + ")"
                                     : " (expected " + Num(f.min) + " or more)")};
  }
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s.size() > f.max_len)
      return Error{ErrorCode::kInvalidValue, name, "longer than " + std::to_string(f.max_len) + " characters"};
    if (!f.one_of.empty() && std::find(f.one_of.begin(), f.one_of.end(), s) == f.one_of.end())
      return Error{ErrorCode::kInvalidValue, name, Quote(s) + " is not one of " + Join(f.one_of)};
  }
  return true;
}

// Bounded depth keeps a hostile event from exhausting the stack on dump().
bool DepthAtMost(const json& j, int depth) {
  if (depth < 0) return false;
  if (j.is_object() || j.is_array())
    for (const auto& c : j)
      if (!DepthAtMost(c, depth - 1)) return false;
  return true;
}

}  // namespace

constexpr std::size_t kMaxEventBytes = 64 * 1024;

const std::vector<std::string>& EventTypes() {
  static const std::vector<std::string> types = [] {
    std::vector<std::string> v;
    for (const auto& [t, _] : EventFields()) v.push_back(t);
    return v;
  }();
  return types;
}

double InteractionLabel(const std::string& action, int rating) {
  if (action == "used") return 1.0;
  if (action == "saved") return 0.8;
  if (action == "dismissed") return 0.0;
  return 0.1 + 0.225 * (rating - 1);  // rated: 1 -> 0.1 ... 5 -> 1.0
}

Result<Event> ValidateEvent(const json& in) {
  if (!in.is_object()) return Error{ErrorCode::kInvalidType, "event", "an event must be a JSON object"};
  if (!DepthAtMost(in, 16)) return Error{ErrorCode::kInvalidValue, "event", "nested deeper than 16 levels"};
  json ev = in;
  for (const auto& f : EnvelopeFields())
    if (auto r = CheckField(ev, f); !r.ok()) return r.error();
  // Integers written as 3.0 are stored as 3: the same event always stores the same bytes.
  auto integral = [&ev](const char* name) {
    if (ev.contains(name) && ev[name].is_number_float()) ev[name] = static_cast<long long>(ev[name].get<double>());
  };
  integral("schema_version");
  // Compared as a number: get<int>() stored 4294967297 as 1.
  const double version = ev["schema_version"].get<double>();
  if (version > kEventSchemaVersion)
    return Error{ErrorCode::kUnsupported, "schema_version",
                 "schema_version " + Num(version) + " is newer than this ftconfig reads (" +
                     std::to_string(kEventSchemaVersion) + "): upgrade ftconfig"};
  const std::string type = ev["event"].get<std::string>();
  auto spec = EventFields().find(type);
  if (spec == EventFields().end())
    return Error{ErrorCode::kInvalidValue, "event", Quote(type) + " is not one of " + Join(EventTypes())};
  for (const auto& f : spec->second) {
    if (auto r = CheckField(ev, f); !r.ok()) return r.error();
    if (f.kind == FieldSpec::kInteger) integral(f.name);
  }
  const std::string id = ev["event_id"].get<std::string>();
  if (!IsUuid(id))
    return Error{ErrorCode::kInvalidValue, "event_id", Quote(id) + " is not a UUID (8-4-4-4-12 hex digits)"};
  for (const char* uuid_field : {"run_id", "recommendation_event_id"})
    if (ev.contains(uuid_field) && !IsUuid(ev[uuid_field].get<std::string>()))
      return Error{ErrorCode::kInvalidValue, uuid_field, "not a UUID (8-4-4-4-12 hex digits)"};
  const std::string ts = ev["timestamp"].get<std::string>();
  if (!IsIso8601Utc(ts))
    return Error{ErrorCode::kInvalidValue, "timestamp",
                 Quote(ts) + " is not an ISO 8601 UTC time, e.g. 2026-05-01T12:00:00.123456+00:00 or ...Z"};
  std::string fingerprint;
  if (ev.contains("fingerprint")) {
    fingerprint = ev["fingerprint"].get<std::string>();
    if (fingerprint.size() != 16 || !std::all_of(fingerprint.begin(), fingerprint.end(), IsHex))
      return Error{ErrorCode::kInvalidValue, "fingerprint", "not 16 hex digits (FNV-1a 64, see docs/exports.md)"};
  }
  if (type == "feedback" || type == "interaction") {
    if (!ev.contains("fingerprint") && !ev.contains("recommendation_event_id"))
      return Error{ErrorCode::kMissingField, "fingerprint",
                   type + " must name its recommendation: fingerprint or recommendation_event_id"};
  }
  if (type == "feedback") {
    auto given = [&ev](const char* k) { return ev.contains(k) && !ev[k].is_null(); };
    if (!given("rating") && !given("outcome") && !given("notes"))
      return Error{ErrorCode::kMissingField, "rating", "feedback needs at least one of rating, outcome, notes"};
  }
  if (type == "interaction") {
    const std::string action = ev["action"].get<std::string>();
    if (action == "rated" && !ev.contains("rating"))
      return Error{ErrorCode::kMissingField, "rating", "a \"rated\" interaction needs its rating (1 to 5)"};
    if (action != "rated" && ev.contains("rating"))
      return Error{ErrorCode::kInvalidValue, "rating", "only a \"rated\" interaction carries a rating"};
    double expected = InteractionLabel(action, ev.contains("rating") ? ev["rating"].get<int>() : 0);
    if (!ev.contains("label")) {
      ev["label"] = std::round(expected * 1000) / 1000;
    } else if (action != "rated" && std::fabs(ev["label"].get<double>() - expected) > 1e-9) {
      return Error{ErrorCode::kInvalidValue, "label",
                   "a \"" + action + "\" interaction has label " + Num(expected) + " (used 1.0, saved 0.8, dismissed 0)"};
    } else if (action == "rated" && ev["label"].get<double>() < 0.1) {
      return Error{ErrorCode::kInvalidValue, "label", "a rating maps to a label from 0.1 to 1.0"};
    }
  }
  std::string body = ev.dump();
  if (body.size() > kMaxEventBytes)
    return Error{ErrorCode::kInvalidValue, "event",
                 "larger than " + std::to_string(kMaxEventBytes / 1024) + " KiB once encoded"};
  Event e;
  e.event_id = id;
  e.type = type;
  e.schema_version = version;
  e.timestamp = ts;
  e.fingerprint = fingerprint;
  e.compact = std::move(body);
  e.body = std::move(ev);
  return e;
}

std::string NewEventId() {
  static thread_local std::mt19937_64 rng(std::random_device{}() ^
                                          static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::uint64_t hi = rng(), lo = rng();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48), static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

std::string NowIso8601() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

const std::vector<std::string>& RecordTypes() {
  static const std::vector<std::string> t = {"run-start", "run-complete", "feedback"};
  return t;
}

const std::vector<RecordFlag>& RecordFlags() {
  static const std::vector<RecordFlag> f = {
      {"--event-id", "event_id", RecordFlag::kString, "Event id, a UUID (default: a new one)"},
      {"--timestamp", "timestamp", RecordFlag::kString, "ISO 8601 UTC time (default: now)"},
      {"--run-id", "run_id", RecordFlag::kString, "UUID shared by a run's run-start and run-complete (run-start: new by default)"},
      {"--fingerprint", "fingerprint", RecordFlag::kString, "Recommendation fingerprint (16 hex digits)"},
      {"--source", "source", RecordFlag::kString, "notebook | script | cli | browser (default: cli)"},
      {"--engine-version", "engine_version", RecordFlag::kString, "Engine that made the recommendation (default: this one)"},
      {"--outcome", "outcome", RecordFlag::kString,
       "run-complete: success | oom | error | interrupted; feedback: success | failed | oom"},
      {"--wall-time-s", "wall_time_s", RecordFlag::kNumber, "Seconds from run start, loading included"},
      {"--train-time-s", "train_time_s", RecordFlag::kNumber, "Seconds inside training"},
      {"--peak-allocated-bytes", "peak_memory_allocated_bytes", RecordFlag::kInteger, "torch.cuda.max_memory_allocated()"},
      {"--peak-reserved-bytes", "peak_memory_reserved_bytes", RecordFlag::kInteger, "torch.cuda.max_memory_reserved()"},
      {"--peak-allocated-gb", "peak_memory_allocated_gb", RecordFlag::kNumber, "Peak allocated, decimal GB"},
      {"--peak-reserved-gb", "peak_memory_reserved_gb", RecordFlag::kNumber, "Peak reserved, decimal GB"},
      {"--predicted-per-gpu-gb", "predicted_per_gpu_gb", RecordFlag::kNumber, "The estimate to compare with"},
      {"--tokens-seen", "tokens_seen", RecordFlag::kInteger, "Tokens trained on"},
      {"--tokens-per-sec", "tokens_per_sec", RecordFlag::kNumber, "Training throughput, all GPUs"},
      {"--global-step", "global_step", RecordFlag::kInteger, "Optimizer steps completed"},
      {"--final-loss", "final_loss", RecordFlag::kNumber, "Last logged training loss"},
      {"--rating", "rating", RecordFlag::kInteger, "feedback: rating 1-5"},
      {"--notes", "notes", RecordFlag::kString, "feedback: free text (at most 2000 characters)"},
      {"--recommendation-event-id", "recommendation_event_id", RecordFlag::kString,
       "feedback: event_id of the recommendation it is about"},
  };
  return f;
}

Result<json> FillRecordDefaults(json ev, const std::string& type, const std::string& engine_version) {
  std::string event = type;
  std::replace(event.begin(), event.end(), '-', '_');
  if (ev.contains("event") && ev["event"] != event)
    return Error{ErrorCode::kInvalidValue, "event",
                 "the event says " + ev["event"].dump() + " but the command records " + Quote(event)};
  ev["event"] = event;
  if (!ev.contains("schema_version")) ev["schema_version"] = kEventSchemaVersion;
  if (!ev.contains("event_id")) ev["event_id"] = NewEventId();
  if (!ev.contains("timestamp")) ev["timestamp"] = NowIso8601();
  if (!ev.contains("source")) ev["source"] = "cli";
  if (!ev.contains("engine_version") && !engine_version.empty()) ev["engine_version"] = engine_version;
  if (event == "run_start" && !ev.contains("run_id")) ev["run_id"] = NewEventId();
  return ev;
}

}  // namespace ftconfig::telemetry
