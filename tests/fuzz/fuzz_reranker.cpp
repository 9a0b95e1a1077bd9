// A reranker artifact (models/reranker.json, registry versions): Load.
#include "fuzz_common.h"
#include "ftconfig/ranking.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nlohmann::json in = fuzz::Json(data, size);
  if (in.is_discarded()) return 0;
  auto r = ftconfig::Reranker::Load(in);
  if (!r.ok()) fuzz::Consume(r.error().message);
  return 0;
}
