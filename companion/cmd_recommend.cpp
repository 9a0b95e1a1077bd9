// ftconfig recommend: a request from a file, stdin or flags -> the response.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "data_files.h"
#include "ftconfig/json_text.h"
#include "ftconfig/export.h"
#include "ftconfig/recommend.h"
#include "served_calibration.h"
#include "telemetry_event.h"
#include "telemetry_store.h"
#include "telemetry_store_pg.h"

namespace ftconfig::cli {

namespace {

struct RecommendOptions {
  std::string request_file;
  RequestFlags request;  // model, task, adapter, data, trainer (shared with `plan`)
  std::string platform, plan, gpu, strategy, format = "json";
  std::optional<int> num_gpus;
  std::optional<long long> exploration_seed;  // range checked by the engine (0-4294967295)
  std::string notebook_file;  // --notebook: write the .ipynb here
  std::string export_format;  // --export: print this export instead of the JSON response
  std::string output_file;    // -o/--output: write what would be printed here, only on success
  std::string feedback_store;  // --feedback-store: evidence for the learning brain from this telemetry store
  std::string log_to;          // --log-to: record the recommendation event in this telemetry store
};

// What the site's log keeps of a response (web/telemetry.js responseSummary).
json ResponseSummary(const json& r) {
  auto pick = [&](const char* key, std::initializer_list<const char*> keys) {
    json out = json::object();
    if (r.contains(key) && r[key].is_object())
      for (const char* k : keys)
        if (r[key].contains(k)) out[k] = r[key][k];
    return out;
  };
  json s = {{"engine_version", r.value("engine_version", json(nullptr))},
            {"fits", r.value("fits", json(nullptr))},
            {"request", r.value("request", json(nullptr))},
            {"gpu", pick("gpu", {"id", "name", "count", "usable_gb"})},
            {"hyperparameters", r.value("hyperparameters", json(nullptr))},
            {"vram", pick("vram", {"per_gpu_gb", "usable_gb", "eval_peak_gb", "margin_fraction"})},
            {"time", pick("time", {"hours", "cost_usd"})},
            {"confidence", pick("confidence", {"score", "level"})},
            {"strategy", pick("strategy", {"requested", "used"})}};
  if (r.contains("strategy_decision")) s["strategy_decision"] = pick("strategy_decision", {"applied", "chosen", "plain_auto", "context"});
  return s;
}

// --log-to: the recommendation event (as the site logs it, source "cli"), so
// CLI feedback (`telemetry record feedback --recommendation-event-id ID`)
// counts for the learning brain. Returns the event id.
Result<std::string> LogRecommendation(const std::string& store_path, json request, const json& resp,
                                      const std::string& models_dir) {
  request.erase("evidence");
  auto served = ServedModel(models_dir);
  if (!served.ok()) return served.error();
  json ev = {{"schema_version", 1},
             {"event", "recommendation"},
             {"event_id", telemetry::NewEventId()},
             {"timestamp", telemetry::NowIso8601()},
             {"source", "cli"},
             {"engine_version", resp.value("engine_version", Engine::Version())},
             {"request", request},
             {"response", ResponseSummary(resp)},
             {"strategy", resp.contains("strategy") ? resp["strategy"].value("used", "auto") : "auto"},
             {"model_slot", served.value().first.empty() ? json(nullptr) : json(served.value().first)},
             {"model_version", served.value().second.empty() ? json(nullptr) : json(served.value().second)}};
  auto valid = telemetry::ValidateEvent(ev);
  if (!valid.ok()) return valid.error();
  auto store = telemetry::Store::Open(store_path, "--log-to");
  if (!store.ok()) return store.error();
  auto st = store.value()->Insert({valid.value()}, "record", /*enqueue=*/true);
  if (!st.ok()) return st.error();
  return valid.value().event_id;
}

// The response the exports render: with the model slot and version this CLI
// serves, so the notebook's telemetry names them (canary health).
json ResponseForExport(const json& resp, const std::string& models_dir) {
  json out = resp;
  auto served = ServedModel(models_dir);
  if (served.ok() && !served.value().second.empty()) {
    out["model_slot"] = served.value().first.empty() ? json(nullptr) : json(served.value().first);
    out["model_version"] = served.value().second;
  }
  return out;
}

std::string Num(const json& v, int prec = 3) {
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*g", prec, v.get<double>());
    return buf;
  }
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array() && !v.empty()) {
    std::string list;
    for (const json& item : v) list += (list.empty() ? "" : ",") + Num(item, prec);
    return list;
  }
  return "-";
}

// The human-readable form of a response (--format text).
void PrintText(const json& r, std::ostream& out) {
  const json& g = r["gpu"];
  out << "ftconfig " << r.value("engine_version", "") << " — " << r["request"].value("model", "") << " ("
      << Num(r["request"]["model_params_b"]) << "B), " << r["request"].value("task_type", "") << ", "
      << r["hyperparameters"].value("adapter_type", "") << " on " << Num(g["count"]) << " x " << g.value("name", "")
      << " (" << Num(g["usable_gb"]) << " GB usable)\n\n";
  if (!r.value("fits", false)) {
    out << "DOES NOT FIT\n  " << r["does_not_fit"].value("message", "") << "\n";
    const json& s = r["does_not_fit"]["smallest_fitting"];
    if (!s.is_null())
      out << "  smallest fitting GPU: " << s.value("name", "") << " (estimated " << Num(s["estimated_gb"]) << " GB)"
          << (s.contains("platform") ? " e.g. " + s.value("platform", "") + "/" + s.value("plan", "") : "") << "\n";
    return;
  }
  out << "Hyperparameters\n";
  const json& hp = r["hyperparameters"];
  const json& why = r["why"];
  for (const auto& [k, v] : hp.items()) {
    out << "  " << k << std::string(k.size() < 30 ? 30 - k.size() : 1, ' ') << Num(v, 3);
    if (why.contains(k)) out << "   # " << why[k].get<std::string>();
    out << "\n";
  }
  const json& vr = r["vram"];
  out << "\nVRAM per GPU: " << Num(vr["per_gpu_gb"]) << " GB of " << Num(vr["usable_gb"]) << " GB usable (margin "
      << Num(vr["margin_gb"]) << " GB)\n";
  for (const auto& [k, v] : vr["breakdown"].items()) out << "  " << k << std::string(14 - k.size(), ' ') << Num(v) << " GB\n";
  out << "  eval peak " << Num(vr["eval_peak_gb"]) << " GB, merge peak " << Num(vr["merge_peak_gb"]) << " GB\n";
  const json& t = r["time"];
  out << "\nTime: " << Num(t["hours"]) << " h at " << Num(t["tokens_per_sec"], 4) << " tokens/s";
  if (!t["cost_usd"].is_null()) out << ", cost $" << Num(t["cost_usd"], 4);
  if (!t["fits_session"].is_null())
    out << (t["fits_session"].get<bool>() ? ", within" : ", EXCEEDS") << " the " << Num(t["session_limit_hours"])
        << " h session limit";
  out << "\n";
  if (!r["dependencies"].is_null()) {
    out << "\nDependencies (" << r["dependencies"].value("label", r["dependencies"].value("id", "")) << ")\n  ";
    if (r["dependencies"].contains("packages"))
      for (const auto& [k, v] : r["dependencies"]["packages"].items()) out << k << "==" << Num(v) << " ";
    out << "\n";
  }
  const json& c = r["confidence"];
  out << "\nConfidence: " << c.value("level", "") << " (" << Num(c["score"]) << ")\n";
  for (const auto& reason : c["reasons"]) out << "  - " << reason.get<std::string>() << "\n";
  out << "Strategy: " << r["strategy"].value("used", "") << " (" << r["strategy"].value("why", "") << ")\n";
  out << "Profile: " << r["profile"].value("group", "") << " (" << r["profile"].value("fallback_level", "") << ", "
      << Num(r["profile"]["pool_size"]) << " configs)\n";
  if (!r["diagnostics"]["clamps"].empty()) {
    out << "Clamps\n";
    for (const auto& s : r["diagnostics"]["clamps"]) out << "  - " << s.get<std::string>() << "\n";
  }
  if (!r["warnings"].empty()) {
    out << "Warnings\n";
    for (const auto& s : r["warnings"]) out << "  ! " << s.get<std::string>() << "\n";
  }
}

}  // namespace

Result<json> RequestBase(const std::string& request_file) {
  std::optional<std::string> text;
  if (!request_file.empty()) {
    auto read = ReadInput(request_file, "request");
    if (!read.ok()) return read.error();
    text = read.value();
  } else {
    text = PipedStdin();
  }
  if (!text) return json::object();
  json req = json::parse(*text, nullptr, false);
  if (req.is_discarded())
    return Error{ErrorCode::kInvalidJson, "request",
                 "the request is not valid JSON (expected one JSON object): " + JsonSyntaxError(*text)};
  if (!req.is_object()) return Error{ErrorCode::kInvalidType, "request", "the request must be a JSON object"};
  return req;
}

void RequestFlags::Add(CLI::App* cmd) {
  cmd->add_option("--model", model, "Model id or alias (meta-llama/Llama-3.1-8B, llama2-7b, ...)");
  cmd->add_option("--params-b", params_b, "Model size in billions of parameters (for models outside the catalog)");
  cmd->add_option("--task", task, "Task type (instruction_following, chat, preference_dpo, ...)");
  cmd->add_option("--adapter", adapter, "none | lora | qlora");
  cmd->add_option("--dataset-size", dataset_size, "Training examples");
  cmd->add_option("--dataset-name", dataset_name, "Dataset id (Hub id or path)");
  cmd->add_option("--framework", framework,
                  "Trainer the memory figures are for: hf-trainer, unsloth, axolotl, llama-factory, torchtune, litgpt, pytorch");
  cmd->add_option("--max-seq-length", max_seq_length, "Longest sequence you need, tokens");
  cmd->add_flag("--no-qlora", no_qlora, "Never switch LoRA to QLoRA to make it fit");
}

void RequestFlags::Apply(json* req) const {
  auto set = [&](const char* k, const std::string& v) { if (!v.empty()) (*req)[k] = v; };
  set("model", model);
  set("task_type", task);
  set("adapter_type", adapter);
  set("dataset_name", dataset_name);
  set("framework", framework);
  if (params_b) (*req)["model_params_b"] = *params_b;
  if (dataset_size)  // a whole number stays an integer in the request
    (*req)["dataset_size"] = *dataset_size == std::floor(*dataset_size) && std::fabs(*dataset_size) < 9e15
                                 ? json(static_cast<long long>(*dataset_size)) : json(*dataset_size);
  if (max_seq_length) (*req)["max_seq_length"] = *max_seq_length;
  if (no_qlora) (*req)["allow_qlora"] = false;
}

void AddRecommendCommand(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<RecommendOptions>();
  auto* cmd = app.add_subcommand("recommend", "Recommend a safe fine-tuning configuration");
  cmd->add_option("request", opts->request_file, "Request JSON file, or - for stdin; piped stdin is read without - (flags override its fields)");
  cmd->add_option("--platform", opts->platform, "Platform id or alias (colab, kaggle, runpod, local, ...)");
  cmd->add_option("--plan", opts->plan, "Plan of the platform (free, t4x2, rtx-4090, ...)");
  cmd->add_option("--gpu", opts->gpu, "GPU (T4, A100 80GB, 4090, ...): overrides the plan's GPU");
  cmd->add_option("--num-gpus", opts->num_gpus, "Number of GPUs");
  opts->request.Add(cmd);
  cmd->add_option("--strategy", opts->strategy, "auto | deterministic | hybrid | hybrid_ml");
  cmd->add_option("--exploration-seed", opts->exploration_seed,
                  "Seed (0-4294967295) of the exploring alternative: with probability 0.1 the response's "
                  "\"exploration\" offers an untried learning rate, marked as such (docs/recommendation.md)");
  cmd->add_option("--format", opts->format, "json | text")->check(CLI::IsMember({"json", "text"}));
  cmd->add_option("--notebook", opts->notebook_file, "Also write the recommendation as a runnable Jupyter notebook (.ipynb) to FILE");
  cmd->add_option("--feedback-store", opts->feedback_store,
                  "Telemetry store (SQLite) whose recommendation, feedback and interaction events give strategy "
                  "\"auto\" its evidence (the learning brain; as the site does from its log)");
  cmd->add_option("--log-to", opts->log_to,
                  "Record this recommendation as a \"recommendation\" event in this telemetry store (its id is "
                  "printed as recommendation_event_id; feedback about it then counts for the learning brain)");
  cmd->add_option("--export", opts->export_format,
                  "Print the recommendation as axolotl | llamafactory | trl | script (instead of the JSON response)");
  cmd->add_option("-o,--output", opts->output_file,
                  "Write the output (the response, or the --export file) to FILE instead of stdout; nothing is "
                  "written when the request or the export is refused");
  cmd->callback([opts, &ctx]() {
    ctx.exit_code = RunGuarded([&]() -> int {
      auto base = RequestBase(opts->request_file);
      if (!base.ok()) return ReportError(base.error());
      json req = base.value();
      auto set = [&](const char* k, const std::string& v) { if (!v.empty()) req[k] = v; };
      set("platform", opts->platform);
      set("plan", opts->plan);
      set("gpu_override", opts->gpu);
      set("strategy", opts->strategy);
      opts->request.Apply(&req);
      if (opts->num_gpus) req["num_gpus"] = *opts->num_gpus;
      if (opts->exploration_seed) req["exploration_seed"] = *opts->exploration_seed;
      if (req.empty())
        return ReportError({ErrorCode::kMissingField, "request",
                            "give a request file, pipe one on stdin, or use flags such as --platform colab --plan free --model llama2-7b"});
      auto parsed = ParseRequest(req);
      if (!parsed.ok()) return ReportError(parsed.error());
      auto data = ReadEngineData(ctx.data_dir, ctx.models_dir);
      if (!data.ok()) return ReportError(data.error());
      if (auto c = Calibration::Load(data.value().calibration_json); c.ok() && !c.value().contexts.empty()) {
        auto catalog = LoadCatalog(ctx.data_dir);
        if (!catalog.ok()) return ReportError(catalog.error());
        data.value().calibration_json = NarrowCalibration(
            data.value().calibration_json, RequestCalibrationContext(parsed.value(), catalog.value()));
      }
      auto engine = Engine::Create(data.value());
      if (!engine.ok()) return ReportError(engine.error());
      auto resp = engine.value()->Recommend(parsed.value());
      if (!resp.ok()) return ReportError(resp.error());
      if (!opts->feedback_store.empty() && parsed.value().strategy == "auto" && !parsed.value().evidence) {
        // The context (canonical task, adapter, size bucket) is the engine's
        // to resolve: the first answer names it, the second has the evidence.
        if (!telemetry::IsPostgresUrl(opts->feedback_store) && !std::filesystem::exists(opts->feedback_store))
          return ReportError({ErrorCode::kInvalidValue, "--feedback-store",
                              "no telemetry store at \"" + opts->feedback_store + "\""});
        auto store = telemetry::Store::Open(opts->feedback_store, "--feedback-store");
        if (!store.ok()) return ReportError(store.error());
        auto events = store.value()->EventsOfTypes({"recommendation", "feedback", "interaction", "run_complete"});
        if (!events.ok()) return ReportError(events.error());
        const json& c = resp.value()["strategy_decision"]["context"];
        BrainEvidence ev = EvidenceFromEvents(events.value(), c.value("task_type", ""), c.value("adapter_type", ""),
                                              c.value("model_size_bucket", ""));
        Request with = parsed.value();
        with.evidence = ev;
        resp = engine.value()->Recommend(with);
        if (!resp.ok()) return ReportError(resp.error());
      }
      if (!opts->log_to.empty()) {
        auto id = LogRecommendation(opts->log_to, req, resp.value(), ctx.models_dir);
        if (!id.ok()) return ReportError(id.error());
        resp.value()["recommendation_event_id"] = id.value();
      }
      ExportFormat export_format = ExportFormat::kNotebook;
      if (!opts->export_format.empty() && !ParseExportFormat(opts->export_format, &export_format))
        return ReportError({ErrorCode::kInvalidValue, "export",
                            "unknown export format \"" + opts->export_format +
                                "\"; expected axolotl, llamafactory, trl, script or notebook"});
      // Everything is rendered before anything is written: a refused export
      // leaves no file behind (and an existing one as it was).
      std::string notebook, text;
      const json tagged = ResponseForExport(resp.value(), ctx.models_dir);
      if (!opts->notebook_file.empty()) {
        auto nb = Export(parsed.value(), tagged, ExportFormat::kNotebook);
        if (!nb.ok()) return ReportError(nb.error());
        notebook = std::move(nb.value());
      }
      if (!opts->export_format.empty()) {
        auto exported = Export(parsed.value(), tagged, export_format);
        if (!exported.ok()) return ReportError(exported.error());
        text = std::move(exported.value());
      } else if (opts->format == "text") {
        std::ostringstream out;
        PrintText(resp.value(), out);
        text = out.str();
      } else {
        text = JsonText(resp.value(), 2) + "\n";
      }
      if (!opts->notebook_file.empty()) {
        auto written = WriteOutputFile(opts->notebook_file, notebook, "notebook");
        if (!written.ok()) return ReportError(written.error());
      }
      if (!opts->output_file.empty()) {
        auto written = WriteOutputFile(opts->output_file, text, "output");
        if (!written.ok()) return ReportError(written.error());
      } else {
        std::cout << text;
        std::cout.flush();
      }
      return 0;
    });
  });
}

}  // namespace ftconfig::cli
