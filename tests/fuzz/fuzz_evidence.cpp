// Feedback evidence: the request's "evidence" object (ParseEvidence) and,
// for an array, recommendation/feedback events folded by EvidenceFromEvents.
#include "fuzz_common.h"
#include "ftconfig/brain.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nlohmann::json in = fuzz::Json(data, size);
  if (in.is_discarded()) return 0;
  if (in.is_array()) {
    std::vector<nlohmann::json> events(in.begin(), in.end());
    for (const char* bucket : {"small", "medium", "large"}) {
      auto ev = ftconfig::EvidenceFromEvents(events, "sft", "qlora", bucket);
      (void)ev;
    }
    return 0;
  }
  auto ev = ftconfig::ParseEvidence(in);
  if (!ev.ok()) fuzz::Consume(ev.error().message);
  return 0;
}
