#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

#include "shared_library.h"
#include "test_util.h"

using namespace ftconfig;
using test::RunCli;

namespace {
json ParseOut(const test::CliResult& r) {
  json j = json::parse(r.out, nullptr, false);
  BOOST_TEST_REQUIRE(!j.is_discarded(), "stdout is not JSON: " + r.out);
  return j;
}

// A data folder of its own: the bundled catalog and the first `rows` lines of the bundled corpus.
std::string DataDirWithCorpus(const std::string& name, size_t rows) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / (name + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "corpus");
  fs::create_directory_symlink(fs::path(FTCONFIG_DATA_DIR) / "catalog", dir / "catalog");
  std::ifstream in(std::string(FTCONFIG_DATA_DIR) + "/corpus/configs.jsonl");
  std::ofstream out(dir / "corpus" / "configs.jsonl");
  std::string line;
  for (size_t k = 0; k < rows && std::getline(in, line); ++k) out << line << "\n";
  return dir.string();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli)

BOOST_AUTO_TEST_CASE(binary_snapshot_is_loaded_and_answers_like_the_jsonl) {
  const std::string dir = DataDirWithCorpus("ftconfig_snapshot_", 100000);
  const std::string req = "recommend --gpu T4 --model llama2-7b --adapter lora --strategy hybrid";
  auto from_jsonl = RunCli(req + " --data-dir " + dir);
  auto made = RunCli("--data-dir " + dir + " corpus snapshot --format binary --out " + dir + "/corpus/corpus.snapshot");
  BOOST_TEST_REQUIRE(made.exit_code == 0);
  auto from_snapshot = RunCli(req + " --data-dir " + dir);
  BOOST_TEST(from_jsonl.exit_code == 0);
  BOOST_TEST(from_snapshot.out == from_jsonl.out);
  BOOST_TEST(RunCli("corpus snapshot --format binary").exit_code == 2);  // binary needs --out
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(stale_binary_snapshot_is_ignored) {
  // A snapshot of 100 rows, then the corpus file gets every row: the answer is the full corpus's.
  const std::string dir = DataDirWithCorpus("ftconfig_stale_snapshot_", 100);
  BOOST_TEST_REQUIRE(
      RunCli("--data-dir " + dir + " corpus snapshot --format binary --out " + dir + "/corpus/corpus.snapshot").exit_code == 0);
  std::filesystem::copy_file(std::string(FTCONFIG_DATA_DIR) + "/corpus/configs.jsonl", dir + "/corpus/configs.jsonl",
                             std::filesystem::copy_options::overwrite_existing);
  const std::string req = "recommend --gpu T4 --model llama2-7b --adapter lora --strategy hybrid";
  auto stale = RunCli(req + " --data-dir " + dir);
  auto bundled = RunCli(req);
  BOOST_TEST(stale.exit_code == 0);
  BOOST_TEST(stale.out == bundled.out);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(recommend_from_flags) {
  auto r = RunCli("recommend --platform colab --plan free --model meta-llama/Llama-3.1-8B --adapter qlora");
  BOOST_TEST(r.exit_code == 0);
  json j = ParseOut(r);
  BOOST_TEST(j["hyperparameters"]["precision"] == "fp16");
}

BOOST_AUTO_TEST_CASE(recommend_from_stdin_and_text_format) {
  auto r = RunCli("recommend - --format text", R"({"gpu_override": "4090", "model": "llama2-7b", "adapter_type": "lora"})");
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.out.find("Hyperparameters") != std::string::npos);
  BOOST_TEST(r.out.find("VRAM per GPU") != std::string::npos);
  BOOST_TEST(r.out.find("Confidence") != std::string::npos);
  // Lists print their items, not a placeholder.
  BOOST_TEST(r.out.find("q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj") != std::string::npos, r.out);
}

BOOST_AUTO_TEST_CASE(bad_input_exits_2_naming_the_field) {
  struct Case { std::string args, input, code, field; };
  const Case cases[] = {
      {"recommend -", "{broken", "invalid_json", "request"},
      {"recommend --platform moon --plan free --model llama2-7b", "", "unknown_platform", "platform"},
      {"recommend --gpu T4", "", "missing_field", "model"},
      {"recommend --gpu T4 --model gpt-17", "", "unknown_model", "model"},
      {"recommend -", R"({"gpu_override": "T4", "model": "llama2-7b", "dataset_size": -1})", "invalid_value", "dataset_size"},
      {"recommend -", R"({"gpu_override": "T4", "model": "llama2-7b", "dataset_size": "lots"})", "invalid_type", "dataset_size"},
      {"recommend /nonexistent/request.json", "", "invalid_value", "request"},
  };
  for (const auto& c : cases) {
    auto r = RunCli(c.args, c.input);
    BOOST_TEST(r.exit_code == 2, c.args);
    json j = ParseOut(r);
    BOOST_TEST(j["error"]["code"] == c.code, c.args);
    BOOST_TEST(j["error"]["field"] == c.field, c.args);
  }
  // A flag of the wrong type is a usage error: still exit 2 and JSON.
  auto r = RunCli("recommend --gpu T4 --model llama2-7b --dataset-size many");
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(ParseOut(r).contains("error"));
}

BOOST_AUTO_TEST_CASE(corpus_stats_reports_rejections) {
  auto r = RunCli("corpus stats");
  BOOST_TEST(r.exit_code == 0);
  json j = ParseOut(r);
  BOOST_TEST(j["rows_read"] == 728);
  BOOST_TEST(j["rows_accepted"].get<int>() + j["rows_rejected"].get<int>() + j["rows_duplicate"].get<int>() == 728);
  BOOST_TEST(j["groups"].size() > 10u);
}

BOOST_AUTO_TEST_CASE(corpus_stats_on_extra_files) {
  std::string dir = FTCONFIG_TEST_FIXTURES;
  auto r = RunCli("corpus stats --file " + dir + "/corpus/profile.jsonl --file " + dir + "/corpus/fixed_allnull.jsonl");
  BOOST_TEST(r.exit_code == 0);
  json j = ParseOut(r);
  BOOST_TEST(j["files_skipped"] == 1);
  BOOST_TEST(j["rejected_by_reason"]["learning_rate_out_of_range"] == 2);
}

BOOST_AUTO_TEST_CASE(catalog_lists) {
  for (const char* what : {"gpus", "platforms", "models", "tasks"}) {
    auto r = RunCli(std::string("catalog ") + what);
    BOOST_TEST(r.exit_code == 0, what);
    BOOST_TEST(ParseOut(r).size() > 3u, what);
  }
}

// Issue 19, item 7: the CLI conventions people expect.
BOOST_AUTO_TEST_CASE(recommend_reads_piped_stdin_without_dash) {
  const std::string req = R"({"gpu_override": "T4", "model": "llama2-7b", "adapter_type": "lora"})";
  auto r = RunCli("recommend --format text", req);  // stdin redirected from a file
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.out.find("Hyperparameters") != std::string::npos);
  // A real pipe, and flags still override the piped request's fields.
  std::string cmd = "printf '%s' '" + req + "' | " + std::string(FTCONFIG_CLI) + " recommend --gpu 4090 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  BOOST_TEST(WEXITSTATUS(pclose(p)) == 0);
  json j = json::parse(out, nullptr, false);
  BOOST_TEST_REQUIRE(!j.is_discarded(), out);
  BOOST_TEST(j["gpu"]["id"] == "rtx-4090");
  BOOST_TEST(j["request"]["model"] == "meta-llama/Llama-2-7b-hf");  // from the piped request
  // Piped garbage names the request; an empty pipe is no request at all.
  auto bad = RunCli("recommend", "{broken");
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(ParseOut(bad)["error"]["code"] == "invalid_json");
  auto none = RunCli("recommend", "  \n");
  BOOST_TEST(none.exit_code == 2);
  BOOST_TEST(ParseOut(none)["error"]["code"] == "missing_field");
}

BOOST_AUTO_TEST_CASE(options_after_positionals) {
  auto r = RunCli("catalog gpus --format text");
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.out.find(" GB\n") != std::string::npos);
  BOOST_TEST(r.out.find('{') == std::string::npos);
  auto before = RunCli("catalog --format text gpus");
  BOOST_TEST(before.out == r.out);
  auto rec = RunCli("recommend --gpu T4 --model llama2-7b --data-dir " + std::string(FTCONFIG_DATA_DIR));
  BOOST_TEST(rec.exit_code == 0);
}

BOOST_AUTO_TEST_CASE(free_plans_need_no_plan_name) {
  auto local = RunCli("recommend --platform local --plan free --gpu 4090 --model llama2-7b --adapter lora");
  BOOST_TEST(local.exit_code == 0);
  BOOST_TEST(ParseOut(local)["gpu"]["id"] == "rtx-4090");
  auto kaggle = RunCli("recommend --platform kaggle --plan free --model llama2-7b --adapter qlora");
  BOOST_TEST(kaggle.exit_code == 0);
  json k = ParseOut(kaggle);
  BOOST_TEST(k["gpu"]["id"] == "t4");
  BOOST_TEST(k["request"]["plan"] == "t4x2");
}

BOOST_AUTO_TEST_CASE(snapshot_max_rows_distills_the_json_snapshot_only) {
  auto r = test::RunCli("corpus snapshot --max-rows 50");
  BOOST_TEST_REQUIRE(r.exit_code == 0);
  BOOST_TEST(nlohmann::json::parse(r.out)["rows"].size() == 50u);
  auto bin = test::RunCli("corpus snapshot --format binary --out /dev/null --max-rows 50 2>&1");
  BOOST_TEST(bin.exit_code == 2);
  BOOST_TEST(bin.out.find("\"field\":\"max-rows\"") != std::string::npos, bin.out);
  BOOST_TEST(test::RunCli("corpus snapshot --max-rows -1").exit_code != 0);
}

BOOST_AUTO_TEST_CASE(libraries_opened_on_first_use_say_what_is_missing) {
  // libpq and XGBoost are opened by the commands that need them
  // (shared_library.h): a missing one is a clear error, the same each time.
  using ftconfig::cli::SharedLibrary;
  auto missing = SharedLibrary::Open("libftconfig-missing.so.7", "a test store", "libftconfig-missing7");
  BOOST_TEST_REQUIRE(!missing.ok());
  BOOST_TEST(missing.error().code == ftconfig::ErrorCode::kUnsupported);
  const std::string& m = missing.error().message;
  BOOST_TEST(m.find("a test store needs libftconfig-missing.so.7 (Debian package libftconfig-missing7") == 0u, m);
  BOOST_TEST(!SharedLibrary::Open("libftconfig-missing.so.7", "a test store", "libftconfig-missing7").ok());
  // A present library (libm) resolves its functions and names the ones it lacks.
  auto libm = SharedLibrary::Open("libm.so.6", "a test", "libc6");
  BOOST_TEST_REQUIRE(libm.ok());
  BOOST_TEST(libm.value()->Function<double (*)(double)>("cos").ok());
  auto absent = libm.value()->Function<void (*)()>("ftconfig_no_such_function");
  BOOST_TEST_REQUIRE(!absent.ok());
  BOOST_TEST(absent.error().message.find("ftconfig_no_such_function") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_cli_starts_without_libpq_or_xgboost) {
  // Only the commands that need them load them: the dynamic loader's own log
  // (LD_DEBUG=libs, on stderr) of a recommendation names neither.
  const std::string cmd = "LD_DEBUG=libs " + std::string(FTCONFIG_CLI) +
                          " recommend --platform colab --plan free --model llama2-7b --adapter qlora 2>&1 >/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  BOOST_TEST_REQUIRE(p != nullptr);
  std::string log;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) log.append(buf, n);
  BOOST_TEST(pclose(p) == 0);
  BOOST_TEST(log.find("libstdc++") != std::string::npos);  // the log is there
  BOOST_TEST(log.find("libpq") == std::string::npos);
  BOOST_TEST(log.find("libxgboost") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
