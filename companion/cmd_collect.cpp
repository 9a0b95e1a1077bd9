// ftconfig collect: the self-hosted receiver of `ftconfig telemetry upload`.
#include <cstdlib>
#include <iostream>

#include "commands.h"
#include "telemetry_collector.h"
#include "telemetry_store.h"

namespace ftconfig::cli {

void AddCollectCommand(CLI::App& app, Context& ctx) {
  struct Args {
    std::string listen = "127.0.0.1:8787";
    std::string store;
    std::string tokens_file;
    std::string token_env;
    double rate_limit = 50;
    double burst = 0;
    std::size_t max_body_bytes = 4u << 20;
    std::size_t max_events = 1000;
    int respond_delay_ms = 0;
    std::string sync = "full";
    std::vector<std::string> allow_origins;
    telemetry::CollectorLimits limits;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("collect", "Receive telemetry uploads over HTTP into a store (self-hosted collector)");
  cmd->add_option("--listen", a->listen, "HOST:PORT to listen on (PORT 0: any free port)")->capture_default_str();
  cmd->add_option("--store", a->store, "Store the collector writes: an SQLite file, or a postgresql:// URL (a team's database)")->required();
  auto* tf = cmd->add_option("--tokens-file", a->tokens_file, "File of accepted bearer tokens: \"TOKEN\" or \"NAME TOKEN\" per line");
  auto* te = cmd->add_option("--token-env", a->token_env, "Environment variable holding the one accepted bearer token");
  tf->excludes(te);
  cmd->add_option("--rate-limit", a->rate_limit, "Ingest requests per second per token (0: unlimited)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--burst", a->burst, "Requests a token may send at once (default: 2 x --rate-limit)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-body-bytes", a->max_body_bytes, "Largest request body; larger ones get 413")
      ->capture_default_str()
      ->check(CLI::Range(static_cast<std::size_t>(1024), static_cast<std::size_t>(1) << 30));
  cmd->add_option("--max-events", a->max_events, "Most events in one request; more get 413")
      ->capture_default_str()
      ->check(CLI::Range(static_cast<std::size_t>(1), static_cast<std::size_t>(1000000)));
  cmd->add_option("--sync", a->sync,
                  "full: an event is on disk before it is acknowledged; normal: faster, an OS crash or power loss "
                  "may lose the last acknowledged events")
      ->capture_default_str()
      ->check(CLI::IsMember({"full", "normal"}));
  cmd->add_option("--allow-origin", a->allow_origins,
                  "Let browser pages from ORIGIN (scheme://host[:port], or * for any) upload: CORS headers and "
                  "preflight answers; repeatable. Default: off");
  cmd->add_option("--max-connections", a->limits.max_connections,
                  "Connections served at once; more get 503 (slow clients cannot starve /health)")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--header-timeout", a->limits.header_timeout_s,
                  "Seconds a client has for its request line and headers")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 600.0));
  cmd->add_option("--request-timeout", a->limits.request_timeout_s,
                  "Seconds a client has for a whole request, body included (408 after)")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  cmd->add_option("--respond-delay-ms", a->respond_delay_ms, "Testing: wait after storing, before answering")
      ->group("")
      ->check(CLI::Range(0, 60000));
  cmd->callback([&ctx, a]() {
    ctx.exit_code = RunGuarded([&]() -> int {
      using namespace ftconfig::telemetry;
      CollectorOptions o;
      auto listen = ParseListen(a->listen, "--listen");
      if (!listen.ok()) return ReportError(listen.error());
      o.host = listen.value().first;
      o.port = listen.value().second;
      for (const auto& origin : a->allow_origins) {
        auto v = ParseAllowOrigin(origin, "--allow-origin");
        if (!v.ok()) return ReportError(v.error());
        o.allow_origins.push_back(v.value());
      }
      if (!a->tokens_file.empty()) {
        auto text = ReadInput(a->tokens_file, "--tokens-file");
        if (!text.ok()) return ReportError(text.error());
        auto tokens = ParseTokens(text.value(), a->tokens_file, "--tokens-file");
        if (!tokens.ok()) return ReportError(tokens.error());
        o.tokens = tokens.value();
      } else if (!a->token_env.empty()) {
        const char* v = std::getenv(a->token_env.c_str());
        if (!v || !*v)
          return ReportError({ErrorCode::kMissingField, "--token-env",
                              "environment variable " + a->token_env + " is not set or empty"});
        auto tokens = ParseTokens(v, "$" + a->token_env, "--token-env");
        if (!tokens.ok()) return ReportError(tokens.error());
        if (tokens.value().size() != 1)
          return ReportError({ErrorCode::kInvalidValue, "--token-env", "$" + a->token_env + " must hold one token"});
        o.tokens = {{tokens.value().begin()->first, "default"}};
      } else {
        return ReportError({ErrorCode::kMissingField, "--tokens-file",
                            "the collector needs bearer tokens: --tokens-file FILE or --token-env VAR"});
      }
      o.rate_limit_rps = a->rate_limit;
      o.rate_burst = a->burst > 0 ? a->burst : 2 * a->rate_limit;
      o.max_body_bytes = a->max_body_bytes;
      o.max_events = a->max_events;
      o.respond_delay_ms = a->respond_delay_ms;
      o.limits = a->limits;
      auto store = Store::Open(a->store, "--store");
      if (!store.ok()) return ReportError(store.error());
      store.value()->SetPlausibilityRules(telemetry::DefaultPlausibilityRules(ctx.data_dir));
      if (auto s = store.value()->SetFullSync(a->sync == "full"); !s.ok()) return ReportError(s.error());
      auto r = RunCollector(o, *store.value(), [&](int port) {
        // The first stdout line says where to send events (useful with PORT 0).
        std::cout << json{{"listening", o.host + ":" + std::to_string(port)}, {"store", store.value()->path()},
                          {"tokens", o.tokens.size()}, {"allow_origins", o.allow_origins}}
                         .dump()
                  << std::endl;
        std::cerr << "ftconfig: collect: listening on http://" << o.host << ":" << port << kIngestPath << std::endl;
      });
      if (!r.ok()) return ReportError(r.error());
      std::cerr << "ftconfig: collect: stopped" << std::endl;
      return 0;
    });
  });
}

}  // namespace ftconfig::cli
