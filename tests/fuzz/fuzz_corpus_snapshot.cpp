// A corpus snapshot (the WebAssembly module's compact corpus): FromSnapshot.
#include "fuzz_common.h"
#include "ftconfig/corpus.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nlohmann::json in = fuzz::Json(data, size);
  if (in.is_discarded()) return 0;
  auto corpus = ftconfig::Corpus::FromSnapshot(in);
  if (corpus.ok()) fuzz::Consume(corpus.value().ToSnapshot().dump());
  return 0;
}
