#include "model_registry.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "train_data.h"

namespace fs = std::filesystem;

namespace ftconfig::cli {

const std::vector<std::string>& ArtifactKinds() {
  static const std::vector<std::string> k = {"reranker", "hp_predictor", "calibration"};
  return k;
}

const std::vector<std::string>& Stages() {
  static const std::vector<std::string> s = {"candidate", "staging", "canary", "production", "archived", "rejected"};
  return s;
}

RegistryLock::RegistryLock(const std::string& registry_path) {
  fd_ = ::open((registry_path + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ >= 0) ::flock(fd_, LOCK_EX);
}

RegistryLock::~RegistryLock() {
  if (fd_ >= 0) ::close(fd_);
}

std::string UtcNow() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool ValidId(const std::string& s) {
  if (s.empty() || s.size() > 80) return false;
  // ".", ".." and hidden names would name the versions/ folder itself, its
  // parent or a hidden folder: an id starts with a letter or a digit.
  if (!std::isalnum(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
  return true;
}

int RemoveLeftoversOfDeadProcesses(const std::string& folder, const std::string& prefix) {
  int removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string pid_text = name.substr(prefix.size());
    if (pid_text.size() > 9 || pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
    if (pid <= 0 || pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    std::error_code rm;
    if (fs::remove_all(it->path(), rm) > 0 && !rm) ++removed;
  }
  return removed;
}

bool GatesPassed(const json& v) {
  if (!v.is_object() || !v.contains("gates") || !v["gates"].is_object()) return false;
  const json& g = v["gates"];
  return g.value("evaluated", false) && g.value("passed", false);
}

bool HeldOutEvaluated(const json& v) {
  if (!v.is_object() || !v.contains("gates") || !v["gates"].is_object()) return false;
  const json& g = v["gates"];
  if (g.contains("held_out") && g["held_out"].is_boolean()) return g["held_out"].get<bool>();
  return !(g.contains("held_out_engine") && g["held_out_engine"].is_boolean() && !g["held_out_engine"].get<bool>());
}

namespace {

Error DataError(const std::string& path, const std::string& key, const std::string& what) {
  return Error{ErrorCode::kDataError, path, path + ": " + key + " " + what};
}


std::string Slurp(const fs::path& p, bool* ok) {
  std::ifstream in(p, std::ios::binary);
  *ok = static_cast<bool>(in);
  std::ostringstream ss;
  if (in) ss << in.rdbuf();
  return ss.str();
}

// format_version 1: {models: [{kind, version, path, sha256, slot, metrics}]}.
// A string member, or `fallback` when absent or of another type (json::value
// threw a type_error, reported as `internal`).
std::string StringOr(const json& o, const char* key, const std::string& fallback = "") {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : fallback;
}

Result<json> UpgradeV1(const json& j, const std::string& path) {
  if (!j.contains("models") || !j["models"].is_array())
    return DataError(path, "\"models\"", "must be an array (format_version 1)");
  json artifacts = json::object(), metrics = json::object();
  std::string digest_input;
  for (size_t i = 0; i < j["models"].size(); ++i) {
    const json& m = j["models"][i];
    std::string key = "models[" + std::to_string(i) + "]";
    if (!m.is_object()) return DataError(path, key, "must be an object");
    if (StringOr(m, "slot") != "production") continue;
    std::string kind = StringOr(m, "kind", StringOr(m, "name"));
    std::string k = kind.find("reranker") != std::string::npos ? "reranker"
                    : (kind.find("hp") != std::string::npos || kind.find("predictor") != std::string::npos)
                        ? "hp_predictor"
                        : "";
    if (k.empty()) continue;
    if (!m.contains("path") || !m["path"].is_string() || m["path"].get<std::string>().empty())
      return DataError(path, key + ".path", "must be a non-empty string");
    json a = {{"path", m["path"]}};
    if (m.contains("sha256") && m["sha256"].is_string()) a["sha256"] = m["sha256"];
    if (m.contains("version") && m["version"].is_string()) a["version"] = m["version"];
    artifacts[k] = a;
    if (m.contains("metrics")) metrics[k] = m["metrics"];
    digest_input += k + ":" + a.value("sha256", m["path"].get<std::string>()) + "\n";
  }
  json doc = {{"format_version", 2},
              {"aliases", {{"production", nullptr}, {"canary", nullptr}}},
              {"canary_fraction", 0.0},
              {"versions", json::array()},
              {"history", json::array()}};
  if (!artifacts.empty()) {
    std::string id = "v1-" + Sha256Hex(digest_input).substr(0, 12);
    doc["versions"].push_back({{"version", id},
                               {"stage", "production"},
                               {"created_at", nullptr},
                               {"artifacts", artifacts},
                               {"metrics", metrics},
                               {"gates", {{"evaluated", false}}}});
    doc["aliases"]["production"] = id;
    doc["history"].push_back({{"at", nullptr},
                              {"action", "register"},
                              {"version", id},
                              {"from", nullptr},
                              {"to", "production"},
                              {"reason", "upgraded from registry format_version 1"}});
  }
  return doc;
}

Result<bool> Validate(json& doc, const std::string& path) {
  if (!doc.contains("versions") || !doc["versions"].is_array())
    return DataError(path, "\"versions\"", "must be an array");
  if (!doc.contains("aliases")) doc["aliases"] = json::object();
  if (!doc["aliases"].is_object()) return DataError(path, "\"aliases\"", "must be an object {production, canary}");
  if (!doc.contains("history")) doc["history"] = json::array();
  if (!doc["history"].is_array()) return DataError(path, "\"history\"", "must be an array");
  if (!doc.contains("canary_fraction") || doc["canary_fraction"].is_null()) doc["canary_fraction"] = 0.0;
  if (!doc["canary_fraction"].is_number() || doc["canary_fraction"].get<double>() < 0 ||
      doc["canary_fraction"].get<double>() > 1)
    return DataError(path, "\"canary_fraction\"", "must be a number in [0, 1]");
  for (size_t i = 0; i < doc["history"].size(); ++i) {
    const json& h = doc["history"][i];
    const std::string key = "history[" + std::to_string(i) + "]";
    if (!h.is_object()) return DataError(path, key, "must be an object {at, action, version, from, to, reason}");
    for (const char* text : {"at", "action", "version", "from", "to", "reason"})
      if (h.contains(text) && !h[text].is_string() && !h[text].is_null())
        return DataError(path, key + "." + text, "must be a string or null");
  }
  std::vector<std::string> ids;
  for (size_t i = 0; i < doc["versions"].size(); ++i) {
    json& v = doc["versions"][i];
    std::string key = "versions[" + std::to_string(i) + "]";
    if (!v.is_object()) return DataError(path, key, "must be an object");
    if (!v.contains("version") || !v["version"].is_string() || !ValidId(v["version"].get<std::string>()))
      return DataError(path, key + ".version", "must be an id of letters, digits, '.', '_' or '-'");
    std::string id = v["version"].get<std::string>();
    if (std::find(ids.begin(), ids.end(), id) != ids.end())
      return DataError(path, key + ".version", "repeats \"" + id + "\": versions are unique");
    ids.push_back(id);
    std::string stage = v.contains("stage") && v["stage"].is_string() ? v["stage"].get<std::string>() : "";
    if (std::find(Stages().begin(), Stages().end(), stage) == Stages().end())
      return DataError(path, key + ".stage",
                       "must be one of candidate, staging, canary, production, archived, rejected");
    if (!v.contains("artifacts") || !v["artifacts"].is_object() || v["artifacts"].empty())
      return DataError(path, key + ".artifacts", "must be an object {reranker, hp_predictor, calibration?}");
    for (const auto& [kind, a] : v["artifacts"].items()) {
      std::string akey = key + ".artifacts." + kind;
      if (std::find(ArtifactKinds().begin(), ArtifactKinds().end(), kind) == ArtifactKinds().end())
        return DataError(path, akey, "is not an artifact kind (reranker, hp_predictor, calibration)");
      if (!a.is_object() || !a.contains("path") || !a["path"].is_string() || a["path"].get<std::string>().empty())
        return DataError(path, akey + ".path", "must be a non-empty string");
      for (const char* text : {"sha256", "version"})
        if (a.contains(text) && !a[text].is_string()) return DataError(path, akey + "." + text, "must be a string");
    }
    if (v.contains("gates")) {
      const json& g = v["gates"];
      if (!g.is_object()) return DataError(path, key + ".gates", "must be an object");
      for (const char* flag : {"evaluated", "passed"})
        if (g.contains(flag) && !g[flag].is_boolean())
          return DataError(path, key + ".gates." + flag, "must be true or false");
      if (g.contains("results")) {
        if (!g["results"].is_array()) return DataError(path, key + ".gates.results", "must be an array");
        for (size_t k = 0; k < g["results"].size(); ++k) {
          const json& r = g["results"][k];
          std::string rkey = key + ".gates.results[" + std::to_string(k) + "]";
          if (!r.is_object()) return DataError(path, rkey, "must be an object {name, passed, detail}");
          if (r.contains("passed") && !r["passed"].is_boolean())
            return DataError(path, rkey + ".passed", "must be true or false");
          for (const char* text : {"name", "detail"})
            if (r.contains(text) && !r[text].is_string()) return DataError(path, rkey + "." + text, "must be a string");
        }
      }
    }
  }
  for (const char* slot : {"production", "canary"}) {
    if (!doc["aliases"].contains(slot)) doc["aliases"][slot] = nullptr;
    const json& a = doc["aliases"][slot];
    if (a.is_null()) continue;
    if (!a.is_string()) return DataError(path, std::string("aliases.") + slot, "must be a version id or null");
    if (std::find(ids.begin(), ids.end(), a.get<std::string>()) == ids.end())
      return DataError(path, std::string("aliases.") + slot, "names \"" + a.get<std::string>() + "\", which is not a version");
  }
  return true;
}

}  // namespace

ModelRegistry ModelRegistry::Empty(const std::string& path) {
  ModelRegistry r;
  r.path_ = path;
  r.doc_ = {{"format_version", 2},
            {"aliases", {{"production", nullptr}, {"canary", nullptr}}},
            {"canary_fraction", 0.0},
            {"versions", json::array()},
            {"history", json::array()}};
  return r;
}

Result<ModelRegistry> ModelRegistry::Load(const std::string& path) {
  bool ok = false;
  std::string text = Slurp(path, &ok);
  if (!ok) return Error{ErrorCode::kInvalidValue, "--registry", "cannot read registry \"" + path + "\""};
  return Parse(text, path);
}

Result<ModelRegistry> ModelRegistry::Parse(const std::string& text, const std::string& path) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Error{ErrorCode::kDataError, path, path + " is not a JSON object (a registry: {format_version, ...})"};
  int fv = 1;
  if (j.contains("format_version")) {
    if (!j["format_version"].is_number_integer()) return DataError(path, "\"format_version\"", "must be 1 or 2");
    // Compared before narrowing: get<int>() read 4294967297 as 1.
    const double v = j["format_version"].get<double>();
    fv = v == 1 ? 1 : v == 2 ? 2 : 3;
    if (fv == 3)
      return Error{ErrorCode::kUnsupported, path,
                   path + ": format_version " + j["format_version"].dump() + " is not one this ftconfig reads (1, 2)"};
  }
  ModelRegistry r;
  r.path_ = path;
  r.source_format_version_ = fv;
  if (fv == 1) {
    FTCONFIG_ASSIGN_OR_RETURN(doc, UpgradeV1(j, path));
    r.doc_ = std::move(doc);
  } else if (fv == 2) {
    r.doc_ = std::move(j);
  } else {
    return Error{ErrorCode::kUnsupported, path,
                 path + ": format_version " + std::to_string(fv) + " is newer than this ftconfig reads (1, 2)"};
  }
  FTCONFIG_ASSIGN_OR_RETURN(valid, Validate(r.doc_, path));
  (void)valid;
  return r;
}

std::string ModelRegistry::dir() const {
  fs::path p = fs::path(path_).parent_path();
  return p.empty() ? std::string(".") : p.string();
}

Result<bool> ModelRegistry::Save() const {
  json out = doc_;
  out["format_version"] = 2;
  const std::string text = out.dump(1) + "\n";
  fs::path target(path_);
  fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::error_code ec;
  fs::create_directories(folder, ec);
  const std::string tmp_prefix = "." + target.filename().string() + ".tmp.";
  // A promote killed between create and rename left its temporary file.
  RemoveLeftoversOfDeadProcesses(folder.string(), tmp_prefix);
  fs::path tmp = folder / (tmp_prefix + std::to_string(::getpid()));
  auto fail = [&](const std::string& what) -> Result<bool> {
    ::unlink(tmp.c_str());
    return Error{ErrorCode::kInvalidValue, "--registry", "cannot write registry \"" + path_ + "\": " + what};
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail("cannot create " + tmp.string());
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) {
      ::close(fd);
      return fail("write failed");
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return fail("fsync failed");
  }
  ::close(fd);
  if (const char* d = std::getenv("FTCONFIG_TEST_REGISTRY_WRITE_DELAY_MS"); d && *d)
    std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(d)));
  if (::rename(tmp.c_str(), target.c_str()) != 0) return fail("rename failed");
  int dfd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

std::string ModelRegistry::Alias(const std::string& slot) const {
  if (!doc_["aliases"].contains(slot) || !doc_["aliases"][slot].is_string()) return "";
  return doc_["aliases"][slot].get<std::string>();
}

double ModelRegistry::canary_fraction() const { return doc_.value("canary_fraction", 0.0); }

const json* ModelRegistry::Find(const std::string& version) const {
  for (const auto& v : doc_["versions"])
    if (v.value("version", "") == version) return &v;
  return nullptr;
}

json* ModelRegistry::FindMutable(const std::string& version) {
  for (auto& v : doc_["versions"])
    if (v.value("version", "") == version) return &v;
  return nullptr;
}

Result<SlotArtifacts> ModelRegistry::Resolve(const std::string& slot_or_version) const {
  SlotArtifacts out;
  std::string id = slot_or_version;
  if (slot_or_version == "production" || slot_or_version == "canary") {
    id = Alias(slot_or_version);
    if (id.empty()) return out;
  }
  const json* v = Find(id);
  if (!v) return Error{ErrorCode::kInvalidValue, "version", "unknown version \"" + id + "\" in " + path_};
  out.version = id;
  for (const auto& [kind, a] : (*v)["artifacts"].items()) {
    fs::path p(a["path"].get<std::string>());
    if (!p.is_absolute()) p = fs::path(dir()) / p;
    if (kind == "reranker") out.reranker_path = p.string();
    else if (kind == "hp_predictor") out.hp_predictor_path = p.string();
    else if (kind == "calibration") out.calibration_path = p.string();
  }
  return out;
}

void ModelRegistry::Record(json transition) {
  if (!transition.contains("at")) transition["at"] = UtcNow();
  doc_["history"].push_back(std::move(transition));
}

// The entry is checked with the whole registry it would make; the registry
// changes only when that passes.
Result<bool> ModelRegistry::AddVersion(json entry, const std::string& reason) {
  if (!entry.is_object()) return Error{ErrorCode::kInvalidType, "version", "a version entry must be an object"};
  std::string id = entry.contains("version") && entry["version"].is_string() ? entry["version"].get<std::string>() : "";
  if (!ValidId(id)) return Error{ErrorCode::kInvalidValue, "version", "\"" + id + "\" is not a valid version id"};
  if (Find(id)) return Error{ErrorCode::kInvalidValue, "version", "version \"" + id + "\" exists: versions are immutable"};
  if (!entry.contains("stage")) entry["stage"] = "candidate";
  if (!entry.contains("created_at")) entry["created_at"] = UtcNow();
  json next = doc_;
  next["versions"].push_back(entry);
  FTCONFIG_ASSIGN_OR_RETURN(ok, Validate(next, path_));
  (void)ok;
  doc_ = std::move(next);
  Record({{"action", "register"}, {"version", id}, {"from", nullptr}, {"to", entry["stage"]}, {"reason", reason}});
  return true;
}

Result<json> ModelRegistry::Promote(const std::string& version, const std::string& to, std::optional<double> fraction,
                                    const std::string& reason, bool* refused) {
  *refused = false;
  if (reason.empty()) return Error{ErrorCode::kMissingField, "--reason", "--reason is required: say why"};
  static const std::vector<std::string> kOrder = {"candidate", "staging", "canary", "production"};
  auto to_it = std::find(kOrder.begin() + 1, kOrder.end(), to);
  if (to_it == kOrder.end())
    return Error{ErrorCode::kInvalidValue, "--to", "--to must be staging, canary or production (got \"" + to + "\")"};
  json* v = FindMutable(version);
  if (!v) {
    std::string known;
    for (const auto& e : doc_["versions"]) known += (known.empty() ? "" : ", ") + e.value("version", "");
    return Error{ErrorCode::kInvalidValue, "VERSION",
                 "unknown version \"" + version + "\"; known: " + (known.empty() ? "(none)" : known)};
  }
  if (fraction && to != "canary")
    return Error{ErrorCode::kInvalidValue, "--fraction", "--fraction applies only with --to canary"};
  double f = fraction.value_or(0.1);
  if (!(f > 0 && f <= 1)) return Error{ErrorCode::kInvalidValue, "--fraction", "--fraction must be in (0, 1]"};
  const std::string from = v->value("stage", "");
  const std::string needed = *(to_it - 1);
  auto refuse = [&](const std::string& msg) -> Result<json> {
    *refused = true;
    return Error{ErrorCode::kUnsupported, "VERSION", msg};
  };
  if (from != needed)
    return refuse("cannot promote " + version + " from " + from + " to " + to + ": only a " + needed +
                  " version can be (order: candidate -> staging -> canary -> production)");
  if (!GatesPassed(*v)) {
    std::string failed;
    if (v->contains("gates") && (*v)["gates"].contains("results"))
      for (const auto& g : (*v)["gates"]["results"])
        if (!g.value("passed", true)) failed += (failed.empty() ? "" : "; ") + g.value("name", "?") + ": " + g.value("detail", "");
    bool evaluated = v->contains("gates") && (*v)["gates"].value("evaluated", false);
    return refuse("refusing to promote " + version + ": " +
                  (evaluated ? "release gates failed (" + failed + ")"
                             : std::string("release gates were never evaluated (ftconfig retrain run evaluates them)")));
  }
  if (to == "production" && !HeldOutEvaluated(*v))
    return refuse("refusing to promote " + version +
                  " to production: its gates ran without a held-out evaluation (--no-held-out); run ftconfig "
                  "retrain run without --no-held-out");
  json t = {{"action", "promote"}, {"version", version}, {"from", from}, {"to", to}, {"reason", reason}};
  if (to == "canary") {
    std::string old = Alias("canary");
    if (!old.empty() && old != version)
      if (json* o = FindMutable(old)) (*o)["stage"] = "staging";
    doc_["aliases"]["canary"] = version;
    doc_["canary_fraction"] = f;
    t["canary_fraction"] = f;
    if (!old.empty() && old != version) t["replaced_canary"] = old;
  } else if (to == "production") {
    std::string old = Alias("production");
    if (!old.empty())
      if (json* o = FindMutable(old)) (*o)["stage"] = "archived";
    doc_["aliases"]["production"] = version;
    t["previous_production"] = old.empty() ? json(nullptr) : json(old);
    if (Alias("canary") == version) {
      doc_["aliases"]["canary"] = nullptr;
      doc_["canary_fraction"] = 0.0;
    }
  }
  (*FindMutable(version))["stage"] = to;
  Record(t);
  return doc_["history"].back();
}

Result<json> ModelRegistry::Rollback(const std::string& reason, bool canary_only) {
  const std::string why = reason.empty() ? "rollback" : reason;
  std::string canary = Alias("canary");
  if (canary_only) {
    if (canary.empty()) return Error{ErrorCode::kInvalidValue, "--canary", "there is no canary to withdraw"};
    if (json* c = FindMutable(canary)) (*c)["stage"] = "staging";
    doc_["aliases"]["canary"] = nullptr;
    doc_["canary_fraction"] = 0.0;
    Record({{"action", "rollback"}, {"version", canary}, {"from", "canary"}, {"to", "staging"}, {"reason", why}});
    return doc_["history"].back();
  }
  std::string current = Alias("production");
  if (current.empty()) return Error{ErrorCode::kInvalidValue, "--registry", "there is no production version to roll back"};
  // The previous production: the most recent version made production before
  // the current one that is still archived (a rolled-back one is rejected).
  std::string target;
  const json& h = doc_["history"];
  for (size_t i = h.size(); i-- > 0;) {
    const json& e = h[i];
    if (e.value("to", "") != "production" || !e.contains("version") || !e["version"].is_string()) continue;
    std::string v = e["version"];
    if (v == current) continue;
    const json* ve = Find(v);
    if (ve && ve->value("stage", "") == "archived") {
      target = v;
      break;
    }
  }
  if (target.empty())
    return Error{ErrorCode::kInvalidValue, "--registry",
                 "no earlier production version in the history of " + path_ + " to roll back to"};
  if (json* c = FindMutable(current)) {
    (*c)["stage"] = "rejected";
    (*c)["rejected_reason"] = why;
  }
  (*FindMutable(target))["stage"] = "production";
  doc_["aliases"]["production"] = target;
  json t = {{"action", "rollback"}, {"version", target}, {"from", "archived"}, {"to", "production"},
            {"reason", why}, {"rolled_back", current}};
  if (!canary.empty()) {
    if (json* c = FindMutable(canary)) (*c)["stage"] = "staging";
    doc_["aliases"]["canary"] = nullptr;
    doc_["canary_fraction"] = 0.0;
    t["canary_withdrawn"] = canary;
  }
  Record(t);
  return doc_["history"].back();
}

json ModelRegistry::Status(bool verify) const {
  json versions = json::array();
  bool all_ok = true;
  for (const auto& v : doc_["versions"]) {
    json g = {{"evaluated", false}, {"passed", false}, {"failed", json::array()}};
    if (v.contains("gates")) {
      g["evaluated"] = v["gates"].value("evaluated", false);
      g["passed"] = GatesPassed(v);
      if (v["gates"].contains("results") && v["gates"]["results"].is_array())
        for (const auto& r : v["gates"]["results"])
          if (!r.value("passed", true)) g["failed"].push_back(r.value("name", "?"));
    }
    json arts = json::object();
    for (const auto& [kind, a] : v["artifacts"].items()) {
      json e = {{"path", a["path"]}, {"version", a.value("version", "")}};
      if (verify) {
        fs::path p(a["path"].get<std::string>());
        if (!p.is_absolute()) p = fs::path(dir()) / p;
        bool ok = false;
        std::string text = Slurp(p, &ok);
        bool good = ok && (!a.contains("sha256") || Sha256Hex(text) == a["sha256"].get<std::string>());
        e["ok"] = good;
        all_ok = all_ok && good;
      }
      arts[kind] = e;
    }
    versions.push_back({{"version", v["version"]},
                        {"stage", v["stage"]},
                        {"created_at", v.value("created_at", json(nullptr))},
                        {"gates", g},
                        {"artifacts", arts}});
  }
  json hist = json::array();
  const json& h = doc_["history"];
  for (size_t i = h.size() > 10 ? h.size() - 10 : 0; i < h.size(); ++i) hist.push_back(h[i]);
  json s = {{"registry", path_},
            {"format_version", 2},
            {"source_format_version", source_format_version_},
            {"aliases", doc_["aliases"]},
            {"canary_fraction", canary_fraction()},
            {"versions", versions},
            {"history", hist}};
  if (verify) s["artifacts_ok"] = all_ok;
  return s;
}

}  // namespace ftconfig::cli
