// Corpus JSONL (data/corpus, telemetry rows of `retrain run`): a whole file
// through Corpus::Build over the bundled catalog.
#include "fuzz_common.h"
#include "ftconfig/corpus.h"

FUZZ_WARM_UP(fuzz::BundledCatalog())

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto corpus = ftconfig::Corpus::Build({{"fuzz.jsonl", fuzz::Text(data, size)}}, fuzz::BundledCatalog());
  if (corpus.ok()) fuzz::Consume(corpus.value().ToSnapshot().dump());
  return 0;
}
