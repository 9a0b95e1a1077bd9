// Native recommend latency on the bundled data (not a test: numbers go to
// docs/benchmarks.md through scripts/bench-recommend.sh).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "data_files.h"
#include "ftconfig/json_text.h"
#include "ftconfig/recommend.h"

int main(int argc, char** argv) {
  using Clock = std::chrono::steady_clock;
  std::string data_dir = argc > 1 ? argv[1] : ftconfig::cli::DefaultDataDir();
  int iterations = argc > 2 ? std::atoi(argv[2]) : 2000;

  auto t0 = Clock::now();
  std::string models_dir = argc > 3 ? argv[3] : ftconfig::cli::DefaultModelsDir();
  auto data = ftconfig::cli::ReadEngineData(data_dir, models_dir);
  if (!data.ok()) {
    std::fprintf(stderr, "cannot read data: %s\n", data.error().message.c_str());
    return 2;
  }
  auto engine = ftconfig::Engine::Create(data.value());
  if (!engine.ok()) {
    std::fprintf(stderr, "%s\n", engine.error().message.c_str());
    return 2;
  }
  double init_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();

  const std::vector<std::string> requests = {
      R"({"platform":"colab","plan":"free","model":"meta-llama/Llama-3.1-8B","adapter_type":"qlora"})",
      R"({"platform":"kaggle","plan":"t4x2","model":"Qwen/Qwen2.5-1.5B","adapter_type":"none"})",
      R"({"gpu_override":"RTX 4090","model":"mistralai/Mistral-7B-v0.3","adapter_type":"lora","dataset_size":20000})",
      R"({"gpu_override":"A100 80GB","model":"meta-llama/Llama-3.1-70B","adapter_type":"qlora","task_type":"chat"})",
      R"({"platform":"colab","plan":"free","model":"meta-llama/Llama-2-70b-hf","adapter_type":"qlora"})",
  };
  std::vector<double> us;
  us.reserve(iterations);
  for (int i = 0; i < iterations; ++i) {
    const std::string& req = requests[i % requests.size()];
    // Request text in, response text out: the work the CLI and the WebAssembly
    // API (recommendJson) do, so native and WASM times compare like for like.
    auto t = Clock::now();
    auto r = engine.value()->Recommend(req);
    const std::string text = r.ok() ? ftconfig::JsonText(r.value()) : std::string();
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t).count());
    if (!r.ok() || text.empty()) {
      std::fprintf(stderr, "request failed: %s\n", r.error().message.c_str());
      return 1;
    }
  }
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) { return us[static_cast<size_t>(p * (us.size() - 1))]; };
  double mean = std::accumulate(us.begin(), us.end(), 0.0) / us.size();
  std::printf("engine init (catalog + %d corpus rows): %.1f ms\n",
              engine.value()->corpus().stats().rows_read, init_ms);
  std::printf("recommend, request text to response text, over %d requests (%zu request shapes): mean %.1f us, p50 %.1f us, p90 %.1f us, p99 %.1f us, max %.1f us\n",
              iterations, requests.size(), mean, pct(0.5), pct(0.9), pct(0.99), us.back());
  return 0;
}
