// Growth benchmark of the recommender (not a test: scripts/bench-scale.sh runs
// it and the numbers go to docs/performance.md).
//
//   ftconfig_bench_scale generate <rows> <in.jsonl> <out.jsonl>
//       replicates the rows of <in.jsonl>, perturbed so that the corpus's
//       de-duplication keeps the copies: copy k gets its own id and source
//       repository and a learning rate k x 0.01% higher.
//   ftconfig_bench_scale run <data_dir> <models_dir> <rounds>
//       creates the engine from <data_dir> (timed), then answers the benchmark
//       requests with every strategy, interleaved, <rounds> times; prints
//       creation time, peak RSS, per-strategy p50/p99 of the thread's CPU time
//       per request, and a digest of the answers (equal digests: equal answers).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data_files.h"
#include "ftconfig/recommend.h"

namespace {

using nlohmann::json;

double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;  // kilobytes on Linux
}

// Resident memory now (the peak above includes what creation freed).
double RssNowMb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1048576.0);
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (line.find_first_not_of(" \t\r") != std::string::npos) out.push_back(line);
  return out;
}

// One perturbed copy of a bundled row (copy 0 is the row itself).
std::string Perturb(const std::string& line, long copy) {
  if (copy == 0) return line;
  json row = json::parse(line, nullptr, false);
  if (!row.is_object()) return line;
  const std::string tag = "~" + std::to_string(copy);
  if (row.contains("id") && row["id"].is_string()) row["id"] = row["id"].get<std::string>() + tag;
  if (row.contains("source_repo") && row["source_repo"].is_string())
    row["source_repo"] = row["source_repo"].get<std::string>() + tag;
  if (row.contains("learning_rate") && row["learning_rate"].is_number())
    row["learning_rate"] = row["learning_rate"].get<double>() * (1.0 + 1e-4 * copy);
  return row.dump();
}

int Generate(long rows, const std::string& in, const std::string& out) {
  std::vector<std::string> base = ReadLines(in);
  if (base.empty() || rows < 1) return std::fprintf(stderr, "nothing to replicate in %s\n", in.c_str()), 2;
  std::ofstream o(out, std::ios::binary);
  for (long i = 0; i < rows; ++i) o << Perturb(base[i % base.size()], i / static_cast<long>(base.size())) << '\n';
  return o ? 0 : (std::fprintf(stderr, "cannot write %s\n", out.c_str()), 2);
}

const std::vector<std::string>& Requests() {
  static const std::vector<std::string> r = {
      R"({"platform":"colab","plan":"free","model":"meta-llama/Llama-3.1-8B","adapter_type":"qlora")",
      R"({"platform":"kaggle","plan":"t4x2","model":"Qwen/Qwen2.5-1.5B","adapter_type":"none")",
      R"({"gpu_override":"RTX 4090","model":"mistralai/Mistral-7B-v0.3","adapter_type":"lora","dataset_size":20000)",
      R"({"gpu_override":"A100 80GB","model":"meta-llama/Llama-3.1-70B","adapter_type":"qlora","task_type":"chat")",
      R"({"gpu_override":"RTX 4090","model":"Qwen/Qwen2.5-0.5B","adapter_type":"none","task_type":"preference_dpo")",
  };
  return r;
}

struct Timings {
  std::vector<double> ms;
  unsigned long long digest = 1469598103934665603ull;  // FNV-1a over the first round's answers
};

void Digest(Timings* t, const std::string& text) {
  for (unsigned char c : text) t->digest = (t->digest ^ c) * 1099511628211ull;
}

double Pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[static_cast<size_t>(p * (v.size() - 1) + 0.5)];
}

ftconfig::Result<std::shared_ptr<const ftconfig::Engine>> CreateEngine(const std::string& data_dir,
                                                                     const std::string& models_dir) {
  FTCONFIG_ASSIGN_OR_RETURN(data, ftconfig::cli::ReadEngineData(data_dir, models_dir));
  return ftconfig::Engine::Create(data);
}

int Run(const std::string& data_dir, const std::string& models_dir, int rounds) {
  const double t0 = ThreadCpuMs();
  auto wall0 = std::chrono::steady_clock::now();
  auto engine = CreateEngine(data_dir, models_dir);  // the files' text is freed on return, as in the CLI
  if (!engine.ok()) return std::fprintf(stderr, "%s\n", engine.error().message.c_str()), 2;
  const double create_cpu = ThreadCpuMs() - t0;
  const double create_wall = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall0).count();
  const double rss_created = PeakRssMb(), rss_now = RssNowMb();
  const std::vector<std::string> strategies = {"auto", "deterministic", "hybrid", "hybrid_ml"};
  std::map<std::string, Timings> by;
  for (int round = 0; round < rounds; ++round)
    for (const auto& s : strategies)
      for (const auto& base : Requests()) {
        const std::string req = base + R"(,"strategy":")" + s + "\"}";
        const double a = ThreadCpuMs();
        auto r = engine.value()->Recommend(req);
        by[s].ms.push_back(ThreadCpuMs() - a);
        if (!r.ok()) return std::fprintf(stderr, "request failed: %s\n", r.error().message.c_str()), 1;
        if (round == 0) Digest(&by[s], r.value().dump());
      }
  std::printf("rows_kept %zu\ncreate_cpu_ms %.1f\ncreate_wall_ms %.1f\nrss_after_create_mb %.1f\n"
              "rss_resident_after_create_mb %.1f\npeak_rss_mb %.1f\n",
              engine.value()->corpus().records().size(), create_cpu, create_wall, rss_created, rss_now, PeakRssMb());
  for (const auto& s : strategies)
    std::printf("strategy %s first_ms %.3f p50_ms %.3f p99_ms %.3f digest %016llx\n", s.c_str(), by[s].ms.front(),
                Pct(by[s].ms, 0.5), Pct(by[s].ms, 0.99), by[s].digest);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "generate" && argc == 5) return Generate(std::atol(argv[2]), argv[3], argv[4]);
  if (mode == "run" && argc == 5) return Run(argv[2], argv[3], std::max(1, std::atoi(argv[4])));
  std::fprintf(stderr,
               "usage: ftconfig_bench_scale generate <rows> <in.jsonl> <out.jsonl>\n"
               "       ftconfig_bench_scale run <data_dir> <models_dir> <rounds>\n");
  return 2;
}
