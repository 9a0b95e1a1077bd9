// Exports of a recommendation: a runnable Jupyter notebook (nbformat 4) and
// config files for the tools people train with. Rendered from the templates
// in templates/ (compiled into the engine), natively and in WASM alike.
// docs/exports.md documents every key mapping.
#ifndef FTCONFIG_EXPORT_H_
#define FTCONFIG_EXPORT_H_

#include <string>
#include <vector>

#include "ftconfig/recommend.h"

namespace ftconfig {

enum class ExportFormat {
  kNotebook,     // .ipynb (nbformat 4) JSON text
  kAxolotl,      // axolotl YAML
  kLlamaFactory, // LLaMA-Factory YAML (llamafactory-cli train)
  kTrl,          // TRL / HF TrainingArguments JSON
  kScript,       // plain Python training script
};

const char* ToString(ExportFormat f);
// "notebook" | "ipynb" | "axolotl" | "llamafactory" | "llama-factory" | "trl" | "script".
bool ParseExportFormat(const std::string& s, ExportFormat* out);
// The conventional file name for a format, e.g. "ftconfig-axolotl.yaml".
std::string ExportFileName(ExportFormat f);

// Renders `response` (the JSON returned by Engine::Recommend for `request`)
// in `format`. Errors: kInvalidValue when the response is not a fitting
// recommendation (a "does not fit" answer has nothing to run).
Result<std::string> Export(const Request& request, const json& response, ExportFormat format);

}  // namespace ftconfig

#endif  // FTCONFIG_EXPORT_H_
