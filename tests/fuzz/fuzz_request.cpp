// The recommend request (docs/api.md): ParseRequest on any text; a request
// that parses is answered by the engine over the bundled data.
#include "fuzz_common.h"
#include "data_files.h"
#include "ftconfig/json_text.h"
#include "ftconfig/recommend.h"

namespace {
const ftconfig::Engine& Bundled() {
  static const auto engine = [] {
    auto d = ftconfig::cli::ReadEngineData(fuzz::DataDir(), FTCONFIG_MODELS_DIR);
    if (!d.ok()) std::abort();
    auto e = ftconfig::Engine::Create(d.value());
    if (!e.ok()) std::abort();
    return e.value();
  }();
  return *engine;
}
}  // namespace

FUZZ_WARM_UP(Bundled())

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto request = ftconfig::ParseRequest(fuzz::Text(data, size));
  if (!request.ok()) {
    fuzz::Consume(ftconfig::ErrorObject(request.error()).dump());
    return 0;
  }
  auto answer = Bundled().Recommend(request.value());
  if (!answer.ok()) fuzz::Consume(ftconfig::ErrorObject(answer.error()).dump());
  return 0;
}
