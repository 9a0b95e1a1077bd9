// Errors and JSON text: an Error as its JSON object; where and why a text is not JSON; compact JSON text, fast.
#ifndef FTCONFIG_JSON_TEXT_H_
#define FTCONFIG_JSON_TEXT_H_

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ftconfig/limits.h"
#include "ftconfig/result.h"

namespace ftconfig {

/** `error` as the documented JSON object {"code", "field", "message"} (docs/cli.md; the WebAssembly envelope). */
nlohmann::json ErrorObject(const Error& error);

/**
 * Where and why `text` is not JSON, as nlohmann's parser says it: "line 3, column 14: syntax error while parsing
 * object key - unexpected '}'; expected string literal". Empty when `text` is JSON. For error messages only: it
 * parses `text` again.
 */
std::string JsonSyntaxError(std::string_view text);

/**
 * `value` as JSON text: byte for byte `value.dump(indent)` (compact when `indent` < 0; the same escapes, number
 * digits, layout and errors), several times faster on the engine's answers. What the WebAssembly API returns, the
 * CLI prints and the native benchmark times.
 */
std::string JsonText(const nlohmann::json& value, int indent = -1);

/** JsonText(value, indent) appended to `*out`. */
void AppendJsonText(const nlohmann::json& value, std::string* out, int indent = -1);

/** Deepest nesting of arrays and objects in `root` (a scalar: 0), found without recursion. */
size_t JsonDepth(const nlohmann::json& root);

}  // namespace ftconfig

#endif  // FTCONFIG_JSON_TEXT_H_
