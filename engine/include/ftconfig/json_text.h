// Errors and JSON text: an Error as its JSON object; where and why a text is not JSON.
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

/** Deepest nesting of arrays and objects in `root` (a scalar: 0), found without recursion. */
size_t JsonDepth(const nlohmann::json& root);

}  // namespace ftconfig

#endif  // FTCONFIG_JSON_TEXT_H_
