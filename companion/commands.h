// Subcommands of the native `ftconfig` CLI. Each Add*Command registers one
// subcommand (and its own subcommands) on the app; main.cpp only wires them.
//
// Conventions shared by every command:
// - JSON on stdout by default; `--format text` where people read it.
// - Bad input: exit code 2, `{"error":{"code","field","message"}}` on stdout
//   and one line on stderr naming the field and what is accepted.
// - Never a crash: every handler runs inside RunGuarded().
#ifndef FTCONFIG_COMPANION_COMMANDS_H_
#define FTCONFIG_COMPANION_COMMANDS_H_

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "ftconfig/result.h"

namespace ftconfig::cli {

struct Context {
  std::string data_dir;    // --data-dir; default: $FTCONFIG_DATA_DIR, else the source tree's data/
  std::string models_dir;  // --models-dir; default: $FTCONFIG_MODELS_DIR, else the source tree's models/
  int exit_code = 0;     // set by the command that ran
};

// Prints `error` as the documented JSON on stdout and one line on stderr;
// returns 2.
int ReportError(const Error& error);
// Runs `body`, turning any escaped exception into an kInternal error (exit 2).
int RunGuarded(const std::function<int()>& body);
// Reads a whole file or "-" for stdin. kInvalidValue naming `field` on failure.
Result<std::string> ReadInput(const std::string& path, const std::string& field);
// Writes `text` to `path` whole or not at all: a temporary file beside it,
// renamed over it once written (an existing file stays as it was on a
// failure). kInvalidValue naming `field` on failure.
Result<bool> WriteOutputFile(const std::string& path, const std::string& text, const std::string& field);

// Standard input when it is a pipe or a redirected file (`cat r.json | ftconfig recommend`), else nothing: a
// terminal or /dev/null is not read. Empty or blank input counts as nothing.
std::optional<std::string> PipedStdin();

// Progress lines on stderr, each with the seconds since construction
// ("[  12.3s] loading data/"); nothing when `quiet` (train, retrain).
class ProgressLog {
 public:
  explicit ProgressLog(bool quiet) : quiet_(quiet), start_(std::chrono::steady_clock::now()) {}
  void operator()(const std::string& line) const;

 private:
  bool quiet_;
  std::chrono::steady_clock::time_point start_;
};

// The request JSON a command's flags start from: the file named, "-" for
// stdin, or stdin without "-" when it is piped; an empty object when there
// is none (cmd_recommend.cpp; recommend and plan).
Result<nlohmann::json> RequestBase(const std::string& request_file);

// The request flags `recommend` and `plan` share (what is trained, on what
// data, with which trainer); each command adds its own. Set fields override
// the request file's.
struct RequestFlags {
  std::string model, task, adapter, dataset_name, framework;
  std::optional<double> params_b, dataset_size;
  std::optional<int> max_seq_length;
  bool no_qlora = false;

  void Add(CLI::App* cmd);
  void Apply(nlohmann::json* request) const;
};

void AddRecommendCommand(CLI::App& app, Context& ctx);
void AddCorpusCommand(CLI::App& app, Context& ctx);
void AddCatalogCommand(CLI::App& app, Context& ctx);
void AddEstimateCommand(CLI::App& app, Context& ctx);
void AddTrainCommand(CLI::App& app, Context& ctx);     // cmd_train.cpp
void AddEvaluateCommand(CLI::App& app, Context& ctx);  // cmd_evaluate.cpp
void AddTelemetryCommand(CLI::App& app, Context& ctx);  // cmd_telemetry.cpp
void AddCollectCommand(CLI::App& app, Context& ctx);    // cmd_collect.cpp
void AddGovernanceCommands(CLI::App& app, Context& ctx);  // cmd_governance.cpp: promote, rollback, status
void AddRetrainCommand(CLI::App& app, Context& ctx);    // cmd_retrain.cpp
void AddRealismCommand(CLI::App& app, Context& ctx);    // cmd_realism.cpp
void AddCanaryCommand(CLI::App& app, Context& ctx);     // cmd_canary.cpp
void AddPlanCommand(CLI::App& app, Context& ctx);       // cmd_plan.cpp
void AddSuggestCommand(CLI::App& app, Context& ctx);    // cmd_suggest.cpp

}  // namespace ftconfig::cli

#endif  // FTCONFIG_COMPANION_COMMANDS_H_
