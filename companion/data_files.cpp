#include "data_files.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <fstream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "model_registry.h"

namespace fs = std::filesystem;

namespace ftconfig::cli {

namespace {
Result<std::string> Slurp(const fs::path& p, bool optional = false) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    if (optional) return std::string();
    return Error{ErrorCode::kDataError, p.string(), "cannot read " + p.string() +
                                                        " (set --data-dir or FTCONFIG_DATA_DIR to the data/ folder)"};
  }
  // Read once into a string of the file's size (a string stream would hold it twice).
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  std::string text(size > 0 ? static_cast<size_t>(size) : 0, '\0');
  if (size > 0 && !in.read(text.data(), size))
    return Error{ErrorCode::kDataError, p.string(), "cannot read " + p.string()};
  return text;
}
}  // namespace

std::string DefaultDataDir() {
  if (const char* env = std::getenv("FTCONFIG_DATA_DIR"); env && *env) return env;
  return FTCONFIG_SOURCE_DATA_DIR;
}

Result<CatalogFiles> ReadCatalogFiles(const std::string& data_dir) {
  fs::path dir = fs::path(data_dir) / "catalog";
  CatalogFiles f;
  FTCONFIG_ASSIGN_OR_RETURN(gpus, Slurp(dir / "gpus.json"));
  FTCONFIG_ASSIGN_OR_RETURN(platforms, Slurp(dir / "platforms.json"));
  FTCONFIG_ASSIGN_OR_RETURN(models, Slurp(dir / "models.json"));
  FTCONFIG_ASSIGN_OR_RETURN(stacks, Slurp(dir / "stacks.json"));
  FTCONFIG_ASSIGN_OR_RETURN(tasks, Slurp(dir / "tasks.json"));
  FTCONFIG_ASSIGN_OR_RETURN(datasets, Slurp(dir / "datasets.json", /*optional=*/true));
  f.gpus = std::move(gpus);
  f.platforms = std::move(platforms);
  f.models = std::move(models);
  f.stacks = std::move(stacks);
  f.tasks = std::move(tasks);
  f.datasets = std::move(datasets);
  return f;
}

namespace {

// corpus/configs.jsonl, then corpus/real_world*.jsonl and corpus/fixed*.jsonl in name order.
std::vector<fs::path> CorpusFilePaths(const std::string& data_dir) {
  fs::path dir = fs::path(data_dir) / "corpus";
  std::vector<fs::path> extra;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    bool match = (name.rfind("real_world", 0) == 0 || name.rfind("fixed", 0) == 0) &&
                 e.path().extension() == ".jsonl";
    if (match) extra.push_back(e.path());
  }
  std::sort(extra.begin(), extra.end());
  extra.insert(extra.begin(), dir / "configs.jsonl");
  return extra;
}

}  // namespace

Result<std::vector<CorpusSource>> ReadCorpusFiles(const std::string& data_dir) {
  std::vector<CorpusSource> out;
  for (const auto& p : CorpusFilePaths(data_dir)) {
    FTCONFIG_ASSIGN_OR_RETURN(text, Slurp(p));
    out.push_back({p.filename().string(), std::move(text)});
  }
  return out;
}

std::string CorpusSnapshotPath(const std::string& data_dir) {
  return (fs::path(data_dir) / "corpus" / "corpus.snapshot").string();
}

std::string CorpusStamp(const std::string& data_dir) {
  std::string stamp;
  for (const auto& p : CorpusFilePaths(data_dir)) {
    std::error_code ec;
    auto size = fs::file_size(p, ec);
    auto time = fs::last_write_time(p, ec).time_since_epoch().count();
    stamp += p.filename().string() + " " + std::to_string(size) + " " + std::to_string(time) + "\n";
  }
  return stamp;
}

namespace {

// The binary snapshot when there is one made from the corpus files as they
// are now; a stale one is ignored with a warning.
Result<std::string> ReadCorpusSnapshot(const std::string& data_dir) {
  const std::string path = CorpusSnapshotPath(data_dir);
  if (!fs::exists(path)) return std::string();
  FTCONFIG_ASSIGN_OR_RETURN(bytes, Slurp(path));
  if (Corpus::BinarySnapshotStamp(bytes) == CorpusStamp(data_dir)) return bytes;
  std::cerr << "ftconfig: warning: " << path << " was not made from the corpus files as they are now: reading "
            << "the JSONL (rebuild it: ftconfig corpus snapshot --format binary --out " << path << ")\n";
  return std::string();
}

}  // namespace

Result<Catalog> LoadCatalog(const std::string& data_dir) {
  FTCONFIG_ASSIGN_OR_RETURN(files, ReadCatalogFiles(data_dir));
  return Catalog::Load(files);
}

std::string DefaultModelsDir() {
  if (const char* env = std::getenv("FTCONFIG_MODELS_DIR"); env && *env) return env;
  return FTCONFIG_SOURCE_MODELS_DIR;
}

std::string ModelSlot() {
  if (const char* env = std::getenv("FTCONFIG_MODEL_SLOT"); env && *env) return env;
  return "production";
}

namespace {

// Serving a version whose release gates failed or never ran (e.g.
// FTCONFIG_MODEL_SLOT naming a rejected candidate) is allowed, for testing,
// but never silent: one line on stderr.
void WarnIfUngated(const ModelRegistry& registry, const std::string& version) {
  // Production got there through the gates (promote checks them; a format 1
  // registry's production predates them): only another slot can be ungated.
  if (ModelSlot() == "production") return;
  const json* v = version.empty() ? nullptr : registry.Find(version);
  if (!v || !v->contains("gates") || GatesPassed(*v)) return;
  const bool evaluated = (*v)["gates"].is_object() && (*v)["gates"].value("evaluated", false);
  std::cerr << "ftconfig: warning: serving model version " << version << " (FTCONFIG_MODEL_SLOT=" << ModelSlot()
            << "), whose release gates " << (evaluated ? "FAILED" : "were never evaluated")
            << "; promote only versions that pass" << std::endl;
}

// The registry slot ModelSlot() names (production when "canary" names none);
// nothing without a models folder or its registry.json.
Result<std::optional<SlotArtifacts>> ServedSlot(const std::string& models_dir, bool warn = true) {
  if (models_dir.empty()) return std::optional<SlotArtifacts>();
  fs::path registry_path = fs::path(models_dir) / "registry.json";
  std::error_code ec;
  if (!fs::exists(registry_path, ec)) return std::optional<SlotArtifacts>();
  // format_version 2 (aliases) or 1 (per-artifact slots): model_registry.h.
  FTCONFIG_ASSIGN_OR_RETURN(registry, ModelRegistry::Load(registry_path.string()));
  FTCONFIG_ASSIGN_OR_RETURN(resolved, registry.Resolve(ModelSlot()));
  SlotArtifacts slot = std::move(resolved);
  if (slot.version.empty() && ModelSlot() == "canary") {  // no canary: production serves everyone
    FTCONFIG_ASSIGN_OR_RETURN(production, registry.Resolve("production"));
    slot = std::move(production);
  }
  if (warn) WarnIfUngated(registry, slot.version);
  return std::optional<SlotArtifacts>(std::move(slot));
}

}  // namespace

Result<EngineData> ReadEngineData(const std::string& data_dir, const std::string& models_dir) {
  EngineData d;
  FTCONFIG_ASSIGN_OR_RETURN(catalog, ReadCatalogFiles(data_dir));
  d.catalog = std::move(catalog);
  FTCONFIG_ASSIGN_OR_RETURN(snapshot, ReadCorpusSnapshot(data_dir));
  d.corpus_snapshot_binary = std::move(snapshot);
  if (d.corpus_snapshot_binary.empty()) {
    FTCONFIG_ASSIGN_OR_RETURN(corpus, ReadCorpusFiles(data_dir));
    d.corpus = std::move(corpus);
  }
  FTCONFIG_ASSIGN_OR_RETURN(served, ServedSlot(models_dir));
  if (!served) return d;
  const SlotArtifacts& slot = *served;
  if (!slot.reranker_path.empty()) {
    FTCONFIG_ASSIGN_OR_RETURN(artifact, Slurp(slot.reranker_path));
    d.reranker_json = std::move(artifact);
  }
  if (!slot.hp_predictor_path.empty()) {
    FTCONFIG_ASSIGN_OR_RETURN(artifact, Slurp(slot.hp_predictor_path));
    d.hp_predictor_json = std::move(artifact);
  }
  if (!slot.calibration_path.empty()) {
    FTCONFIG_ASSIGN_OR_RETURN(artifact, Slurp(slot.calibration_path));
    d.calibration_json = std::move(artifact);
  }
  return d;
}

Result<std::pair<std::string, std::string>> ServedModel(const std::string& models_dir) {
  FTCONFIG_ASSIGN_OR_RETURN(served, ServedSlot(models_dir, /*warn=*/false));
  if (!served || served->version.empty()) return std::pair<std::string, std::string>();
  return std::pair<std::string, std::string>(ModelSlot(), served->version);
}

Result<Calibration> VersionCalibration(const ModelRegistry& registry, const std::string& slot_or_version) {
  FTCONFIG_ASSIGN_OR_RETURN(slot, registry.Resolve(slot_or_version));
  if (slot.calibration_path.empty()) return Calibration{};
  FTCONFIG_ASSIGN_OR_RETURN(artifact, Slurp(slot.calibration_path));
  return Calibration::Load(artifact);
}

Result<Calibration> ReadCalibration(const std::string& models_dir) {
  FTCONFIG_ASSIGN_OR_RETURN(served, ServedSlot(models_dir));
  if (!served || served->calibration_path.empty()) return Calibration{};
  FTCONFIG_ASSIGN_OR_RETURN(artifact, Slurp(served->calibration_path));
  return Calibration::Load(artifact);
}

}  // namespace ftconfig::cli
