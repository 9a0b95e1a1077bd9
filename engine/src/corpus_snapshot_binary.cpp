// The binary corpus snapshot (issue #21): the normalized records and
// statistics of a built Corpus for the native engine, loaded without parsing
// JSON or normalizing rows. Layout (numbers in this machine's byte order,
// checked by a marker):
//
//   "FTCSNAPB" u32 version u32 0x01020304
//   stamp: str                        what the CLI says it was made from
//   fields: u32 n, n x str            this build's record field list
//   strings: u32 n, n x str           every string value, once
//   stats: 6 x i32, 2 maps (u32 n, n x (u32 id, i32)), warnings (u32 n, n x u32 id)
//   rows: u32 n, n x record           fields in list order: strings as u32 ids,
//                                     int i32, double f64, optional u8 + value
//
// where str is u32 length + bytes. Corpus::FromBinarySnapshot checks every
// length and id against the data and every record against the ranges the
// JSONL path accepts.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "corpus_snapshot_internal.h"
#include "ftconfig/corpus.h"

namespace ftconfig {

namespace {

constexpr char kMagic[8] = {'F', 'T', 'C', 'S', 'N', 'A', 'P', 'B'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kByteOrder = 0x01020304;

Error SnapshotError(const std::string& field, const std::string& expected) {
  return Error{ErrorCode::kDataError, "corpus_snapshot." + field, "corpus snapshot: " + field + " must be " + expected};
}

// Writes the body; strings go to a table written before it.
class Writer {
 public:
  void Raw(const void* p, size_t n) { body_.append(static_cast<const char*>(p), n); }
  void U32(uint32_t v) { Raw(&v, sizeof v); }
  void Put(int v) { Raw(&v, sizeof v); }
  void Put(double v) { Raw(&v, sizeof v); }
  void Put(bool v) { body_.push_back(v ? 1 : 0); }
  void Put(const SharedString& s) { Put(s.str()); }
  void Put(const std::string& s) {
    auto [it, added] = ids_.try_emplace(s, static_cast<uint32_t>(table_.size()));
    if (added) table_.push_back(&it->first);
    U32(it->second);
  }
  template <typename T>
  void Put(const std::optional<T>& v) {
    Put(v.has_value());
    if (v) Put(*v);
  }
  const std::vector<const std::string*>& table() const { return table_; }
  std::string& body() { return body_; }

 private:
  std::string body_;
  std::unordered_map<std::string, uint32_t> ids_;
  std::vector<const std::string*> table_;
};

void PutStr(std::string* out, const std::string& s) {
  uint32_t n = static_cast<uint32_t>(s.size());
  out->append(reinterpret_cast<const char*>(&n), sizeof n);
  out->append(s);
}

void PutStats(const CorpusStats& s, Writer* w) {
  for (int v : {s.files_loaded, s.files_skipped, s.rows_read, s.rows_rejected, s.rows_duplicate, s.rows_accepted})
    w->Put(v);
  for (const auto* m : {&s.rejected_by_reason, &s.accepted_by_source}) {
    w->U32(static_cast<uint32_t>(m->size()));
    for (const auto& [k, n] : *m) w->Put(k), w->Put(n);
  }
  w->U32(static_cast<uint32_t>(s.warnings.size()));
  for (const auto& warning : s.warnings) w->Put(warning);
}

std::vector<std::string> FieldNames() {
  std::vector<std::string> names;
#define FTCONFIG_NAME(f) names.push_back(#f);
  FTCONFIG_RECORD_FIELDS(FTCONFIG_NAME)
#undef FTCONFIG_NAME
  return names;
}

// Reads the parts in order; every read checks what is left.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : b_(bytes) {}
  bool Raw(void* p, size_t n) {
    if (b_.size() - pos_ < n) return false;
    std::memcpy(p, b_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool U32(uint32_t& v) { return Raw(&v, sizeof v); }
  bool Get(int& v) { return Raw(&v, sizeof v); }
  bool Get(double& v) { return Raw(&v, sizeof v) && std::isfinite(v); }
  bool Get(bool& v) {
    uint8_t c = 2;
    if (!Raw(&c, 1) || c > 1) return false;
    v = c == 1;
    return true;
  }
  bool Get(std::string& s) {
    uint32_t id = 0;
    if (!U32(id) || id >= table_.size()) return false;
    s = table_[id];
    return true;
  }
  // Kept once per table entry, on its first use as a shared string.
  bool Get(SharedString& s) {
    uint32_t id = 0;
    if (!U32(id) || id >= table_.size()) return false;
    if (shared_.size() != table_.size()) shared_.resize(table_.size());
    if (!shared_[id]) shared_[id] = SharedString(table_[id]);
    s = *shared_[id];
    return true;
  }
  template <typename T>
  bool Get(std::optional<T>& v) {
    bool has = false;
    if (!Get(has)) return false;
    if (!has) return v.reset(), true;
    T x{};
    if (!Get(x)) return false;
    v = std::move(x);
    return true;
  }
  bool Str(std::string& s) {
    uint32_t n = 0;
    if (!U32(n) || b_.size() - pos_ < n) return false;
    s.assign(b_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  // A count of entries of at least `min_size` bytes each that the data can hold.
  bool Count(uint32_t& n, size_t min_size) { return U32(n) && n <= (b_.size() - pos_) / min_size; }
  bool Table() {
    uint32_t n = 0;
    if (!Count(n, sizeof(uint32_t))) return false;
    table_.resize(n);
    for (auto& s : table_)
      if (!Str(s)) return false;
    return true;
  }

 private:
  std::string_view b_;
  size_t pos_ = 0;
  std::vector<std::string> table_;
  std::vector<std::optional<SharedString>> shared_;
};

Result<bool> ReadHeader(Reader& in, std::string* stamp) {
  char magic[8];
  uint32_t version = 0, order = 0;
  if (!in.Raw(magic, sizeof magic) || std::memcmp(magic, kMagic, sizeof magic) != 0)
    return SnapshotError("format", "a binary snapshot made by `ftconfig corpus snapshot --format binary`");
  if (!in.U32(version) || version != kVersion)
    return SnapshotError("format_version", std::to_string(kVersion) + " (rebuild the snapshot with this version of ftconfig)");
  if (!in.U32(order) || order != kByteOrder)
    return SnapshotError("byte_order", "this machine's (rebuild the snapshot on it)");
  std::string ignored;
  if (!in.Str(stamp ? *stamp : ignored)) return SnapshotError("stamp", "a string");
  uint32_t n = 0;
  std::vector<std::string> fields;
  if (in.Count(n, sizeof(uint32_t)))
    for (fields.resize(n); n > 0; --n)
      if (!in.Str(fields[fields.size() - n])) break;
  if (fields != FieldNames()) return SnapshotError("fields", "this build's record field list");
  if (!in.Table()) return SnapshotError("strings", "a table of strings (the file is truncated)");
  return true;
}

Result<bool> ReadStats(Reader& in, CorpusStats* s) {
  for (int* v : {&s->files_loaded, &s->files_skipped, &s->rows_read, &s->rows_rejected, &s->rows_duplicate,
                 &s->rows_accepted})
    if (!in.Get(*v) || *v < 0) return SnapshotError("stats", "non-negative counts");
  for (auto* m : {&s->rejected_by_reason, &s->accepted_by_source}) {
    uint32_t n = 0;
    if (!in.Count(n, 8)) return SnapshotError("stats", "maps of counts");
    for (; n > 0; --n) {
      std::string key;
      int count = 0;
      if (!in.Get(key) || !in.Get(count) || count < 0) return SnapshotError("stats", "maps of counts");
      (*m)[key] = count;
    }
  }
  uint32_t n = 0;
  if (!in.Count(n, sizeof(uint32_t))) return SnapshotError("stats.warnings", "a list of strings");
  s->warnings.resize(n);
  for (auto& w : s->warnings)
    if (!in.Get(w)) return SnapshotError("stats.warnings", "a list of strings");
  return true;
}

// Row i, or an error naming its first missing or out-of-range field.
Result<bool> ReadRow(Reader& in, size_t i, ConfigRecord* r) {
  const char* bad = nullptr;
  const char* expected = "present and valid (the file is truncated or damaged)";
#define FTCONFIG_GET(f) \
  if (!bad && !in.Get(r->f)) bad = #f;
  FTCONFIG_RECORD_FIELDS(FTCONFIG_GET)
#undef FTCONFIG_GET
  if (!bad) bad = internal::RecordOutOfRange(*r, &expected);
  if (!bad) return true;
  return SnapshotError("rows[" + std::to_string(i) + "]." + bad, expected);
}

}  // namespace

std::string Corpus::ToBinarySnapshot(const std::string& stamp) const {
  Writer w;
  PutStats(stats_, &w);
  w.U32(static_cast<uint32_t>(records_.size()));
  for (const ConfigRecord& r : records_) {
#define FTCONFIG_PUT(f) w.Put(r.f);
    FTCONFIG_RECORD_FIELDS(FTCONFIG_PUT)
#undef FTCONFIG_PUT
  }
  std::string out(kMagic, sizeof kMagic);
  for (uint32_t v : {kVersion, kByteOrder}) out.append(reinterpret_cast<const char*>(&v), sizeof v);
  PutStr(&out, stamp);
  const auto fields = FieldNames();
  uint32_t n = static_cast<uint32_t>(fields.size());
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  for (const auto& f : fields) PutStr(&out, f);
  n = static_cast<uint32_t>(w.table().size());
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  for (const std::string* s : w.table()) PutStr(&out, *s);
  return out + w.body();
}

std::string Corpus::BinarySnapshotStamp(std::string_view bytes) {
  Reader in(bytes);
  char magic[8];
  uint32_t version = 0, order = 0;
  std::string stamp;
  if (!in.Raw(magic, sizeof magic) || std::memcmp(magic, kMagic, sizeof magic) != 0 || !in.U32(version) ||
      version != kVersion || !in.U32(order) || order != kByteOrder || !in.Str(stamp))
    return std::string();
  return stamp;
}

Result<Corpus> Corpus::FromBinarySnapshot(std::string_view bytes, std::string* stamp) {
  Reader in(bytes);
  FTCONFIG_ASSIGN_OR_RETURN(header_ok, ReadHeader(in, stamp));
  (void)header_ok;
  Corpus c;
  FTCONFIG_ASSIGN_OR_RETURN(stats_ok, ReadStats(in, &c.stats_));
  (void)stats_ok;
  uint32_t n = 0;
  if (!in.Count(n, 1) || n == 0) return SnapshotError("rows", "a non-empty list of records");
  c.records_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    FTCONFIG_ASSIGN_OR_RETURN(row_ok, ReadRow(in, i, &c.records_[i]));
    (void)row_ok;
  }
  if (static_cast<size_t>(c.stats_.rows_accepted) != c.records_.size())
    return SnapshotError("stats.rows_accepted", "the number of rows (" + std::to_string(n) + ")");
  return c;
}

}  // namespace ftconfig
