// ftconfig promote | rollback | status: model governance over
// models/registry.json (model_registry.h, docs/retraining.md).
//
// Exit codes: 0 done; 1 refused by the policy (release gates failed or never
// evaluated, stage order), with {"error": {"code": "refused", ...}}; 2 bad
// input (unknown version, malformed registry, missing --reason).
#include <functional>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "model_registry.h"

namespace ftconfig::cli {

namespace {

std::string RegistryPath(const std::string& flag, const Context& ctx) {
  if (!flag.empty()) return flag;
  return (ctx.models_dir.empty() ? std::string("models") : ctx.models_dir) + "/registry.json";
}

int Refuse(const Error& e) {
  std::cout << json{{"error", {{"code", "refused"}, {"field", e.field}, {"message", e.message}}}}.dump() << std::endl;
  std::cerr << "ftconfig: " << e.message << std::endl;
  return 1;
}

// One registry transition under the registry's lock: load, apply `change`
// (which returns the transition or an Error, setting *refused when the policy
// said no), save atomically, and print {key: transition, aliases,
// canary_fraction}.
int Transition(const std::string& path, const char* key,
               const std::function<Result<json>(ModelRegistry&, bool* refused)>& change) {
  RegistryLock lock(path);
  auto reg = ModelRegistry::Load(path);
  if (!reg.ok()) return ReportError(reg.error());
  bool refused = false;
  auto t = change(reg.value(), &refused);
  if (!t.ok()) return refused ? Refuse(t.error()) : ReportError(t.error());
  if (auto w = reg.value().Save(); !w.ok()) return ReportError(w.error());
  std::cout << json{{key, t.value()}, {"aliases", reg.value().doc()["aliases"]},
                    {"canary_fraction", reg.value().canary_fraction()}}
                   .dump(2)
            << std::endl;
  return 0;
}

std::string StatusText(const json& s) {
  std::ostringstream o;
  auto str = [](const json& v) { return v.is_string() ? v.get<std::string>() : std::string("(none)"); };
  o << "registry: " << s["registry"].get<std::string>() << "\n";
  o << "production: " << str(s["aliases"]["production"]) << "\n";
  o << "canary: " << str(s["aliases"]["canary"]);
  if (s["aliases"]["canary"].is_string())
    o << " (serves " << std::fixed << std::setprecision(1) << s["canary_fraction"].get<double>() * 100
      << "% of clients)";
  o << "\nversions:\n";
  for (const auto& v : s["versions"]) {
    const json& g = v["gates"];
    std::string gates = !g["evaluated"].get<bool>() ? "not evaluated"
                        : g["passed"].get<bool>()   ? "passed"
                                                    : "FAILED (" + g["failed"].dump() + ")";
    o << "  " << std::left << std::setw(28) << v["version"].get<std::string>() << " " << std::setw(10)
      << v["stage"].get<std::string>() << " gates " << gates;
    if (v["created_at"].is_string()) o << "  created " << v["created_at"].get<std::string>();
    if (v["artifacts"].is_object())
      for (const auto& [k, a] : v["artifacts"].items())
        if (a.contains("ok") && !a["ok"].get<bool>()) o << "  [" << k << " artifact missing or digest mismatch]";
    o << "\n";
  }
  o << "history (latest last):\n";
  for (const auto& h : s["history"]) {
    o << "  " << (h["at"].is_string() ? h["at"].get<std::string>() : std::string("-")) << "  "
      << h.value("action", "") << " " << h.value("version", "") << " " << str(h.value("from", json(nullptr)))
      << " -> " << str(h.value("to", json(nullptr))) << ": " << h.value("reason", "") << "\n";
  }
  return o.str();
}

}  // namespace

void AddGovernanceCommands(CLI::App& app, Context& ctx) {
  {
    struct Opts {
      std::string version, to, reason, registry;
      double fraction = -1;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("promote", "Move a model version up: candidate -> staging -> canary -> production");
    cmd->add_option("VERSION", o->version, "Version id (ftconfig status lists them)")->required();
    cmd->add_option("--to", o->to, "staging | canary | production")->required();
    cmd->add_option("--fraction", o->fraction, "Share of site clients served the canary (with --to canary; default 0.1)");
    cmd->add_option("--reason", o->reason, "Why (recorded in the history)")->required();
    cmd->add_option("--registry", o->registry, "Registry file (default: MODELS_DIR/registry.json)");
    cmd->callback([o, &ctx]() {
      ctx.exit_code = RunGuarded([&]() -> int {
        std::optional<double> f;
        if (o->fraction >= 0) f = o->fraction;
        return Transition(RegistryPath(o->registry, ctx), "promoted", [&](ModelRegistry& reg, bool* refused) {
          return reg.Promote(o->version, o->to, f, o->reason, refused);
        });
      });
    });
  }
  {
    struct Opts {
      std::string reason, registry;
      bool canary = false;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand(
        "rollback", "Restore the previous production version (from the history) and withdraw the canary");
    cmd->add_option("--reason", o->reason, "Why (recorded in the history)");
    cmd->add_flag("--canary", o->canary, "Only withdraw the canary (back to staging); production stays");
    cmd->add_option("--registry", o->registry, "Registry file (default: MODELS_DIR/registry.json)");
    cmd->callback([o, &ctx]() {
      ctx.exit_code = RunGuarded([&]() -> int {
        return Transition(RegistryPath(o->registry, ctx), "rolled_back",
                          [&](ModelRegistry& reg, bool*) { return reg.Rollback(o->reason, o->canary); });
      });
    });
  }
  {
    struct Opts {
      std::string registry, format = "json";
      bool verify = false;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("status", "Model registry: aliases, canary fraction, versions with stage and gates");
    cmd->add_option("--registry", o->registry, "Registry file (default: MODELS_DIR/registry.json)");
    cmd->add_option("--format", o->format, "json | text")->check(CLI::IsMember({"json", "text"}));
    cmd->add_flag("--verify", o->verify, "Also check every artifact's file and SHA-256");
    cmd->callback([o, &ctx]() {
      ctx.exit_code = RunGuarded([&]() -> int {
        auto reg = ModelRegistry::Load(RegistryPath(o->registry, ctx));
        if (!reg.ok()) return ReportError(reg.error());
        json s = reg.value().Status(o->verify);
        if (o->format == "text") std::cout << StatusText(s);
        else std::cout << s.dump(2) << std::endl;
        return o->verify && !s.value("artifacts_ok", true) ? 1 : 0;
      });
    });
  }
}

}  // namespace ftconfig::cli
