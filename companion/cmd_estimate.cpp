// ftconfig estimate: peak VRAM per GPU (with a breakdown), throughput and a
// fit verdict for one training setup, or one per line with --jsonl. The input
// keys are those of the measurement table (docs/memory-model.md, "CLI"); the
// answer is the engine's EstimateFromJson (ftconfig/estimate.h), the same the
// WebAssembly module gives, with the served slot's telemetry calibration.
// Exit codes: 0 fits (or no GPU given), 1 does not fit, 2 bad input.
#include <algorithm>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "data_files.h"
#include "ftconfig/estimate.h"
#include "ftconfig/json_text.h"

namespace ftconfig::cli {
namespace {

using json = nlohmann::json;

struct EstimateOptions {
  std::string input = "-";
  bool jsonl = false;
  std::string format = "json";
  std::string gpu;  // --gpu overrides the input's "gpu"
};

// Lazily loaded catalog: only needed for model_name and gpu lookups, so an
// estimate from architecture fields works without the data folder.
class LazyCatalog {
 public:
  explicit LazyCatalog(std::string dir) : dir_(std::move(dir)) {}
  Result<const Catalog*> operator()() {
    if (!tried_) {
      tried_ = true;
      auto r = LoadCatalog(dir_);
      if (r.ok()) catalog_ = std::make_unique<Catalog>(std::move(r).value());
      else error_ = r.error();
    }
    if (catalog_) return static_cast<const Catalog*>(catalog_.get());
    return error_;
  }

 private:
  std::string dir_;
  bool tried_ = false;
  std::unique_ptr<Catalog> catalog_;
  Error error_;
};

// The calibration context of an estimate input: the catalog family of its
// model_name and the class of its GPU (--gpu, else "gpu"); "unknown" parts
// when the catalog does not know them.
CalibrationContext InputContext(const json& in, const std::string& gpu_flag, LazyCatalog& lazy) {
  CalibrationContext c;
  auto catalog = lazy();
  if (!catalog.ok() || !in.is_object()) return c;
  if (in.contains("model_name") && in["model_name"].is_string())
    if (const Model* m = catalog.value()->FindModel(in["model_name"]); m && !m->family.empty()) c.family = m->family;
  const std::string gpu = !gpu_flag.empty() ? gpu_flag : in.contains("gpu") && in["gpu"].is_string() ? in["gpu"].get<std::string>() : "";
  if (!gpu.empty())
    if (auto g = catalog.value()->FindGpu(gpu); g.ok()) c.gpu_class = GpuClass(g.value()->tier);
  return c;
}

void PrintText(const json& o, std::ostream& os) {
  if (o.contains("error")) {
    os << "error: " << o["error"].value("field", "") << ": " << o["error"].value("message", "") << "\n";
    return;
  }
  os << "peak VRAM per GPU " << o["peak_vram_gb"] << " GB (max allocated " << o["max_allocated_gb"] << ", reserved "
     << o["reserved_gb"] << "), peak in " << o["peak_phase"].get<std::string>() << "\n";
  for (const auto& [k, v] : o["breakdown"].items()) os << "  " << k << std::string(k.size() < 18 ? 18 - k.size() : 1, ' ') << v << "\n";
  os << "eval peak " << o["eval_peak_gb"] << " GB, merge peak " << o["merge_peak_gb"] << " GB\n";
  if (!o["fits"].is_null())
    os << (o["fits"].get<bool>() ? "FITS" : "DOES NOT FIT") << " on " << o["gpu"]["name"].get<std::string>() << " ("
       << o["usable_vram_gb"] << " GB usable, margin " << o["margin_gb"] << " GB); ~" << o["tokens_per_sec"]
       << " tokens/s\n";
  os << "confidence " << o["confidence"]["level"].get<std::string>() << "\n";
  for (const auto& a : o["assumptions"]) os << "  - " << a.get<std::string>() << "\n";
}

}  // namespace

void AddEstimateCommand(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<EstimateOptions>();
  auto* cmd = app.add_subcommand("estimate", "Estimate peak VRAM and throughput for a training setup");
  cmd->add_option("input", opts->input, "JSON file with the setup (default: stdin, or -)");
  cmd->add_flag("--jsonl", opts->jsonl, "One JSON object per line; one answer line per input line, in order");
  cmd->add_option("--gpu", opts->gpu, "GPU to check the fit against (overrides the input's \"gpu\")");
  cmd->add_option("--format", opts->format, "json (default) or text")->check(CLI::IsMember({"json", "text"}));
  cmd->callback([&ctx, opts]() {
    ctx.exit_code = RunGuarded([&]() -> int {
      auto text = ReadInput(opts->input, "input");
      if (!text.ok()) return ReportError(text.error());
      LazyCatalog lazy(ctx.data_dir);
      auto calibration = ReadCalibration(ctx.models_dir);
      if (!calibration.ok()) return ReportError(calibration.error());
      CatalogSource catalog = [&lazy]() { return lazy(); };
      // A per-context calibration (format_version 2) is narrowed to each
      // input's model family and GPU class, as recommend does.
      auto estimate = [&](const json& in) {
        if (calibration.value().contexts.empty()) return EstimateFromJson(in, catalog, calibration.value(), opts->gpu);
        return EstimateFromJson(in, catalog, calibration.value().ForContext(InputContext(in, opts->gpu, lazy)), opts->gpu);
      };
      auto emit = [&](const json& o) {
        if (opts->format == "text") PrintText(o, std::cout);
        else std::cout << o.dump() << "\n";
      };
      if (!opts->jsonl) {
        json j = json::parse(text.value(), nullptr, false);
        if (j.is_discarded())
          return ReportError({ErrorCode::kInvalidJson, "input", "input is not valid JSON: " + JsonSyntaxError(text.value())});
        auto [o, code] = estimate(j);
        if (code == 2) {
          const json& e = o["error"];
          std::cerr << "ftconfig: " << e.value("field", "") << (e.value("field", "").empty() ? "" : ": ")
                    << e.value("message", "") << std::endl;
        }
        emit(o);
        std::cout.flush();
        return code;
      }
      // --jsonl: exit 2 if any line was bad input, else 1 if any did not fit.
      std::istringstream lines(text.value());
      std::string line;
      int worst = 0;
      size_t n = 0;
      while (std::getline(lines, line)) {
        ++n;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        json j = json::parse(line, nullptr, false);
        json o;
        int code;
        if (j.is_discarded()) {
          o = {{"error", ErrorObject({ErrorCode::kInvalidJson, "line " + std::to_string(n),
                                      "line is not valid JSON: " + JsonSyntaxError(line)})}};
          code = 2;
        } else {
          std::tie(o, code) = estimate(j);
        }
        if (code == 2) o["line"] = n;
        emit(o);
        worst = std::max(worst, code);
      }
      std::cout.flush();
      return worst;
    });
  });
}

}  // namespace ftconfig::cli
