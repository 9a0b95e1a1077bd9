// Internal helpers for reading JSON without exceptions: each returns a default
// (or empty optional) when the key is absent, null, or of another type.
#ifndef FTCONFIG_SRC_JSON_UTIL_H_
#define FTCONFIG_SRC_JSON_UTIL_H_

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace ftconfig::internal {

using json = nlohmann::json;

// The 64-bit FNV-1a-style hash of export fingerprints (docs/exports.md). Its
// offset basis is the project's own (fingerprints already issued depend on it).
inline uint64_t Fnv1a64(const std::string& text) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ULL;
  return h;
}

// Numbers as the answers report them: 2 or 3 decimals.
inline double Round2(double v) { return std::round(v * 100.0) / 100.0; }
inline double Round3(double v) { return std::round(v * 1000.0) / 1000.0; }

inline const json* Find(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

inline std::string Str(const json& j, const char* key, const std::string& def = "") {
  const json* v = Find(j, key);
  return v && v->is_string() ? v->get<std::string>() : def;
}

inline std::optional<double> Num(const json& j, const char* key) {
  const json* v = Find(j, key);
  if (!v || !v->is_number()) return std::nullopt;
  double d = v->get<double>();
  if (!std::isfinite(d)) return std::nullopt;
  return d;
}

inline double NumOr(const json& j, const char* key, double def) {
  auto v = Num(j, key);
  return v ? *v : def;
}

inline std::optional<bool> Bool(const json& j, const char* key) {
  const json* v = Find(j, key);
  if (!v || !v->is_boolean()) return std::nullopt;
  return v->get<bool>();
}

inline std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

inline std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// Levenshtein distance, for "did you mean" suggestions.
size_t EditDistance(const std::string& a, const std::string& b);
// The edit distance when it is at most `limit`, else limit + 1 (stops early).
size_t EditDistanceAtMost(const std::string& a, const std::string& b, size_t limit);

}  // namespace ftconfig::internal

#endif  // FTCONFIG_SRC_JSON_UTIL_H_
