// What the collector does with an authenticated ingest body: ParseIngestBody,
// then ValidateEvent on each item (the HTTP layer is tested over loopback in
// tests/engine/telemetry_test.cpp, suite collector_limits).
#include "fuzz_common.h"
#include "telemetry_collector.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto body = ftconfig::telemetry::ParseIngestBody(fuzz::Text(data, size));
  if (!body.ok()) {
    fuzz::Consume(body.error().message);
    return 0;
  }
  for (const auto& item : body.value().items) {
    auto ev = ftconfig::telemetry::ValidateEvent(item);
    if (!ev.ok()) fuzz::Consume(ev.error().message);
  }
  return 0;
}
