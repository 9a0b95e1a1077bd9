// Shared by the libFuzzer harnesses (docs/reliability.md): the input as
// text, JSON parsed without exceptions, the bundled catalog loaded once.
#ifndef FTCONFIG_TESTS_FUZZ_COMMON_H_
#define FTCONFIG_TESTS_FUZZ_COMMON_H_

#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "data_files.h"
#include "ftconfig/catalog.h"

namespace fuzz {

inline std::string Text(const uint8_t* data, size_t size) { return std::string(reinterpret_cast<const char*>(data), size); }

inline nlohmann::json Json(const uint8_t* data, size_t size) {
  return nlohmann::json::parse(data, data + size, nullptr, false);
}

inline std::string DataDir() { return FTCONFIG_DATA_DIR; }

inline const ftconfig::Catalog& BundledCatalog() {
  static const ftconfig::Catalog catalog = [] {
    auto c = ftconfig::cli::LoadCatalog(DataDir());
    if (!c.ok()) std::abort();
    return c.value();
  }();
  return catalog;
}

// Touches every byte of a result's text so that the sanitizers see it.
inline void Consume(const std::string& s) {
  volatile size_t sum = 0;
  for (char c : s) sum = sum + static_cast<unsigned char>(c);
}

}  // namespace fuzz

// Loads what a harness needs before the first input, outside the -timeout
// that each input runs under (the catalog takes over a second under ASan).
#define FUZZ_WARM_UP(expr)                                  \
  extern "C" int LLVMFuzzerInitialize(int*, char***) {      \
    (void)(expr);                                           \
    return 0;                                               \
  }

#endif  // FTCONFIG_TESTS_FUZZ_COMMON_H_
