// A telemetry calibration artifact (models/calibration.json): Load on any text.
#include "fuzz_common.h"
#include "ftconfig/calibration.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto c = ftconfig::Calibration::Load(fuzz::Text(data, size));
  if (!c.ok()) fuzz::Consume(c.error().message);
  return 0;
}
