#include "retrain.h"
#include "train_data.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <sstream>

#include "ftconfig/memory.h"

namespace fs = std::filesystem;

namespace ftconfig::cli {

std::optional<double> ParseUtc(const std::string& s) {
  int y, mo, d, h, mi, sec;
  int n = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6) return std::nullopt;
  double frac = 0;
  size_t i = static_cast<size_t>(n);
  if (i < s.size() && s[i] == '.') {
    size_t j = i + 1;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
    frac = std::atof(s.substr(i, j - i).c_str());
    i = j;
  }
  std::string tz = s.substr(i);
  if (tz != "Z" && tz != "+00:00" && tz != "") return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return static_cast<double>(timegm(&tm)) + frac;
}

std::string IsoUtc(double t) {
  std::time_t s = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<std::vector<MeasuredRun>> ReadMeasuredRuns(const std::string& path) {
  std::error_code ec;
  if (path.empty() || !fs::is_regular_file(path, ec))
    return Error{ErrorCode::kInvalidValue, "--store", "telemetry store \"" + path + "\" does not exist"};
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Error{ErrorCode::kInvalidValue, "--store", "cannot open telemetry store \"" + path + "\": " + msg};
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* st = nullptr;
  const char* sql = "SELECT type, body FROM events WHERE type IN ('run_start', 'run_complete') ORDER BY seq";
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) {
    std::string msg = sqlite3_errmsg(db);
    sqlite3_close(db);
    return Error{ErrorCode::kInvalidValue, "--store",
                 "\"" + path + "\" is not an ftconfig telemetry store (" + msg + ")"};
  }
  std::map<std::string, json> starts;
  std::vector<json> completes;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    std::string type = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    const unsigned char* b = sqlite3_column_text(st, 1);
    json body = json::parse(b ? reinterpret_cast<const char*>(b) : "", nullptr, false);
    if (!body.is_object()) continue;
    std::string run = body.value("run_id", "");
    if (type == "run_start") {
      if (!run.empty()) starts[run] = body;
    } else {
      completes.push_back(body);
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  if (rc != SQLITE_DONE) return Error{ErrorCode::kInvalidValue, "--store", "reading \"" + path + "\" failed"};
  std::vector<MeasuredRun> out;
  for (auto& c : completes) {
    MeasuredRun r;
    r.run_id = c.value("run_id", "");
    r.outcome = c.value("outcome", "");
    r.completed_at_text = c.value("timestamp", "");
    r.completed_at = ParseUtc(r.completed_at_text).value_or(0);
    auto it = starts.find(r.run_id);
    if (it != starts.end()) r.start = it->second;
    r.complete = std::move(c);
    out.push_back(std::move(r));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const MeasuredRun& a, const MeasuredRun& b) { return a.completed_at < b.completed_at; });
  return out;
}

namespace {

std::optional<double> Num(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return std::nullopt;
  return j[key].get<double>();
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// A string member, or `fallback` when absent or not a string (`model: 5` used
// to throw a json type_error out of `retrain check`).
std::string StringOr(const json& j, const char* key, const std::string& fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

}  // namespace

double Round4(double v) { return std::round(v * 1e4) / 1e4; }

Reestimation ReestimateRecommendation(const json& rec, const Catalog& catalog) {
  Reestimation out;
  if (!rec.is_object()) {
    out.error = "no run_start with a recommendation";
    return out;
  }
  const json hp = rec.value("hyperparameters", json::object());
  if (!hp.is_object()) {
    out.error = "recommendation.hyperparameters is not an object";
    return out;
  }
  // Model architecture: the catalog's, else a typical one for the size.
  ModelArch arch;
  const std::string model = StringOr(rec, "model", "");
  if (const Model* m = model.empty() ? nullptr : catalog.FindModel(model)) {
    arch = m->arch;
    if (!m->family.empty()) out.family = m->family;
  } else if (auto p = Num(rec, "model_params_b"); p && *p > 0 && *p <= 2000) {
    arch = TypicalArchForParams(*p);
  } else {
    out.error = "unknown model and no model_params_b";
    return out;
  }
  const json gpu_j = rec.value("gpu", json::object());
  const Gpu* gpu = nullptr;
  if (gpu_j.is_object()) {
    if (gpu_j.contains("id") && gpu_j["id"].is_string()) gpu = catalog.GpuById(gpu_j["id"]);
    if (!gpu && gpu_j.contains("name") && gpu_j["name"].is_string()) {
      auto g = catalog.FindGpu(gpu_j["name"]);
      if (g.ok()) gpu = g.value();
    }
  }
  const auto gpu_count = gpu_j.is_object() ? Num(gpu_j, "count") : std::nullopt;
  const int count = gpu_count && *gpu_count >= 1 && *gpu_count <= 1024 ? static_cast<int>(*gpu_count) : 1;
  if (const std::string fw = StringOr(rec, "framework", ""); !fw.empty() && fw.size() <= 64) out.framework = fw;
  TrainSetup s = SetupFromHyperparameters(hp, StringOr(rec, "task_type", ""), count, StringOr(rec, "adapter_type", "lora"));
  out.memory = EstimateMemory(arch, s);
  if (gpu) {
    out.gpu_class = gpu->tier.empty() ? "unknown" : gpu->tier;
    out.gpu_usable_gb = gpu->usable_vram_gb;
    ThroughputEstimate t = EstimateThroughput(arch, s, *gpu);
    if (t.tokens_per_sec > 0) out.throughput = t;
  } else {
    out.error = "unknown GPU: no time estimate";
  }
  return out;
}

void Reestimate(MeasuredRun* run, const Catalog& catalog, const Calibration& calibration) {
  const json& c = run->complete;
  if (auto b = Num(c, "peak_memory_reserved_bytes")) run->measured_gb = *b / 1e9;
  else if (auto b2 = Num(c, "peak_memory_allocated_bytes")) run->measured_gb = *b2 / 1e9;
  if (auto t = Num(c, "tokens_per_sec"); t && *t > 0) run->measured_tps = *t;
  if (!run->start.is_object() || !run->start.contains("recommendation") || !run->start["recommendation"].is_object()) {
    run->reestimate_error = "no run_start with a recommendation";
    return;
  }
  Reestimation r = ReestimateRecommendation(run->start["recommendation"], catalog);
  run->reestimate_error = r.error;
  run->context.family = r.family;
  run->context.framework = r.framework;
  run->context.gpu_class = r.gpu_class;
  run->gpu_usable_gb = r.gpu_usable_gb;
  if (!r.memory) return;
  const Calibration cal = calibration.ForContext(run->context);
  MemoryEstimate m = *r.memory;
  const bool reserved = Num(c, "peak_memory_reserved_bytes").has_value();
  run->uncalibrated_gb = reserved ? m.reserved_gb : m.max_allocated_gb;
  cal.ApplyMemory(&m);
  run->estimated_gb = reserved ? m.reserved_gb : m.max_allocated_gb;
  if (r.throughput) {
    ThroughputEstimate t = *r.throughput;
    if (t.tokens_per_sec > 0) run->uncalibrated_tps = t.tokens_per_sec;
    cal.ApplyThroughput(&t);
    if (t.tokens_per_sec > 0) run->estimated_tps = t.tokens_per_sec;
  }
}

namespace {

// Memory drift and OOM rate of one group of new runs; fires a reason per
// threshold crossed.
json GroupCheck(const std::string& name, const std::vector<const MeasuredRun*>& runs, const CheckOptions& opt,
                json* reasons) {
  std::vector<double> err;
  int decided = 0, ooms = 0;
  for (const MeasuredRun* r : runs) {
    if (r->outcome == "success" || r->outcome == "oom" || r->outcome == "error") ++decided;
    if (r->outcome == "oom") ++ooms;
    if (r->outcome == "success" && r->measured_gb && r->estimated_gb && *r->measured_gb > 0)
      err.push_back(std::fabs(*r->estimated_gb / *r->measured_gb - 1));
  }
  json c = {{"context", name}, {"runs", decided}, {"oom", ooms}};
  c["median_abs_memory_error"] = static_cast<int>(err.size()) >= opt.min_runs ? json(Round4(Median(err))) : json(nullptr);
  c["oom_rate"] = decided >= opt.min_runs ? json(Round4(static_cast<double>(ooms) / decided)) : json(nullptr);
  bool fired = false;
  if (c["median_abs_memory_error"].is_number() && c["median_abs_memory_error"].get<double>() > opt.max_memory_error) {
    reasons->push_back("memory_drift[" + name + "]: median |error| " + c["median_abs_memory_error"].dump() + " over " +
                       std::to_string(err.size()) + " runs (> " + json(opt.max_memory_error).dump() + ")");
    fired = true;
  }
  if (c["oom_rate"].is_number() && c["oom_rate"].get<double>() > opt.max_oom_rate) {
    reasons->push_back("oom_rate[" + name + "]: " + std::to_string(ooms) + " of " + std::to_string(decided) +
                       " runs (> " + json(opt.max_oom_rate).dump() + ")");
    fired = true;
  }
  c["triggered"] = fired;
  return c;
}

// The same checks per model family and per GPU class.
json ContextChecks(const std::vector<const MeasuredRun*>& fresh, const CheckOptions& opt, json* reasons) {
  std::map<std::string, std::vector<const MeasuredRun*>> groups;
  for (const MeasuredRun* r : fresh) {
    groups["family=" + r->context.family].push_back(r);
    groups["gpu_class=" + r->context.gpu_class].push_back(r);
  }
  json out = json::array();
  for (const auto& [name, runs] : groups) out.push_back(GroupCheck(name, runs, opt, reasons));
  return {{"groups", out}};
}

}  // namespace

json CheckTriggers(const std::vector<MeasuredRun>& runs, std::optional<double> last_training, const CheckOptions& opt) {
  double now = opt.now ? *opt.now
                       : static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                                                 std::chrono::system_clock::now().time_since_epoch())
                                                 .count());
  std::vector<const MeasuredRun*> fresh;
  for (const auto& r : runs)
    if ((!last_training || r.completed_at > *last_training) && r.completed_at <= now + opt.clock_skew_s)
      fresh.push_back(&r);
  json checks = json::object();
  json reasons = json::array();
  auto add = [&](const std::string& name, json c, bool triggered, const std::string& why) {
    c["triggered"] = triggered;
    checks[name] = c;
    if (triggered) reasons.push_back(name + ": " + why);
  };
  auto fmt = [](double v, int digits = 3) {
    char b[40];
    std::snprintf(b, sizeof b, "%.*f", digits, v);
    return std::string(b);
  };
  const int n_new = static_cast<int>(fresh.size());
  add("new_runs", {{"value", n_new}, {"threshold", opt.min_new_runs}}, n_new >= opt.min_new_runs,
      std::to_string(n_new) + " completed runs since the last training (>= " + std::to_string(opt.min_new_runs) + ")");

  std::vector<double> mem_err, time_err;
  int decided = 0, ooms = 0;
  for (const MeasuredRun* r : fresh) {
    if (r->outcome == "success" || r->outcome == "oom" || r->outcome == "error") ++decided;
    if (r->outcome == "oom") ++ooms;
    if (r->outcome != "success") continue;
    if (r->measured_gb && r->estimated_gb && *r->measured_gb > 0)
      mem_err.push_back(std::fabs(*r->estimated_gb / *r->measured_gb - 1));
    if (r->measured_tps && r->estimated_tps && *r->estimated_tps > 0)
      time_err.push_back(std::fabs(*r->measured_tps / *r->estimated_tps - 1));
  }
  auto drift = [&](const std::string& name, const std::vector<double>& errs, double threshold, const char* what) {
    bool enough = static_cast<int>(errs.size()) >= opt.min_runs;
    double med = Median(errs);
    json c = {{"runs", errs.size()}, {"threshold", threshold}, {"min_runs", opt.min_runs}};
    c["median_abs_error"] = enough ? json(Round4(med)) : json(nullptr);
    add(name, c, enough && med > threshold,
        std::string(what) + " median |error| " + fmt(med * 100, 1) + "% over " + std::to_string(errs.size()) +
            " runs (> " + fmt(threshold * 100, 0) + "%)");
  };
  drift("memory_drift", mem_err, opt.max_memory_error, "memory model vs measured peaks:");
  double rate = decided ? static_cast<double>(ooms) / decided : 0;
  {
    bool enough = decided >= opt.min_runs;
    json c = {{"runs", decided}, {"oom", ooms}, {"threshold", opt.max_oom_rate}, {"min_runs", opt.min_runs}};
    c["value"] = enough ? json(Round4(rate)) : json(nullptr);
    add("oom_rate", c, enough && rate > opt.max_oom_rate,
        "OOM rate " + fmt(rate * 100, 1) + "% of " + std::to_string(decided) + " runs (> " +
            fmt(opt.max_oom_rate * 100, 0) + "%)");
  }
  drift("time_drift", time_err, opt.max_time_error, "training time (tokens/s) vs the time model:");
  {
    json ctx = ContextChecks(fresh, opt, &reasons);
    bool any = false;
    for (const auto& g : ctx["groups"]) any = any || g["triggered"].get<bool>();
    ctx["triggered"] = any;
    checks["context_drift"] = ctx;
  }
  {
    json c = {{"threshold_days", opt.max_age_days}};
    if (last_training) {
      double days = (now - *last_training) / 86400.0;
      c["days"] = Round4(days);
      add("staleness", c, days > opt.max_age_days,
          fmt(days, 1) + " days since the last training (> " + fmt(opt.max_age_days, 0) + ")");
    } else {
      c["days"] = nullptr;
      add("staleness", c, false, "");
    }
  }
  int with_start = 0;
  for (const auto& r : runs) with_start += r.start.is_object() ? 1 : 0;
  json report = {{"trigger", !reasons.empty()},
                 {"reasons", reasons},
                 {"checks", checks},
                 {"runs", {{"completed", runs.size()}, {"new", n_new}, {"with_run_start", with_start}}}};
  return report;
}

std::string CheckMarkdown(const json& r) {
  std::ostringstream o;
  o << "## ftconfig retrain check: " << (r["trigger"].get<bool>() ? "**retraining triggered**" : "no trigger")
    << "\n\n";
  if (r.contains("production")) o << "Production model: `" << r["production"].get<std::string>() << "`";
  if (r.contains("last_training") && r["last_training"].is_string())
    o << ", last trained " << r["last_training"].get<std::string>();
  o << "\n\n| check | value | threshold | triggered |\n| --- | --- | --- | --- |\n";
  auto v = [](const json& x) { return x.is_null() ? std::string("n/a (too few runs)") : x.dump(); };
  const json& c = r["checks"];
  o << "| new completed runs | " << c["new_runs"]["value"].dump() << " | >= " << c["new_runs"]["threshold"].dump()
    << " | " << (c["new_runs"]["triggered"].get<bool>() ? "yes" : "no") << " |\n";
  o << "| memory model median abs error | " << v(c["memory_drift"]["median_abs_error"]) << " | > "
    << c["memory_drift"]["threshold"].dump() << " | " << (c["memory_drift"]["triggered"].get<bool>() ? "yes" : "no")
    << " |\n";
  o << "| OOM rate | " << v(c["oom_rate"]["value"]) << " | > " << c["oom_rate"]["threshold"].dump() << " | "
    << (c["oom_rate"]["triggered"].get<bool>() ? "yes" : "no") << " |\n";
  o << "| training time median abs error | " << v(c["time_drift"]["median_abs_error"]) << " | > "
    << c["time_drift"]["threshold"].dump() << " | " << (c["time_drift"]["triggered"].get<bool>() ? "yes" : "no")
    << " |\n";
  o << "| days since the last training | " << (c["staleness"]["days"].is_null() ? "unknown" : c["staleness"]["days"].dump())
    << " | > " << c["staleness"]["threshold_days"].dump() << " | "
    << (c["staleness"]["triggered"].get<bool>() ? "yes" : "no") << " |\n";
  if (c.contains("context_drift"))
    for (const auto& g : c["context_drift"]["groups"])
      if (g["triggered"].get<bool>())
        o << "| " << g["context"].get<std::string>() << ": memory error / OOM rate | "
          << v(g["median_abs_memory_error"]) << " / " << v(g["oom_rate"]) << " | > " << c["memory_drift"]["threshold"].dump()
          << " / > " << c["oom_rate"]["threshold"].dump() << " | yes |\n";
  o << "\n";
  o << "Runs: " << r["runs"]["completed"].dump() << " completed, " << r["runs"]["new"].dump()
    << " since the last training, " << r["runs"]["with_run_start"].dump() << " with their run_start.\n";
  for (const auto& reason : r["reasons"]) o << "- " << reason.get<std::string>() << "\n";
  return o.str();
}

std::string RunsAsCorpusJsonl(const std::vector<MeasuredRun>& runs, std::vector<std::pair<std::string, bool>>* outcomes) {
  std::string out;
  for (const auto& r : runs) {
    if (r.outcome != "success" && r.outcome != "oom" && r.outcome != "error") continue;
    if (!r.start.is_object() || !r.start.contains("recommendation") || !r.start["recommendation"].is_object()) continue;
    const json& rec = r.start["recommendation"];
    json hp = rec.value("hyperparameters", json::object());
    if (!hp.is_object()) continue;
    json row = {{"id", "telemetry:" + r.run_id},
                {"source_repo", "telemetry"},
                {"source_path", "run " + r.run_id},
                {"model_name", rec.value("model", json(nullptr))},
                {"model_params_b", rec.value("model_params_b", json(nullptr))},
                {"task_type", rec.value("task_type", json(nullptr))},
                {"adapter_type", hp.value("adapter_type", rec.value("adapter_type", json(nullptr)))}};
    for (const char* k : {"learning_rate", "batch_size_per_device", "gradient_accumulation_steps", "max_seq_length",
                          "num_epochs", "optimizer", "lr_scheduler", "warmup_ratio", "weight_decay", "precision",
                          "gradient_checkpointing", "lora_r", "lora_alpha", "lora_dropout", "lora_target"})
      row[k] = hp.value(k, json(nullptr));
    if (row["adapter_type"] == "qlora") row["quantization"] = "4bit";
    json gpu = rec.value("gpu", json::object());
    if (gpu.is_object()) {
      row["num_gpus"] = gpu.value("count", json(1));
      row["gpu_type"] = gpu.value("name", gpu.value("id", json(nullptr)));
    }
    if (r.measured_gb) row["peak_vram_gb"] = Round4(*r.measured_gb);
    row["notes"] = "measured run (telemetry), outcome " + r.outcome;
    out += row.dump() + "\n";
    if (outcomes) outcomes->push_back({"telemetry:" + r.run_id, r.outcome == "success"});
  }
  return out;
}

}  // namespace ftconfig::cli
