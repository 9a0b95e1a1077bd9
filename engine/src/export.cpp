// Exports of a recommendation (ftconfig/export.h): format names, template
// rendering, and the dispatch to the per-format renderers.
#include "ftconfig/export.h"

#include <exception>

#include <kainjow/mustache.hpp>

#include "export_internal.h"
#include "json_util.h"

namespace ftconfig {

namespace {

using internal::ojson;
using Mustache = kainjow::mustache::mustache;
using Data = kainjow::mustache::data;

Data ToData(const ojson& v) {
  switch (v.type()) {
    case ojson::value_t::object: {
      Data d{Data::type::object};
      for (const auto& [k, x] : v.items()) d.set(k, ToData(x));
      return d;
    }
    case ojson::value_t::array: {
      Data d{Data::type::list};
      for (const auto& x : v) d.push_back(ToData(x));
      return d;
    }
    case ojson::value_t::string: return Data{v.get<std::string>()};
    case ojson::value_t::boolean: return v.get<bool>() ? Data{Data::type::bool_true} : Data{Data::type::bool_false};
    case ojson::value_t::null: return Data{Data::type::bool_false};
    case ojson::value_t::number_float: return Data{internal::FloatText(v.get<double>())};
    default: return Data{v.dump()};
  }
}

}  // namespace

namespace internal {

namespace {

// Mustache "standalone" section tags: a line holding only {{#x}}, {{^x}} or
// {{/x}} must vanish whole, whether the section renders or not (kainjow
// leaves an empty line behind a section that does not render, and eats the
// blank line after one that does). Such lines get a marker before rendering;
// afterwards every line left holding only markers is dropped.
constexpr char kMarker = '\x01';

std::string MarkStandaloneSectionTags(const std::string& text) {
  std::string out;
  out.reserve(text.size() + 64);
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string::npos ? text.size() : nl;
    std::string line = text.substr(start, end - start);
    size_t b = line.find_first_not_of(" \t");
    size_t e = line.find_last_not_of(" \t\r");
    bool standalone = b != std::string::npos && e - b >= 4 && line.compare(b, 2, "{{") == 0 &&
                      line.compare(e - 1, 2, "}}") == 0 &&
                      (line[b + 2] == '#' || line[b + 2] == '^' || line[b + 2] == '/') &&
                      line.find("{{", b + 2) == std::string::npos && line.find("}}") == e - 1;
    out += standalone ? line.substr(b, e - b + 1) + kMarker : line;
    if (nl == std::string::npos) break;
    out += '\n';
    start = nl + 1;
  }
  return out;
}

std::string DropMarkerLines(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string::npos ? text.size() : nl;
    std::string line = text.substr(start, end - start);
    bool marked = line.find(kMarker) != std::string::npos;
    if (marked) {
      std::string rest;
      for (char c : line)
        if (c != kMarker) rest += c;
      if (rest.find_first_not_of(" \t\r") != std::string::npos) {
        out += rest;
        if (nl != std::string::npos) out += '\n';
      }
    } else {
      out += line;
      if (nl != std::string::npos) out += '\n';
    }
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

}  // namespace

Result<std::string> RenderTemplate(const std::string& name, const ojson& data) {
  const char* text = FindTemplate(name);
  if (!text) return Error{ErrorCode::kInternal, "template", "no embedded template \"" + name + "\""};
  Mustache tmpl{MarkStandaloneSectionTags(text)};
  // Values are already literals of the target language: insert them as they are.
  tmpl.set_custom_escape([](const std::string& s) { return s; });
  if (!tmpl.is_valid()) return Error{ErrorCode::kInternal, "template", name + ": " + tmpl.error_message()};
  std::string out = tmpl.render(ToData(data));
  if (!tmpl.is_valid()) return Error{ErrorCode::kInternal, "template", name + ": " + tmpl.error_message()};
  return DropMarkerLines(out);
}

}  // namespace internal

const char* ToString(ExportFormat f) {
  switch (f) {
    case ExportFormat::kNotebook: return "notebook";
    case ExportFormat::kAxolotl: return "axolotl";
    case ExportFormat::kLlamaFactory: return "llamafactory";
    case ExportFormat::kTrl: return "trl";
    case ExportFormat::kScript: return "script";
  }
  return "notebook";
}

bool ParseExportFormat(const std::string& s, ExportFormat* out) {
  std::string k = internal::Lower(internal::Trim(s));
  ExportFormat f;
  if (k == "notebook" || k == "ipynb") f = ExportFormat::kNotebook;
  else if (k == "axolotl") f = ExportFormat::kAxolotl;
  else if (k == "llamafactory" || k == "llama-factory" || k == "llama_factory") f = ExportFormat::kLlamaFactory;
  else if (k == "trl" || k == "json") f = ExportFormat::kTrl;
  else if (k == "script" || k == "python" || k == "py") f = ExportFormat::kScript;
  else return false;
  if (out) *out = f;
  return true;
}

std::string ExportFileName(ExportFormat f) {
  switch (f) {
    case ExportFormat::kNotebook: return "ftconfig-notebook.ipynb";
    case ExportFormat::kAxolotl: return "ftconfig-axolotl.yaml";
    case ExportFormat::kLlamaFactory: return "ftconfig-llamafactory.yaml";
    case ExportFormat::kTrl: return "ftconfig-trl.json";
    case ExportFormat::kScript: return "ftconfig-train.py";
  }
  return "ftconfig-export.txt";
}

Result<std::string> Export(const Request& request, const json& response, ExportFormat format) {
  try {
    FTCONFIG_ASSIGN_OR_RETURN(plan, internal::BuildPlan(request, response));
    switch (format) {
      case ExportFormat::kNotebook: return internal::RenderNotebook(plan, response);
      case ExportFormat::kAxolotl: return internal::RenderAxolotl(plan, response);
      case ExportFormat::kLlamaFactory: return internal::RenderLlamaFactory(plan, response);
      case ExportFormat::kTrl: return internal::RenderTrl(plan, response);
      case ExportFormat::kScript: return internal::RenderScript(plan, response);
    }
    return Error{ErrorCode::kInvalidValue, "format", "unknown export format"};
  } catch (const std::exception& e) {
    return Error{ErrorCode::kInternal, "", std::string("export failed: ") + e.what()};
  }
}

}  // namespace ftconfig
