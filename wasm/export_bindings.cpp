// The export module (ftconfig-export.wasm): notebook and config-file exports
// of a recommendation, kept out of the main module so that the first
// recommendation downloads only what it needs (api.js loads this on the
// first exportConfig call). One Embind table, at the end.
#include <emscripten/bind.h>

#include <string>

#include <nlohmann/json.hpp>

#include "envelope.h"
#include "ftconfig/export.h"

namespace ftconfig::wasm {
namespace {

using json = nlohmann::json;

// `request`: the request JSON; `response`: the engine's answer to it (JSON
// text); `format`: notebook | axolotl | llamafactory | trl | script (and the
// aliases ParseExportFormat accepts). Answers {format, filename, text}.
std::string ExportConfig(const std::string& request, const std::string& response, const std::string& format) {
  return Guard("exportConfig", [&] {
    ExportFormat f;
    if (!ParseExportFormat(format, &f))
      return Fail(ErrorCode::kInvalidValue, "format",
                  "unknown export format \"" + format + "\"; accepted: notebook, axolotl, llamafactory, trl, script");
    auto parsed = ParseRequest(request);
    if (!parsed.ok()) return Fail(parsed.error());
    json answer = json::parse(response, nullptr, false);
    if (answer.is_discarded() || !answer.is_object())
      return Fail(ErrorCode::kInvalidJson, "response", "the response is not a JSON object");
    auto text = Export(parsed.value(), answer, f);
    if (!text.ok()) return Fail(text.error());
    return Ok(json{{"format", ToString(f)}, {"filename", ExportFileName(f)}, {"text", text.value()}});
  });
}

std::string Formats() {
  return Guard("formats", [] {
    json out = json::array();
    for (ExportFormat f : {ExportFormat::kNotebook, ExportFormat::kAxolotl, ExportFormat::kLlamaFactory,
                           ExportFormat::kTrl, ExportFormat::kScript})
      out.push_back({{"format", ToString(f)}, {"filename", ExportFileName(f)}});
    return Ok(out);
  });
}

}  // namespace
}  // namespace ftconfig::wasm

EMSCRIPTEN_BINDINGS(ftconfig_export) {
  emscripten::function("exportConfig", &ftconfig::wasm::ExportConfig);
  emscripten::function("formats", &ftconfig::wasm::Formats);
}
