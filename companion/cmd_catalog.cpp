// ftconfig catalog gpus|platforms|models|tasks: what the bundled data knows.
#include <iostream>

#include "commands.h"
#include "data_files.h"
#include "ftconfig/lora_modules.h"

namespace ftconfig::cli {

namespace {

// The LoRA module names of a catalog model for each target class
// (ftconfig/lora_modules.h; tests/py/check_lora_modules.py checks them).
json LoraModulesJson(const Model& m) {
  return {{"architecture", LoraArchitecture(m.family, m.id)},
          {"all_linear", LoraTargetModules(m.family, m.id, "all_linear")},
          {"attention", LoraTargetModules(m.family, m.id, "attention")},
          {"qv", LoraTargetModules(m.family, m.id, "qv")},
          {"embedding", LoraEmbeddingModules(m.family, m.id)},
          {"classifier_head", ClassifierHeadModules(m.family, m.id)},
          {"sequence_classification", SequenceClassificationAvailable(m.family, m.id)}};
}

}  // namespace

void AddCatalogCommand(CLI::App& app, Context& ctx) {
  auto* cat = app.add_subcommand("catalog", "List the GPUs, platforms, models and tasks the engine knows");
  cat->require_subcommand(1);
  auto format = std::make_shared<std::string>("json");
  cat->add_option("--format", *format, "json | text")->check(CLI::IsMember({"json", "text"}));
  for (const char* what : {"gpus", "platforms", "models", "tasks"}) {
    auto* sub = cat->add_subcommand(what, std::string("List ") + what);
    std::string w = what;
    sub->callback([&ctx, format, w]() {
      ctx.exit_code = RunGuarded([&]() -> int {
        auto c = LoadCatalog(ctx.data_dir);
        if (!c.ok()) return ReportError(c.error());
        const Catalog& catalog = c.value();
        json out = json::array();
        if (w == "gpus") {
          for (const auto& g : catalog.gpus())
            out.push_back({{"id", g.id}, {"name", g.name}, {"vram_gb", g.vram_gb}, {"usable_vram_gb", g.usable_vram_gb},
                           {"compute_capability", g.compute_capability}, {"bf16", g.bf16},
                           {"flash_attention2", g.flash_attention2}, {"bnb_4bit", g.bnb_4bit}, {"aliases", g.aliases}});
        } else if (w == "platforms") {
          for (const auto& p : catalog.platforms())
            for (const auto& pl : p.plans)
              out.push_back({{"platform", p.id}, {"plan", pl.id}, {"name", p.name + " " + pl.name},
                             {"gpu", pl.gpu.empty() ? json(nullptr) : json(pl.gpu)}, {"gpu_count", pl.gpu_count},
                             {"session_limit_hours", pl.session_limit_hours ? json(*pl.session_limit_hours) : json(nullptr)},
                             {"price_per_gpu_hour_usd", pl.price_per_gpu_hour_usd ? json(*pl.price_per_gpu_hour_usd) : json(nullptr)}});
        } else if (w == "models") {
          for (const auto& m : catalog.models())
            out.push_back({{"id", m.id}, {"name", m.name}, {"family", m.family}, {"params_b", m.arch.params_b},
                           {"architecture", m.arch.architecture}, {"aliases", m.aliases},
                           {"multimodal", m.arch.vision_params_b > 0}, {"is_moe", m.arch.is_moe},
                           {"lora_modules", LoraModulesJson(m)}});
        } else {
          for (const auto& t : catalog.tasks())
            out.push_back({{"id", t.id}, {"label", t.label}, {"corpus_supported", t.corpus_supported}});
        }
        if (*format == "text") {
          for (const auto& e : out) {
            if (w == "gpus") std::cout << e["id"].get<std::string>() << "\t" << e["name"].get<std::string>() << "\t" << e["usable_vram_gb"] << " GB\n";
            else if (w == "platforms") std::cout << e["platform"].get<std::string>() << "/" << e["plan"].get<std::string>() << "\t" << e["gpu"] << " x" << e["gpu_count"] << "\n";
            else if (w == "models") std::cout << e["id"].get<std::string>() << "\t" << e["params_b"] << "B\n";
            else std::cout << e["id"].get<std::string>() << "\t" << e["label"].get<std::string>() << "\n";
          }
        } else {
          std::cout << out.dump(2) << std::endl;
        }
        return 0;
      });
    });
  }
}

}  // namespace ftconfig::cli
