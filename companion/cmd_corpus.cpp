// ftconfig corpus stats: what the pipeline loaded, rejected and grouped;
// ftconfig corpus snapshot: the normalized corpus as JSON or binary.
#include <fstream>
#include <iostream>

#include "commands.h"
#include "data_files.h"
#include "ftconfig/json_text.h"
#include "ftconfig/profiles.h"

namespace ftconfig::cli {

namespace {

// `corpus snapshot`: the corpus files of `data_dir`, normalized, as JSON or binary.
int WriteSnapshot(const std::string& data_dir, const std::string& format, const std::string& out, long max_rows) {
  if (format == "binary" && out.empty())
    return ReportError(Error{ErrorCode::kInvalidValue, "out", "--format binary needs --out FILE (binary data)"});
  if (max_rows > 0 && format == "binary")
    return ReportError(Error{ErrorCode::kInvalidValue, "max-rows",
                             "--max-rows is for the web bundle's JSON snapshot; the native snapshot keeps every row"});
  auto catalog = LoadCatalog(data_dir);
  if (!catalog.ok()) return ReportError(catalog.error());
  auto sources = ReadCorpusFiles(data_dir);
  if (!sources.ok()) return ReportError(sources.error());
  auto built = Corpus::Build(sources.value(), catalog.value());
  if (!built.ok()) return ReportError(built.error());
  const size_t rows = built.value().records().size();
  const Corpus corpus = max_rows > 0 ? built.value().Distill(static_cast<size_t>(max_rows)) : std::move(built).value();
  if (corpus.records().size() < rows) std::cerr << "ftconfig: " << corpus.stats().warnings.back() << "\n";
  std::string text = format == "binary" ? corpus.ToBinarySnapshot(CorpusStamp(data_dir)) : JsonText(corpus.ToSnapshot()) + "\n";
  if (out.empty()) {
    std::cout << text;
    return 0;
  }
  std::ofstream f(out, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) return ReportError(Error{ErrorCode::kInvalidValue, "out", "cannot write \"" + out + "\""});
  return 0;
}

}  // namespace

void AddCorpusCommand(CLI::App& app, Context& ctx) {
  auto* corpus = app.add_subcommand("corpus", "Inspect the configuration corpus");
  corpus->require_subcommand(1);
  auto files = std::make_shared<std::vector<std::string>>();
  auto format = std::make_shared<std::string>("json");
  auto* stats = corpus->add_subcommand("stats", "Rows loaded, rejected by reason, deduplicated, per-group counts");
  stats->add_option("--file", *files, "Corpus JSONL files to load instead of the bundled corpus (repeatable)");
  stats->add_option("--format", *format, "json | text")->check(CLI::IsMember({"json", "text"}));
  stats->callback([&ctx, files, format]() {
    ctx.exit_code = RunGuarded([&]() -> int {
      auto catalog = LoadCatalog(ctx.data_dir);
      if (!catalog.ok()) return ReportError(catalog.error());
      std::vector<CorpusSource> sources;
      if (files->empty()) {
        auto s = ReadCorpusFiles(ctx.data_dir);
        if (!s.ok()) return ReportError(s.error());
        sources = s.value();
      } else {
        for (const auto& f : *files) {
          auto text = ReadInput(f, "--file");
          if (!text.ok()) return ReportError(text.error());
          sources.push_back({f, text.value()});
        }
      }
      auto corpus = Corpus::Build(sources, catalog.value());
      if (!corpus.ok()) return ReportError(corpus.error());
      const CorpusStats& s = corpus.value().stats();
      const auto profiles = ProfileTable::Build(corpus.value()).groups();
      json groups = json::array();
      for (const auto& [key, p] : profiles)
        groups.push_back({{"group", key.ToString()}, {"count", p.count}, {"weight", std::round(p.weight_sum * 100) / 100},
                          {"sources", p.sources}, {"lr_median", p.lr_median}, {"lr_iqr", {p.lr_q1, p.lr_q3}},
                          {"effective_batch_median", p.effective_batch_median},
                          {"lora_r_median", p.lora_r_median ? json(*p.lora_r_median) : json(nullptr)}});
      json out = {{"files_loaded", s.files_loaded},     {"files_skipped", s.files_skipped},
                  {"rows_read", s.rows_read},           {"rows_rejected", s.rows_rejected},
                  {"rejected_by_reason", s.rejected_by_reason}, {"rows_duplicate", s.rows_duplicate},
                  {"rows_accepted", s.rows_accepted},   {"accepted_by_source", s.accepted_by_source},
                  {"warnings", s.warnings},             {"groups", groups}};
      if (*format == "text") {
        std::cout << "files: " << s.files_loaded << " loaded, " << s.files_skipped << " skipped\n"
                  << "rows: " << s.rows_read << " read, " << s.rows_rejected << " rejected, " << s.rows_duplicate
                  << " duplicates, " << s.rows_accepted << " accepted\n";
        for (const auto& [reason, n] : s.rejected_by_reason) std::cout << "  rejected " << reason << ": " << n << "\n";
        for (const auto& w : s.warnings) std::cout << "  warning: " << w << "\n";
        std::cout << "groups (task/size/adapter: rows, effective weight, median lr):\n";
        for (const auto& [key, p] : profiles)
          std::cout << "  " << key.ToString() << ": " << p.count << ", " << p.weight_sum << ", " << p.lr_median << "\n";
      } else {
        std::cout << out.dump(2) << std::endl;
      }
      for (const auto& w : s.warnings) std::cerr << "ftconfig: warning: " << w << "\n";
      return 0;
    });
  });

  auto out = std::make_shared<std::string>();
  auto snap_format = std::make_shared<std::string>("json");
  auto* snapshot = corpus->add_subcommand(
      "snapshot", "Write the normalized corpus (records + statistics): compact JSON, the form the web bundle loads, "
                  "or binary, what the native CLI loads from data/corpus/corpus.snapshot without parsing JSON");
  snapshot->add_option("--out", *out, "Output file (default: stdout; required for binary)");
  snapshot->add_option("--format", *snap_format, "json | binary")->check(CLI::IsMember({"json", "binary"}));
  auto max_rows = std::make_shared<long>(0);
  snapshot
      ->add_option("--max-rows", *max_rows,
                   "JSON only: keep at most N rows, a sample of every task/size/adapter group across repositories "
                   "(the web bundle's bounded size; 0: all)")
      ->check(CLI::Range(0L, 100000000L));
  snapshot->callback([&ctx, out, snap_format, max_rows]() {
    ctx.exit_code = RunGuarded([&]() -> int { return WriteSnapshot(ctx.data_dir, *snap_format, *out, *max_rows); });
  });
}

}  // namespace ftconfig::cli
