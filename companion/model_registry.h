// Model governance: models/registry.json (format_version 2) with immutable
// versions, stages, the production and canary aliases, the canary fraction and
// the history of transitions. Format_version 1 (one entry per artifact with a
// "slot") is still read and upgraded in memory. See docs/retraining.md.
//
// Used by `ftconfig promote|rollback|status`, `ftconfig retrain run`,
// `ftconfig train --registry` and the loaders (ReadEngineData,
// LoadArtifactSet).
#ifndef FTCONFIG_COMPANION_MODEL_REGISTRY_H_
#define FTCONFIG_COMPANION_MODEL_REGISTRY_H_

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ftconfig/result.h"

namespace ftconfig::cli {

using json = nlohmann::json;

// The artifact kinds a version holds; calibration is optional.
const std::vector<std::string>& ArtifactKinds();  // reranker, hp_predictor, calibration
// Stages, in promotion order, then the two terminal ones.
const std::vector<std::string>& Stages();  // candidate staging canary production archived rejected

// Paths (absolute or relative to the working directory) of one version's
// artifacts, resolved against the registry's folder; empty when absent.
struct SlotArtifacts {
  std::string version;  // registry version id ("" for a v1 registry)
  std::string reranker_path, hp_predictor_path, calibration_path;
};

class ModelRegistry {
 public:
  // Reads `path`. A missing file is an error naming it; a malformed one is a
  // kDataError naming the key (e.g. "versions[2].artifacts.reranker.path").
  static Result<ModelRegistry> Load(const std::string& path);
  // Parses registry text; `path` locates relative artifact paths and names errors.
  static Result<ModelRegistry> Parse(const std::string& text, const std::string& path);
  // An empty v2 registry at `path` (nothing promoted yet).
  static ModelRegistry Empty(const std::string& path);

  // Writes atomically: a temporary file in the same folder, fsync, rename,
  // fsync of the folder. $FTCONFIG_TEST_REGISTRY_WRITE_DELAY_MS (tests only)
  // sleeps between the fsync and the rename.
  Result<bool> Save() const;

  const std::string& path() const { return path_; }
  std::string dir() const;
  int source_format_version() const { return source_format_version_; }
  const json& doc() const { return doc_; }  // always format_version 2

  // The version an alias names ("" when unset).
  std::string Alias(const std::string& slot) const;
  double canary_fraction() const;
  const json* Find(const std::string& version) const;
  json* FindMutable(const std::string& version);
  // The artifacts of `slot` ("production" | "canary"), or of a version id.
  // Empty SlotArtifacts (no paths) when the slot is unset.
  Result<SlotArtifacts> Resolve(const std::string& slot_or_version) const;

  // Adds a version (stage "candidate" unless `entry` says otherwise). Refuses
  // an id that exists: versions are immutable.
  Result<bool> AddVersion(json entry, const std::string& reason);

  // Governance transitions. Errors: kInvalidValue naming the flag for bad
  // input; `refused` is set (and the error returned) when the policy forbids
  // the move (gates failed, stage order).
  Result<json> Promote(const std::string& version, const std::string& to, std::optional<double> fraction,
                       const std::string& reason, bool* refused);
  // Restores the production version that preceded the current one (from the
  // history); the current one is archived and the canary cleared. With
  // `canary_only`, only the canary is withdrawn (back to staging).
  Result<json> Rollback(const std::string& reason, bool canary_only);

  // The `ftconfig status` object: aliases, fraction, versions with stage and
  // gates, the last transitions; `verify` also checks every artifact digest.
  json Status(bool verify) const;

 private:
  void Record(json transition);
  std::string path_;
  int source_format_version_ = 2;
  json doc_;
};

// Serializes read-modify-write cycles of one registry between processes:
// an exclusive flock on "REGISTRY.lock", released when the object dies.
class RegistryLock {
 public:
  explicit RegistryLock(const std::string& registry_path);
  ~RegistryLock();
  RegistryLock(const RegistryLock&) = delete;
  RegistryLock& operator=(const RegistryLock&) = delete;

 private:
  int fd_ = -1;
};

// A version id: 1-80 characters of [A-Za-z0-9._-], the first a letter or a digit
// (it names a folder under versions/: no ".", ".." or hidden names).
bool ValidId(const std::string& s);

// Removes the entries of `folder` named PREFIX + PID whose process is gone
// (temporary registry files, retrain scratch folders left by a kill). Returns
// how many it removed.
int RemoveLeftoversOfDeadProcesses(const std::string& folder, const std::string& prefix);

// Current UTC time, ISO 8601 with seconds ("2026-05-01T12:00:00Z").
std::string UtcNow();
// Whether a version's gates were evaluated and all passed.
// Whether its gates ran with a held-out evaluation (gates.held_out, else
// gates.held_out_engine; versions older than both count as evaluated).
// Production requires it.
bool HeldOutEvaluated(const json& version);
bool GatesPassed(const json& version_entry);

}  // namespace ftconfig::cli

#endif  // FTCONFIG_COMPANION_MODEL_REGISTRY_H_
