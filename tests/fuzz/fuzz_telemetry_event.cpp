// One telemetry event (docs/telemetry.md): ValidateEvent.
#include "fuzz_common.h"
#include "telemetry_event.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nlohmann::json in = fuzz::Json(data, size);
  if (in.is_discarded()) return 0;
  auto ev = ftconfig::telemetry::ValidateEvent(in);
  if (!ev.ok()) fuzz::Consume(ev.error().message);
  return 0;
}
