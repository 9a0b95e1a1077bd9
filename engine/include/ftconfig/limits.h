// Input limits as a design (docs/api.md, "Limits"): how long a string a
// person types may be, how deep an input echoed back may nest, the range of
// every architecture field that becomes a size. Exceeding one is an
// invalid_value error naming the field.
#ifndef FTCONFIG_LIMITS_H_
#define FTCONFIG_LIMITS_H_

#include <cstddef>

namespace ftconfig {

// Names: model, GPU, platform, plan, task, adapter, dataset (bytes).
constexpr std::size_t kMaxNameLength = 256;
// output_dir.
constexpr std::size_t kMaxPathLength = 4096;
// notes.
constexpr std::size_t kMaxNotesLength = 4000;
// The deepest input echoed back or walked recursively (estimate, the WebAssembly module).
constexpr std::size_t kMaxInputDepth = 64;
// Closest-name hints compare at most this many bytes of the query.
constexpr std::size_t kMaxFuzzyQueryLength = 96;

// Architecture fields (request "architecture" and estimate input): inclusive
// ranges. Products of them (heads x head_dim, layers x hidden) fit 64 bits.
struct ArchFieldRange {
  const char* name;
  long long min;
  long long max;
};
constexpr ArchFieldRange kArchFieldRanges[] = {
    {"hidden_size", 1, 131072},         {"intermediate_size", 1, 1048576},
    {"num_layers", 1, 1024},            {"num_attention_heads", 1, 4096},
    {"num_kv_heads", 1, 4096},          {"head_dim", 1, 4096},
    {"vocab_size", 1, 4194304},         {"max_position_embeddings", 1, 16777216},
    {"num_experts", 1, 4096},           {"experts_per_token", 1, 256},
};

// The range of architecture field `name`, or nullptr when it has none.
inline const ArchFieldRange* ArchRange(const char* name) {
  for (const auto& r : kArchFieldRanges) {
    const char* a = r.name;
    const char* b = name;
    while (*a && *a == *b) ++a, ++b;
    if (*a == *b) return &r;
  }
  return nullptr;
}

}  // namespace ftconfig

#endif  // FTCONFIG_LIMITS_H_
