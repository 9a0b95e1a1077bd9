// RealismMarkdown: docs/realism.md from the metrics of RunRealism.
#include <cstdio>
#include <sstream>

#include "realism.h"

namespace ftconfig::cli {

namespace {

const char* kMethod = R"(## Method

- **Leave one source out.** Each source repository of the corpus (`data/corpus/*.jsonl`) is held out in turn. The
  engine that answers its configurations is created (`Engine::Create`) from the other repositories' rows only;
  before it answers, the evaluation checks that the engine's corpus holds no row of the held-out repository. The
  held-out configurations are the corpus records as the engine's pipeline normalises them (rejected rows and
  duplicates are not asked). The trained artifacts (reranker, hyperparameter predictor: the registry's production
  slot, as `ftconfig recommend` loads them) were trained on every repository; when they carry their recipe (trained
  by `ftconfig train`) they are retrained on each fold's training repositories with it, as `ftconfig evaluate` does
  for its held-out runs (`--as-is-artifacts` serves them as they are, and then `hybrid_ml` and `auto` have seen the
  held-out rows).
- **The request a new user would make**: the model (catalog id when the catalog knows it, else `model_params_b`),
  `task_type`, `adapter_type` as the corpus normalises it (DoRA is `lora`, freeze is `none`, 4-bit quantization is
  `qlora`), the GPU (`gpu_override`), `num_gpus` and `dataset_size` when the source gives them, and the trainer
  (`framework`) where the source is one (Unsloth's notebooks `unsloth`, axolotl, LLaMA-Factory, torchtune, litgpt;
  other sources give none, the Hugging Face Trainer default). Never the
  practitioner's sequence length, learning rate or rank. The GPU is the one the source names when the catalog knows it
  (or a catalog GPU of the size it states); otherwise the smallest of T4, A10G, L40S, A100 80GB and H200 on which the
  practitioner's own configuration fits by the engine's estimate (`ConfigHeadroom` ≥ 0; it ran, so it fitted
  somewhere), H200 when none does (`AssignGpu`, shared with `ftconfig train`). A configuration that fits no single
  GPU of that ladder, from a source that states no GPU count, is asked on one node of 8 H200 (`RequestGpuCount`): it
  ran sharded (its DeepSpeed or FSDP settings say so), and its author knows their node.
- **Fields.** Each field is counted only where the practitioner's configuration gives it (`n` in every cell). An
  answer that does not give the field counts as a disagreement. A "does not fit" answer is scored as a user follows
  it: the engine is asked again with its first option's `request_patch` (the smallest GPU that fits: the page's
  first button), and that answer's values count; where it has no option, or the option does not fit either, it
  scores nothing. The table "Strict" below scores every "does not fit" as a disagreement on every field, and the
  over-conservatism table counts the refusals themselves. Within 2x:
  max(answer/practitioner, practitioner/answer) ≤ 2. Target class: all linear layers (with or without embeddings) vs
  attention-only (q,v or all attention projections); the response's `hyperparameters.lora_target_class` when present,
  else the class of `lora_target`. Warmup: the ratio within 2x, or both zero; a source that gives only warmup steps is
  not counted (the total number of steps is unknown). Optimizer family: `adamw` (AdamW with 32-bit states, paged or
  not), `8bit` (8- or 4-bit states), `other` (Adafactor, SGD, RMSprop, Muon, ...). Rank, alpha/r and target class are
  counted for LoRA/QLoRA configurations only; the preference learning rate (within 3x) for DPO, ORPO, KTO and reward
  modelling only.
- **Shares**: per configuration (every held-out configuration counts once) and, in parentheses, the macro average
  (the mean over source repositories of each repository's share), so one large repository cannot carry a figure.
- **Over-conservatism**: among held-out configurations whose own configuration fits the requested GPU by the
  engine's estimate (`ConfigHeadroom` ≥ 0) and that give a sequence length, the share of fitting answers whose
  `max_seq_length` is less than half the practitioner's; and, among those configurations, the share of engine answers
  that say "does not fit".
- **Confidence calibration**: *agreement* is the learning rate within 2x and, where the practitioner gives them, the
  sequence length within 2x and (adapters) the rank within 2x. Over the fitting answers of each strategy: the
  agreement rate per `confidence.score` bin and per `confidence.level`, and the AUC of the score for agreement
  (0.5: the score does not tell agreeing answers from the others).
- **Release gate** (`ftconfig realism --gate`, `ftconfig evaluate --realism FILE`): the served strategy (`auto`, the
  default) is not worse than the best baseline on any headline field (learning rate, sequence, target class, rank,
  alpha/r), per-configuration shares. `ftconfig evaluate` also fails it when the metrics file was computed on
  another corpus (its `corpus.sha256`).
- **Metrics file** (`build/realism.json`): `results.ANSWERER.FIELD` = `{share, n, macro, sources}` (per-configuration
  share, configurations counted, mean of the per-repository shares, repositories counted);
  `breakdowns.{task_family,adapter,size}.VALUE.ANSWERER.FIELD` (headline fields); `over_conservatism.ANSWERER` =
  `{shorter_than_half, refused}`; `calibration.STRATEGY` = `{auc, n, agreement, bins, levels}`; `gate`; `corpus`
  (records, repositories, sha256, where the GPUs came from); `skipped_no_model_size`, `engine_errors`, `fold_errors`.
  `build/realism-runs.jsonl`: one line per answer (values, the practitioner's, agreement per field) for error
  analysis.
)";

const char* kBaselines = R"(## Baselines

Fixed answers a user can apply without any tool. Each is asked the same held-out configurations as the engine.

| baseline | learning rate | sequence | LoRA | batch (per GPU x accumulation) | epochs | scheduler | warmup | optimizer | source |
|---|---|---|---|---|---|---|---|---|---|
| constant per adapter | per adapter (none / lora / qlora): weighted median of the training folds' practitioner values | same | rank and alpha/r: same; target class: weighted mode | effective batch: weighted median | weighted median | weighted mode | weighted median ratio | weighted mode of the family | the training folds of the corpus (row weights as in the profiles) |
| Unsloth guide | 2e-4 (LoRA, QLoRA); 2e-5 (full); 5e-6 for preference tasks whatever the adapter | 2048 | r 16, alpha 16, all linear layers | 2 x 4 | 1 (the low end of the guide's 1–3) | linear | 0.05 (the guide's 5–10% of the steps, low end) | adamw_8bit | Unsloth documentation, "LoRA Hyperparameters Guide" (docs.unsloth.ai/get-started/beginner-start-here/lora-hyperparameters-guide: LR 2e-4, 5e-6 for DPO/GRPO, epochs 1–3, alpha = r or 2r, warmup 5–10%, linear decay) and its Llama-3 tutorial's defaults (`optim="adamw_8bit"`, `lr_scheduler_type="linear"`, batch 2 x accumulation 4) |
| LLaMA-Factory web UI | 5e-5 | 2048 (`cutoff_len`) | r 8, alpha 16, target `all` (empty field) | 2 x 8 | 3.0 | cosine | 0 (`warmup_steps` 0) | adamw_torch | hiyouga/LLaMA-Factory v0.9.5, `src/llamafactory/webui/components/train.py` (the Train tab's defaults) and `src/llamafactory/webui/runner.py` (an empty LoRA target becomes `all`) |

The effective batch of every baseline is multiplied by the requested GPU count (per-device batch semantics).
)";

std::string Pct(const json& cell, bool macro = true) {
  if (!cell.is_object() || !cell.contains("share")) return "—";
  char buf[64];
  if (macro && cell.contains("macro"))
    std::snprintf(buf, sizeof buf, "%.0f%% (%.0f%%)", cell["share"].get<double>() * 100,
                  cell["macro"].get<double>() * 100);
  else
    std::snprintf(buf, sizeof buf, "%.0f%%", cell["share"].get<double>() * 100);
  return buf;
}

std::string Num(const json& v, int prec = 2) {
  if (!v.is_number()) return "—";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", prec, v.get<double>());
  return buf;
}

std::vector<std::string> Answerers(const json& M) {
  std::vector<std::string> a = M["strategies"].get<std::vector<std::string>>();
  for (const auto& b : M["baselines"]) a.push_back(b.get<std::string>());
  return a;
}

std::string Header(const std::vector<std::string>& answerers, const std::string& first) {
  std::string h = "| " + first + " |", sep = "|---|";
  for (const auto& a : answerers) h += " " + a + " |", sep += "---|";
  return h + "\n" + sep + "\n";
}

void FieldTable(std::ostream& o, const json& M) {
  const auto who = Answerers(M);
  o << "## Fields: share of held-out configurations (macro per-source average), n\n\n" << Header(who, "field");
  for (const auto& f : RealismFields()) {
    o << "| " << f.label << (f.headline ? " **(headline)**" : "") << " |";
    for (const auto& a : who) {
      const json& c = M["results"][a][f.name];
      o << " " << Pct(c) << " n " << c.value("n", 0) << " |";
    }
    o << "\n";
  }
}

// The engine's answers with "does not fit" scoring nothing (the headline table
// scores it as followed): the headline fields only.
void StrictTable(std::ostream& o, const json& M) {
  if (!M.contains("results_strict") || M["results_strict"].empty()) return;
  o << "\n### Strict: a \"does not fit\" answer scores no field\n\nThe same engine answers with every \"does not fit\" "
       "counted as a disagreement on every field (the baselines never refuse: their shares are those above).\n\n"
    << "| field | ";
  std::vector<std::string> who;
  for (const auto& [s, _] : M["results_strict"].items()) who.push_back(s);
  for (const auto& s : who) o << s << " | ";
  o << "\n|---|";
  for (size_t i = 0; i < who.size(); ++i) o << "---|";
  o << "\n";
  for (const auto& f : RealismFields()) {
    if (!f.headline) continue;
    o << "| " << f.label << " |";
    for (const auto& s : who) {
      const json& c = M["results_strict"][s].value(f.name, json{{"n", 0}});
      o << " " << Pct(c) << " n " << c.value("n", 0) << " |";
    }
    o << "\n";
  }
}

void OverConservatism(std::ostream& o, const json& M) {
  o << "\n## Over-conservatism\n\nAmong held-out configurations whose own configuration fits the requested GPU by the "
       "engine's estimate ("
    << M["corpus"].value("own_config_fits", 0) << " of " << M["corpus"].value("records", 0) << ").\n\n"
    << "| answerer | sequence over 2x shorter than the practitioner's (fitting answers) | n | says \"does not fit\" | n |\n"
    << "|---|---|---|---|---|\n";
  for (const auto& a : Answerers(M)) {
    const json& c = M["over_conservatism"][a];
    o << "| " << a << " | " << Pct(c["shorter_than_half"]) << " | " << c["shorter_than_half"].value("n", 0) << " | "
      << Pct(c["refused"]) << " | " << c["refused"].value("n", 0) << " |\n";
  }
}

void Calibration(std::ostream& o, const json& M) {
  o << "\n## Confidence calibration\n\nAgreement: learning rate within 2x and, where given, sequence within 2x and "
       "(adapters) rank within 2x; fitting answers only.\n\n"
    << "| strategy | n | agreement | AUC of the score | high | medium | low |\n|---|---|---|---|---|---|---|\n";
  for (const auto& [s, c] : M["calibration"].items()) {
    o << "| " << s << " | " << c.value("n", 0) << " | " << Num(c["agreement"]) << " | " << Num(c["auc"]) << " |";
    for (const char* level : {"high", "medium", "low"}) {
      const json& l = c["levels"].contains(level) ? c["levels"][level] : json::object();
      o << " " << Pct(l, false) << " n " << l.value("n", 0) << " |";
    }
    o << "\n";
  }
  o << "\nReliability (agreement rate by confidence.score bin, n):\n\n| strategy |";
  for (int b = 0; b < 5; ++b) o << " " << Num(json(b * 0.2), 1) << "–" << Num(json(b * 0.2 + 0.2), 1) << " |";
  o << "\n|---|---|---|---|---|---|\n";
  for (const auto& [s, c] : M["calibration"].items()) {
    o << "| " << s << " |";
    for (const auto& bin : c["bins"]) o << " " << Num(bin["agreement"]) << " (n " << bin.value("n", 0) << ") |";
    o << "\n";
  }
}

void Breakdowns(std::ostream& o, const json& M) {
  const auto who = Answerers(M);
  const std::vector<std::pair<std::string, std::string>> dims = {
      {"task_family", "task family"}, {"adapter", "adapter"}, {"size", "model size bucket"}};
  o << "\n## Breakdowns (headline fields; per-configuration share, n)\n";
  for (const auto& [dim, title] : dims) {
    if (!M["breakdowns"].contains(dim)) continue;
    o << "\n### By " << title << "\n\n" << Header(who, title + " / field");
    for (const auto& [value, per] : M["breakdowns"][dim].items())
      for (const auto& f : RealismFields()) {
        if (!f.headline) continue;
        bool any = false;
        for (const auto& a : who) any = any || (per.contains(a) && per[a].contains(f.name));
        if (!any) continue;
        o << "| " << value << " / " << f.name << " |";
        for (const auto& a : who) {
          const json& c = per.contains(a) && per[a].contains(f.name) ? per[a][f.name] : json::object();
          o << " " << Pct(c, false) << " n " << c.value("n", 0) << " |";
        }
        o << "\n";
      }
  }
}

}  // namespace

std::string RealismMarkdown(const json& M) {
  std::ostringstream o;
  const json& C = M["corpus"];
  o << "# Realism: recommendations against held-out practitioner configurations\n\n"
    << "<!-- Generated by scripts/realism.sh (npm run realism): do not edit by hand. -->\n"
    << "Regenerate with `bash scripts/realism.sh` (or `npm run realism`): it builds the CLI, runs `ftconfig realism "
       "--json build/realism.json --markdown docs/realism.md` and writes this page and the metrics file that release "
       "gates read (`ftconfig evaluate --realism build/realism.json`).\n\n"
    << "Corpus: " << C.value("records", 0) << " configurations from " << C.value("repositories", 0)
    << " source repositories (sha256 " << C.value("sha256", "").substr(0, 12) << "); strategies asked: ";
  for (const auto& s : M["strategies"]) o << "`" << s.get<std::string>() << "` ";
  o << "(served: `" << M.value("served_strategy", "") << "`); artifacts: " << M.value("artifacts", "none")
    << ". The GPU of the request: named by the source " << C["gpu_source"].value("record", 0)
    << ", of the size the source states " << C["gpu_source"].value("stated_size", 0)
    << ", the smallest on which the practitioner's configuration fits " << C["gpu_source"].value("smallest_fitting", 0)
    << " (of which asked on a node of 8 because it fits no single GPU: " << C.value("node_requests", 0)
    << ").\n\n## Release gate\n\n**" << (M["gate"].value("passed", false) ? "PASS" : "FAIL") << "** — "
    << M["gate"].value("detail", "") << "\n\n";
  FieldTable(o, M);
  StrictTable(o, M);
  OverConservatism(o, M);
  Calibration(o, M);
  Breakdowns(o, M);
  o << "\n" << kMethod << "\n" << kBaselines;
  o << "\nSkipped (no model size known): " << M.value("skipped_no_model_size", 0)
    << "; engine errors: " << M["engine_errors"].size() << "; folds that could not run: " << M["fold_errors"].size()
    << ".\n";
  for (const auto& e : M["engine_errors"]) o << "- " << e.get<std::string>() << "\n";
  for (const auto& e : M["fold_errors"]) o << "- fold: " << e.get<std::string>() << "\n";
  return o.str();
}

}  // namespace ftconfig::cli
