// A hyperparameter predictor artifact (models/hp_predictor.json): Load.
#include "fuzz_common.h"
#include "ftconfig/ranking.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nlohmann::json in = fuzz::Json(data, size);
  if (in.is_discarded()) return 0;
  auto p = ftconfig::HpPredictor::Load(in);
  if (!p.ok()) fuzz::Consume(p.error().message);
  return 0;
}
