// The model registry (models/registry.json): Parse, then what `models status`
// and the engine's loader read from it; ValidId on the same bytes.
#include "fuzz_common.h"
#include "model_registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = fuzz::Text(data, size);
  (void)ftconfig::cli::ValidId(text);
  auto r = ftconfig::cli::ModelRegistry::Parse(text, "/nonexistent/fuzz/registry.json");
  if (!r.ok()) {
    fuzz::Consume(r.error().message);
    return 0;
  }
  for (const char* slot : {"production", "candidate", "shadow"}) {
    auto a = r.value().Resolve(slot);
    if (a.ok()) fuzz::Consume(a.value().reranker_path + a.value().hp_predictor_path + a.value().calibration_path);
  }
  fuzz::Consume(r.value().Status(false).dump());
  return 0;
}
