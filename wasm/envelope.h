// The JSON envelope every bound function returns, and the one guard around
// each of them (both WebAssembly modules use these):
//   {"ok":true,"value":...}  or  {"ok":false,"error":{"code","field","message"}}
// An exception escaping the engine (a bug) becomes an "internal" error value
// instead of a dead module. api.js unwraps envelopes into values or
// FtconfigError.
#ifndef FTCONFIG_WASM_ENVELOPE_H_
#define FTCONFIG_WASM_ENVELOPE_H_

#include <exception>
#include <string>

#include <nlohmann/json.hpp>

#include "ftconfig/json_text.h"
#include "ftconfig/result.h"

namespace ftconfig::wasm {

inline std::string Ok(const nlohmann::json& value) {
  std::string text = "{\"ok\":true,\"value\":";
  text.reserve(16384);  // an answer is ~10 KB
  AppendJsonText(value, &text);
  text.push_back('}');
  return text;
}

inline std::string Fail(const Error& e) {
  return JsonText(nlohmann::json{{"ok", false}, {"error", ErrorObject(e)}});
}

inline std::string Fail(ErrorCode code, const std::string& field, const std::string& message) {
  return Fail(Error{code, field, message});
}

// Runs `body` (returning an envelope); any exception becomes an internal error.
template <typename Body>
std::string Guard(const char* function, Body&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    return Fail(ErrorCode::kInternal, "", std::string("internal error in ") + function + ": " + e.what());
  } catch (...) {
    return Fail(ErrorCode::kInternal, "", std::string("internal error in ") + function);
  }
}

}  // namespace ftconfig::wasm

#endif  // FTCONFIG_WASM_ENVELOPE_H_
