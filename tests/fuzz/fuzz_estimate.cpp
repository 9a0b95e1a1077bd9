// `ftconfig estimate` input (docs/cli.md): EstimateFromJson over the bundled
// catalog, its answer dumped as the CLI and the WebAssembly module do.
#include "fuzz_common.h"
#include "ftconfig/estimate.h"

FUZZ_WARM_UP(fuzz::BundledCatalog())

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nlohmann::json in = fuzz::Json(data, size);
  if (in.is_discarded()) return 0;
  const ftconfig::Catalog* catalog = &fuzz::BundledCatalog();
  auto [answer, code] = ftconfig::EstimateFromJson(
      in, [catalog]() -> ftconfig::Result<const ftconfig::Catalog*> { return catalog; });
  fuzz::Consume(answer.dump());
  (void)code;
  return 0;
}
