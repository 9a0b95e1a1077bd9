// Native loading of the bundled data folder (data/catalog/*.json,
// data/corpus/*.jsonl). The engine itself never opens files; this is where the
// CLI reads them and hands their contents over.
#ifndef FTCONFIG_COMPANION_DATA_FILES_H_
#define FTCONFIG_COMPANION_DATA_FILES_H_

#include <string>
#include <vector>

#include "ftconfig/calibration.h"
#include "ftconfig/catalog.h"
#include "ftconfig/corpus.h"
#include "ftconfig/recommend.h"

namespace ftconfig::cli {

// $FTCONFIG_DATA_DIR, else the data/ folder of the source tree the binary was
// built from.
std::string DefaultDataDir();
Result<CatalogFiles> ReadCatalogFiles(const std::string& data_dir);
// The primary corpus (corpus/configs.jsonl) plus, when present, extra files
// matching corpus/real_world*.jsonl and corpus/fixed*.jsonl, in name order.
Result<std::vector<CorpusSource>> ReadCorpusFiles(const std::string& data_dir);
// The binary corpus snapshot ReadEngineData loads instead of the corpus files
// (corpus/corpus.snapshot) when its stamp is CorpusStamp(data_dir): the
// corpus files' names, sizes and modification times.
std::string CorpusSnapshotPath(const std::string& data_dir);
std::string CorpusStamp(const std::string& data_dir);
Result<Catalog> LoadCatalog(const std::string& data_dir);

// $FTCONFIG_MODELS_DIR, else the models/ folder of the source tree.
std::string DefaultModelsDir();
// The registry slot the CLI serves: $FTCONFIG_MODEL_SLOT ("production",
// "canary" or a version id), default "production".
std::string ModelSlot();
// Catalog, corpus (the binary snapshot when it is current, else the files)
// and — when `models_dir` holds a registry.json (format 1 or
// 2, model_registry.h) — the artifacts of the slot ModelSlot() names
// (reranker, hp predictor, calibration). A registry that names a missing or
// corrupt file is an error, never silently skipped.
Result<EngineData> ReadEngineData(const std::string& data_dir, const std::string& models_dir);
// The telemetry calibration of that same slot, for `ftconfig estimate`: none
// (scales 1) without a registry or when the slot has none; errors as above.
Result<Calibration> ReadCalibration(const std::string& models_dir);
// The slot and version the CLI serves ({"", ""} without a registry), for the
// model_slot / model_version of the events it records.
Result<std::pair<std::string, std::string>> ServedModel(const std::string& models_dir);
// The calibration of one registry version (or the "production" / "canary"
// slot): none (scales 1) when it has none; errors as above.
class ModelRegistry;
Result<Calibration> VersionCalibration(const ModelRegistry& registry, const std::string& slot_or_version);

}  // namespace ftconfig::cli

#endif  // FTCONFIG_COMPANION_DATA_FILES_H_
