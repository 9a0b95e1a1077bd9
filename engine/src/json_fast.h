// A faster reader for the large JSON texts the engine loads (catalogs, the
// corpus snapshot, learned artifacts): the same value as
// nlohmann::json::parse(text, nullptr, false), built directly, without
// nlohmann's character-at-a-time lexer (which copies every character of every
// token into a buffer). Parsing is most of Engine::Create's time, in the
// browser's cold start above all (docs/performance.md).
//
// Same value means: the same number types (unsigned for non-negative
// integers, integer for negative ones, float otherwise, float again when an
// integer does not fit 64 bits), strings as UTF-8, the last of duplicate keys
// wins. Whatever this reader does not accept (malformed text, invalid UTF-8, a
// byte-order mark, nesting deeper than kMaxDepth) goes to nlohmann's parser,
// so errors are nlohmann's: a discarded value.
#ifndef FTCONFIG_SRC_JSON_FAST_H_
#define FTCONFIG_SRC_JSON_FAST_H_

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ftconfig::internal {

/** nlohmann::json::parse(text, nullptr, false), faster: a discarded value when `text` is not JSON. */
nlohmann::json ParseJson(std::string_view text);

/** Appends code point `cp` (at most U+10FFFF) as UTF-8. */
void AppendUtf8(uint32_t cp, std::string* out);

/** Only the fast path: false where ParseJson would hand `text` to nlohmann (for tests). */
bool ParseJsonFastOnly(std::string_view text, nlohmann::json* out);

}  // namespace ftconfig::internal

#endif  // FTCONFIG_SRC_JSON_FAST_H_
