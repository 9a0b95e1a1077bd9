#include "data_files.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

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
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
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

Result<std::vector<CorpusSource>> ReadCorpusFiles(const std::string& data_dir) {
  fs::path dir = fs::path(data_dir) / "corpus";
  std::vector<CorpusSource> out;
  FTCONFIG_ASSIGN_OR_RETURN(primary, Slurp(dir / "configs.jsonl"));
  out.push_back({"configs.jsonl", std::move(primary)});
  std::vector<fs::path> extra;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    bool match = (name.rfind("real_world", 0) == 0 || name.rfind("fixed", 0) == 0) &&
                 e.path().extension() == ".jsonl";
    if (match) extra.push_back(e.path());
  }
  std::sort(extra.begin(), extra.end());
  for (const auto& p : extra) {
    FTCONFIG_ASSIGN_OR_RETURN(text, Slurp(p));
    out.push_back({p.filename().string(), std::move(text)});
  }
  return out;
}

Result<Catalog> LoadCatalog(const std::string& data_dir) {
  FTCONFIG_ASSIGN_OR_RETURN(files, ReadCatalogFiles(data_dir));
  return Catalog::Load(files);
}

std::string DefaultModelsDir() {
  if (const char* env = std::getenv("FTCONFIG_MODELS_DIR"); env && *env) return env;
  return FTCONFIG_SOURCE_MODELS_DIR;
}

Result<EngineData> ReadEngineData(const std::string& data_dir, const std::string& models_dir) {
  EngineData d;
  FTCONFIG_ASSIGN_OR_RETURN(catalog, ReadCatalogFiles(data_dir));
  FTCONFIG_ASSIGN_OR_RETURN(corpus, ReadCorpusFiles(data_dir));
  d.catalog = std::move(catalog);
  d.corpus = std::move(corpus);
  if (models_dir.empty()) return d;
  fs::path registry_path = fs::path(models_dir) / "registry.json";
  std::error_code ec;
  if (!fs::exists(registry_path, ec)) return d;
  FTCONFIG_ASSIGN_OR_RETURN(text, Slurp(registry_path));
  json reg = json::parse(text, nullptr, false);
  if (reg.is_discarded() || !reg.is_object() || !reg.contains("models") || !reg["models"].is_array())
    return Error{ErrorCode::kDataError, registry_path.string(),
                 registry_path.string() + " must be a JSON object with a \"models\" array"};
  for (const auto& m : reg["models"]) {
    if (!m.is_object() || m.value("slot", "") != "production") continue;
    std::string kind = m.value("kind", m.value("name", ""));
    std::string path = m.value("path", "");
    if (path.empty()) continue;
    fs::path p = fs::path(path).is_absolute() ? fs::path(path) : fs::path(models_dir) / path;
    FTCONFIG_ASSIGN_OR_RETURN(artifact, Slurp(p));
    if (kind.find("reranker") != std::string::npos) d.reranker_json = std::move(artifact);
    else if (kind.find("hp") != std::string::npos || kind.find("predictor") != std::string::npos)
      d.hp_predictor_json = std::move(artifact);
  }
  return d;
}

}  // namespace ftconfig::cli
