// ftconfig: the native companion CLI. See README.md and docs/cli.md.
#include <iostream>

#include "commands.h"
#include "data_files.h"
#include "ftconfig/recommend.h"

int main(int argc, char** argv) {
  using namespace ftconfig::cli;
  Context ctx;
  ctx.data_dir = DefaultDataDir();
  ctx.models_dir = DefaultModelsDir();
  CLI::App app{"ftconfig: safe fine-tuning configurations (native companion)", "ftconfig"};
  app.require_subcommand(1);
  // Options after positionals and subcommands reach the command that owns them
  // (`catalog gpus --format text`, `recommend --model x --data-dir d`);
  // subcommands inherit this when they are added.
  app.fallthrough();
  app.add_option("--data-dir", ctx.data_dir, "Folder holding catalog/ and corpus/ (default: the bundled data/)");
  app.add_option("--models-dir", ctx.models_dir,
                 "Folder holding registry.json and trained artifacts (default: the bundled models/; empty: none)");
  app.set_version_flag("--version", std::string("ftconfig ") + ftconfig::Engine::Version());
  AddRecommendCommand(app, ctx);
  AddEstimateCommand(app, ctx);
  AddCorpusCommand(app, ctx);
  AddCatalogCommand(app, ctx);
  AddTrainCommand(app, ctx);
  AddEvaluateCommand(app, ctx);
  AddTelemetryCommand(app, ctx);
  AddCollectCommand(app, ctx);
  AddGovernanceCommands(app, ctx);
  AddRetrainCommand(app, ctx);
  AddRealismCommand(app, ctx);
  AddCanaryCommand(app, ctx);
  AddPlanCommand(app, ctx);
  AddSuggestCommand(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return ReportError({ftconfig::ErrorCode::kInvalidValue, "", e.what()});
  } catch (const std::exception& e) {
    return ReportError({ftconfig::ErrorCode::kInternal, "", std::string("internal error: ") + e.what()});
  }
  return ctx.exit_code;
}
