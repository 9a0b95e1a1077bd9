// Shared helpers for the engine tests: fixture and bundled data loading.
#ifndef FTCONFIG_TESTS_TEST_UTIL_H_
#define FTCONFIG_TESTS_TEST_UTIL_H_

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "ftconfig/recommend.h"

namespace ftconfig {
// Boost.Test prints values of failed comparisons.
inline std::ostream& operator<<(std::ostream& os, ErrorCode c) { return os << ToString(c); }
inline std::ostream& operator<<(std::ostream& os, FallbackLevel l) { return os << ToString(l); }
}  // namespace ftconfig

namespace ftconfig::test {

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline CatalogFiles CatalogFilesIn(const std::string& dir) {
  CatalogFiles f;
  f.gpus = ReadFile(dir + "/catalog/gpus.json");
  f.platforms = ReadFile(dir + "/catalog/platforms.json");
  f.models = ReadFile(dir + "/catalog/models.json");
  f.stacks = ReadFile(dir + "/catalog/stacks.json");
  f.tasks = ReadFile(dir + "/catalog/tasks.json");
  f.datasets = ReadFile(dir + "/catalog/datasets.json");
  return f;
}

inline const Catalog& FixtureCatalog() {
  static const Catalog c = Catalog::Load(CatalogFilesIn(FTCONFIG_TEST_FIXTURES)).value();
  return c;
}

inline std::string Fixture(const std::string& rel) { return ReadFile(std::string(FTCONFIG_TEST_FIXTURES) + "/" + rel); }

// The engine over the bundled data/ (catalog and corpus snapshot).
inline const Engine& BundledEngine() {
  static const std::shared_ptr<const Engine> e = [] {
    EngineData d;
    d.catalog = CatalogFilesIn(FTCONFIG_DATA_DIR);
    d.corpus.push_back({"configs.jsonl", ReadFile(std::string(FTCONFIG_DATA_DIR) + "/corpus/configs.jsonl")});
    auto r = Engine::Create(d);
    if (!r.ok()) throw std::runtime_error("bundled engine: " + r.error().message);
    return r.value();
  }();
  return *e;
}

// The engine over the fixture catalog and the given fixture corpus files.
inline std::shared_ptr<const Engine> FixtureEngine(const std::vector<std::string>& corpus_files) {
  EngineData d;
  d.catalog = CatalogFilesIn(FTCONFIG_TEST_FIXTURES);
  for (const auto& f : corpus_files) d.corpus.push_back({f, Fixture("corpus/" + f)});
  auto r = Engine::Create(d);
  if (!r.ok()) throw std::runtime_error("fixture engine: " + r.error().message);
  return r.value();
}

struct CliResult {
  int exit_code;
  std::string out;
};

// Runs the built CLI with `args` (a shell fragment), stdin from `input`.
inline CliResult RunCli(const std::string& args, const std::string& input = "") {
  std::string in_path = "/tmp/ftconfig_test_stdin_" + std::to_string(::getpid());
  { std::ofstream(in_path) << input; }
  std::string cmd = std::string(FTCONFIG_CLI) + " " + args + " < " + in_path + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  std::remove(in_path.c_str());
  return {WEXITSTATUS(status), out};
}

}  // namespace ftconfig::test

#endif  // FTCONFIG_TESTS_TEST_UTIL_H_
