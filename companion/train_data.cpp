#include "train_data.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "data_files.h"
#include "ftconfig/memory.h"
#include "ftconfig/recommend.h"

namespace ftconfig::cli {

namespace {

double AbsLog(double a, double b, double base) {
  if (!(a > 0) || !(b > 0)) return 0;
  return std::fabs(std::log(a / b) / std::log(base));
}

// ---- SHA-256 (FIPS 180-4), for artifact and corpus digests.
class Sha256 {
 public:
  Sha256() { Reset(); }
  void Update(const std::string& data) {
    for (unsigned char c : data) {
      block_[len_++] = c;
      bits_ += 8;
      if (len_ == 64) {
        Compress();
        len_ = 0;
      }
    }
  }
  std::string HexDigest() {
    uint64_t bits = bits_;
    block_[len_++] = 0x80;
    if (len_ > 56) {
      while (len_ < 64) block_[len_++] = 0;
      Compress();
      len_ = 0;
    }
    while (len_ < 56) block_[len_++] = 0;
    for (int i = 7; i >= 0; --i) block_[len_++] = static_cast<uint8_t>(bits >> (8 * i));
    Compress();
    std::string out;
    char buf[9];
    for (uint32_t v : h_) {
      std::snprintf(buf, sizeof buf, "%08x", v);
      out += buf;
    }
    return out;
  }

 private:
  static uint32_t Rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
  void Reset() {
    static const uint32_t init[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    std::copy(init, init + 8, h_);
    len_ = 0;
    bits_ = 0;
  }
  void Compress() {
    static const uint32_t k[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
    uint32_t w[64];
    for (int i = 0; i < 16; ++i)
      w[i] = (uint32_t(block_[4 * i]) << 24) | (uint32_t(block_[4 * i + 1]) << 16) |
             (uint32_t(block_[4 * i + 2]) << 8) | uint32_t(block_[4 * i + 3]);
    for (int i = 16; i < 64; ++i) {
      uint32_t s0 = Rotr(w[i - 15], 7) ^ Rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      uint32_t s1 = Rotr(w[i - 2], 17) ^ Rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4], f = h_[5], g = h_[6], h = h_[7];
    for (int i = 0; i < 64; ++i) {
      uint32_t t1 = h + (Rotr(e, 6) ^ Rotr(e, 11) ^ Rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
      uint32_t t2 = (Rotr(a, 2) ^ Rotr(a, 13) ^ Rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    h_[0] += a, h_[1] += b, h_[2] += c, h_[3] += d, h_[4] += e, h_[5] += f, h_[6] += g, h_[7] += h;
  }
  uint32_t h_[8];
  uint8_t block_[64];
  size_t len_;
  uint64_t bits_;
};

}  // namespace

std::string Sha256Hex(const std::string& data) {
  Sha256 s;
  s.Update(data);
  return s.HexDigest();
}

// The size in "80GB GPU", "2x48GB GPU", "4x A100 (40GB)": the first digit run
// followed by an optional space and "GB" (any case). A linear scan: 30,000
// digits used to overflow std::regex's recursion and 400 digits std::stod.
// Runs of more than 6 digits state no size.
std::optional<double> StatedGpuGb(const std::string& s) {
  auto digit = [&](size_t i) { return i < s.size() && s[i] >= '0' && s[i] <= '9'; };
  auto gb_at = [&](size_t i) {
    return i + 1 < s.size() && (s[i] == 'G' || s[i] == 'g') && (s[i + 1] == 'B' || s[i + 1] == 'b');
  };
  for (size_t i = 0; i < s.size();) {
    if (!digit(i)) {
      ++i;
      continue;
    }
    size_t j = i;
    while (digit(j)) ++j;
    size_t unit = j < s.size() && s[j] == ' ' ? j + 1 : j;
    if (gb_at(unit)) return j - i > 6 ? std::nullopt : std::optional<double>(std::strtod(s.substr(i, j - i).c_str(), nullptr));
    i = j;
  }
  return std::nullopt;
}

const Gpu* AssignGpu(const ConfigRecord& r, const Catalog& catalog, const ModelArch& arch, std::string* why) {
  static const char* kLadder[] = {"t4", "a10g", "l40s", "a100-80gb", "h200"};
  if (!r.gpu_type.empty()) {
    auto g = catalog.FindGpu(r.gpu_type);
    if (g.ok() && g.value()->cuda) {
      *why = "record";
      return g.value();
    }
    // "80GB GPU", "2x48GB GPU", "4x A100 (40GB)": the smallest ladder GPU of that size.
    if (auto gb = StatedGpuGb(r.gpu_type)) {
      for (const char* id : kLadder)
        if (const Gpu* g2 = catalog.GpuById(id); g2 && g2->vram_gb + 0.5 >= *gb) {
          *why = "stated_size";
          return g2;
        }
    }
  }
  int n = std::max(1, r.num_gpus);
  const Gpu* last = nullptr;
  for (const char* id : kLadder) {
    const Gpu* g = catalog.GpuById(id);
    if (!g) continue;
    last = g;
    if (ConfigHeadroom(r, arch, *g, n, r.task_type, r.adapter_type) >= 0) {
      *why = "smallest_fitting";
      return g;
    }
  }
  *why = "smallest_fitting";
  return last ? last : &catalog.gpus().front();
}

double CandidateHeadroom(const ConfigRecord& c, const QueryContext& q, const ModelArch& arch, const Gpu& gpu) {
  return ConfigHeadroom(c, arch, gpu, q.num_gpus, q.task_type, q.adapter_type);
}

TrainSetup SetupFromHyperparameters(const json& hp, const std::string& task_type, int num_gpus,
                                    const std::string& adapter_fallback) {
  auto str = [&](const char* k, const std::string& def) {
    return hp.contains(k) && hp[k].is_string() ? hp[k].get<std::string>() : def;
  };
  auto flag = [&](const char* k, bool def) { return hp.contains(k) && hp[k].is_boolean() ? hp[k].get<bool>() : def; };
  auto int_of = [&](const char* k, int def) {
    return hp.contains(k) && hp[k].is_number() ? std::max(1, static_cast<int>(hp[k].get<double>())) : def;
  };
  TrainSetup s;
  const std::string adapter = str("adapter_type", adapter_fallback);
  s.method = adapter == "none" ? Method::kFull : adapter == "qlora" ? Method::kQlora : Method::kLora;
  s.weight_quant = adapter == "qlora" ? WeightQuant::kNf4 : WeightQuant::kNone;
  const std::string precision = str("precision", "bf16");
  s.precision = precision == "fp32"          ? Precision::kFp32
                : flag("pure_bf16", false)   ? Precision::kBf16Pure
                : precision == "fp16"        ? Precision::kFp16Mixed
                                             : Precision::kBf16Mixed;
  Optimizer opt;
  if (ParseOptimizer(str("optimizer", "adamw_torch"), &opt)) s.optimizer = opt;
  s.batch_size_per_device = int_of("batch_size_per_device", 1);
  s.gradient_accumulation_steps = int_of("gradient_accumulation_steps", 1);
  s.seq_len = int_of("max_seq_length", 512);
  s.gradient_checkpointing = flag("gradient_checkpointing", true);
  s.flash_attention = str("attn_implementation", "sdpa") != "eager";
  s.lora_r = int_of("lora_r", s.lora_r);
  if (hp.contains("lora_dropout") && hp["lora_dropout"].is_number()) s.lora_dropout = hp["lora_dropout"].get<double>();
  if (const std::string t = str("lora_target", ""); !t.empty()) {
    if (unsigned mask = ParseLoraModules(t)) s.lora_module_mask = mask;
    LoraTarget lt;
    if (ParseLoraTarget(t, &lt)) s.lora_target = lt;
  }
  s.num_gpus = std::max(1, num_gpus);
  s.sharding = s.num_gpus > 1 ? Sharding::kDdp : Sharding::kNone;
  // The recommendation's distribution: none | ddp | zero2 | zero3 | zero3_offload.
  if (std::string d = str("distribution", ""); !d.empty()) {
    s.cpu_offload = d == "zero3_offload";
    Sharding sh;
    if (ParseSharding(s.cpu_offload ? "zero3" : d, &sh)) s.sharding = s.num_gpus > 1 || sh != Sharding::kDdp ? sh : Sharding::kNone;
  }
  s.eval_batch_size = int_of("per_device_eval_batch_size", s.batch_size_per_device);
  s.nf4_double_quant = flag("bnb_4bit_use_double_quant", false);
  ApplyTaskMemoryTerms(task_type, &s);  // the engine's task terms (ftconfig/memory.h)
  return s;
}

namespace {
std::map<std::string, bool>& Outcomes() {
  static std::map<std::string, bool> m;
  return m;
}
}  // namespace

void SetMeasuredOutcomes(const std::vector<std::pair<std::string, bool>>& by_record_id) {
  Outcomes() = std::map<std::string, bool>(by_record_id.begin(), by_record_id.end());
}

std::optional<bool> MeasuredOutcome(const ConfigRecord& r) {
  const auto& m = Outcomes();
  if (m.empty()) return std::nullopt;
  auto it = m.find(r.id);
  if (it == m.end()) return std::nullopt;
  return it->second;
}

int RelevanceGrade(const ConfigRecord& query, const ConfigRecord& cand, double headroom) {
  if (auto outcome = MeasuredOutcome(cand); outcome && !*outcome) return 0;
  if (headroom < 0) return 0;
  // Distances scaled so 1.0 means "clearly different": a 3x learning rate,
  // a 4x effective batch, rank or sequence length.
  double num = 0.55 * AbsLog(cand.learning_rate, query.learning_rate, 3.0);
  double den = 0.55;
  num += 0.15 * AbsLog(std::max(1, cand.effective_batch_size), std::max(1, query.effective_batch_size), 4.0);
  den += 0.15;
  if (query.lora_r && cand.lora_r) {
    num += 0.15 * AbsLog(*cand.lora_r, *query.lora_r, 4.0);
    den += 0.15;
  }
  if (query.max_seq_length && cand.max_seq_length) {
    num += 0.15 * AbsLog(*cand.max_seq_length, *query.max_seq_length, 4.0);
    den += 0.15;
  }
  double d = num / den;
  int grade = d < 0.2 ? 4 : d < 0.4 ? 3 : d < 0.7 ? 2 : d < 1.0 ? 1 : 0;
  if (auto outcome = MeasuredOutcome(cand); outcome && *outcome) grade = std::max(grade, 3);
  return grade;
}

std::vector<double> HpFeatures(const TrainingSet& ts, size_t i, const std::string& target) {
  QueryContext q = ts.queries[i];
  if (ts.gpu_source[i] == "smallest_fitting") q.gpu_usable_gb = 0;
  if (target == "max_seq_length") q.seq_len = 0;
  return QueryFeatures(q);
}

Result<TrainingSet> LoadTrainingSet(const std::string& data_dir) {
  TrainingSet ts;
  FTCONFIG_ASSIGN_OR_RETURN(catalog, LoadCatalog(data_dir));
  ts.catalog = std::move(catalog);
  FTCONFIG_ASSIGN_OR_RETURN(sources, ReadCorpusFiles(data_dir));
  ts.sources = std::move(sources);
  FTCONFIG_ASSIGN_OR_RETURN(corpus, Corpus::Build(ts.sources, ts.catalog));
  ts.corpus = std::move(corpus);
  std::string all;
  for (const auto& s : ts.sources) all += s.name + "\n" + s.jsonl;
  ts.corpus_sha256 = Sha256Hex(all);
  std::set<std::string> repos;
  for (const auto& r : ts.corpus.records()) repos.insert(r.source_repo);
  ts.repos.assign(repos.begin(), repos.end());
  for (const auto& r : ts.corpus.records()) {
    ts.repo_of.push_back(static_cast<int>(std::lower_bound(ts.repos.begin(), ts.repos.end(), r.source_repo) -
                                          ts.repos.begin()));
    QueryContext q = QueryFromRecord(r, ts.catalog);
    const Model* m = ts.catalog.FindModel(r.model_name);
    ModelArch arch = m ? m->arch : TypicalArchForParams(r.model_params_b.value_or(1.0));
    if (m && q.family.empty()) q.family = m->family;
    std::string why;
    const Gpu* gpu = AssignGpu(r, ts.catalog, arch, &why);
    q.gpu_usable_gb = gpu->usable_vram_gb;
    q.num_gpus = std::max(1, r.num_gpus);
    ts.queries.push_back(q);
    ts.query_gpu.push_back(gpu);
    ts.gpu_source.push_back(why);
    ts.query_arch.push_back(arch);
  }
  return ts;
}

std::vector<RankGroup> BuildRankGroups(const TrainingSet& ts, size_t depth,
                                       const std::function<void(size_t, size_t)>& progress,
                                       const std::function<bool(size_t)>& query_ok,
                                       const std::function<bool(size_t)>& cand_ok) {
  const auto& recs = ts.corpus.records();
  std::vector<RankGroup> groups;
  groups.reserve(recs.size());
  // Headroom depends on (model, adapter, task, GPU, GPU count) of the query only:
  // memoize per distinct combination.
  std::map<std::string, std::vector<double>> headroom_cache;
  for (size_t qi = 0; qi < recs.size(); ++qi) {
    if (progress && (qi % 100 == 0 || qi + 1 == recs.size())) progress(qi + 1, recs.size());
    if (query_ok && !query_ok(qi)) continue;
    const ConfigRecord& qr = recs[qi];
    const QueryContext& q = ts.queries[qi];
    const Gpu& gpu = *ts.query_gpu[qi];
    const ModelArch& arch = ts.query_arch[qi];
    char key_buf[160];
    std::snprintf(key_buf, sizeof key_buf, "%.6g|%d|%d|%d|%s", arch.params_b, arch.hidden_size, arch.num_layers,
                  q.num_gpus, q.adapter_type.c_str());
    // The task matters too: preference tasks hold two sequences per example,
  // full-parameter DPO a reference model.
  std::string key = std::string(key_buf) + "|" + gpu.id + "|" + q.task_type;
    auto it = headroom_cache.find(key);
    if (it == headroom_cache.end()) {
      std::vector<double> h(recs.size(), 0.0);
      for (size_t ci = 0; ci < recs.size(); ++ci) h[ci] = CandidateHeadroom(recs[ci], q, arch, gpu);
      it = headroom_cache.emplace(key, std::move(h)).first;
    }
    const std::vector<double>& head = it->second;
    struct Scored {
      size_t idx;
      double score;
    };
    std::vector<Scored> pool;
    for (size_t ci = 0; ci < recs.size(); ++ci) {
      const ConfigRecord& c = recs[ci];
      if (ts.repo_of[ci] == ts.repo_of[qi]) continue;  // leave the query's source out
      if (cand_ok && !cand_ok(ci)) continue;
      bool compatible = q.adapter_type == "none" ? c.adapter_type == "none" : c.adapter_type != "none";
      if (!compatible) continue;
      pool.push_back({ci, HeuristicScore(q, c, head[ci])});
    }
    std::sort(pool.begin(), pool.end(),
              [](const Scored& a, const Scored& b) { return a.score != b.score ? a.score > b.score : a.idx < b.idx; });
    if (pool.size() > depth) pool.resize(depth);
    if (pool.size() < 2) continue;
    RankGroup g;
    g.query = qi;
    g.weight = qr.weight;
    for (const auto& s : pool) {
      const ConfigRecord& c = recs[s.idx];
      g.cands.push_back(s.idx);
      g.x.push_back(PairFeatures(q, c, head[s.idx]));
      g.label.push_back(RelevanceGrade(qr, c, head[s.idx]));
      g.heuristic.push_back(s.score);
      g.headroom.push_back(head[s.idx]);
    }
    groups.push_back(std::move(g));
  }
  return groups;
}

std::vector<int> RepoFolds(const TrainingSet& ts, int k) {
  std::vector<int> count(ts.repos.size(), 0);
  for (int r : ts.repo_of) ++count[r];
  std::vector<int> order(ts.repos.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return count[a] > count[b]; });
  std::vector<int> fold_of_repo(ts.repos.size(), 0), fold_size(k, 0);
  for (int r : order) {
    int best = static_cast<int>(std::min_element(fold_size.begin(), fold_size.end()) - fold_size.begin());
    fold_of_repo[r] = best;
    fold_size[best] += count[r];
  }
  std::vector<int> out;
  for (int r : ts.repo_of) out.push_back(fold_of_repo[r]);
  return out;
}

GroupMetrics ScoreGroup(const RankGroup& g, const std::vector<double>& scores) {
  GroupMetrics m;
  const size_t n = g.cands.size();
  m.order.resize(n);
  std::iota(m.order.begin(), m.order.end(), 0);
  // Ties keep the heuristic order (the pool order), so equal scores are stable.
  std::stable_sort(m.order.begin(), m.order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  auto dcg = [&](const std::vector<size_t>& ord) {
    double s = 0;
    for (size_t i = 0; i < ord.size() && i < 5; ++i) s += (std::pow(2.0, g.label[ord[i]]) - 1) / std::log2(i + 2.0);
    return s;
  };
  std::vector<size_t> ideal(n);
  std::iota(ideal.begin(), ideal.end(), 0);
  std::stable_sort(ideal.begin(), ideal.end(), [&](size_t a, size_t b) { return g.label[a] > g.label[b]; });
  double idcg = dcg(ideal);
  if (idcg > 0) m.ndcg5 = dcg(m.order) / idcg;
  m.top1_regret = (g.label[ideal[0]] - g.label[m.order[0]]) / 4.0;
  // A violation is a non-fitting candidate ranked where a fitting one could
  // have been: when nothing (or too little) in the pool fits, it is not the
  // ranking's fault (the engine's OOM-safe search handles that case).
  int fitting = 0;
  for (size_t i = 0; i < n; ++i) fitting += g.headroom[i] >= 0 ? 1 : 0;
  m.top1_oom = g.headroom[m.order[0]] < 0 && fitting > 0;
  const int top = static_cast<int>(std::min<size_t>(5, n));
  int nonfit = 0;
  for (int i = 0; i < top; ++i) nonfit += g.headroom[m.order[i]] < 0 ? 1 : 0;
  m.top5_oom = std::max(0, nonfit - std::max(0, top - fitting));
  return m;
}

double WeightedQuantile(std::vector<std::pair<double, double>> vw, double q) {
  vw.erase(std::remove_if(vw.begin(), vw.end(), [](const auto& p) { return !(p.second > 0) || !std::isfinite(p.first); }),
           vw.end());
  if (vw.empty()) return 0;
  std::sort(vw.begin(), vw.end());
  double total = 0;
  for (const auto& p : vw) total += p.second;
  // Midpoint rule: item i sits at (cumulative weight before it + half its own) / total.
  double cum = 0;
  std::vector<double> pos;
  for (const auto& p : vw) {
    pos.push_back((cum + p.second / 2) / total);
    cum += p.second;
  }
  if (q <= pos.front()) return vw.front().first;
  if (q >= pos.back()) return vw.back().first;
  for (size_t i = 1; i < vw.size(); ++i)
    if (q <= pos[i]) {
      double t = (q - pos[i - 1]) / (pos[i] - pos[i - 1]);
      return vw[i - 1].first + t * (vw[i].first - vw[i - 1].first);
    }
  return vw.back().first;
}

double WeightedMedian(std::vector<std::pair<double, double>> vw) {
  vw.erase(std::remove_if(vw.begin(), vw.end(), [](const auto& p) { return !(p.second > 0) || !std::isfinite(p.first); }),
           vw.end());
  if (vw.empty()) return 0;
  std::sort(vw.begin(), vw.end());
  double total = 0;
  for (const auto& p : vw) total += p.second;
  // The first value whose cumulative weight reaches half; exactly half: the
  // mean of it and the next value.
  double cum = 0;
  for (size_t i = 0; i < vw.size(); ++i) {
    cum += vw[i].second;
    if (std::fabs(cum - total / 2) <= 1e-12 * total && i + 1 < vw.size()) return (vw[i].first + vw[i + 1].first) / 2;
    if (cum > total / 2) return vw[i].first;
  }
  return vw.back().first;
}

const std::vector<HpTarget>& HpTargets() {
  static const std::vector<HpTarget> t = {{"learning_rate", "log10"},
                                          {"effective_batch_size", "log2"},
                                          {"max_seq_length", "log2"},
                                          {"lora_r", "log2"}};
  return t;
}

std::optional<double> HpTargetValue(const ConfigRecord& r, const std::string& target) {
  if (target == "learning_rate") return r.learning_rate > 0 ? std::optional<double>(std::log10(r.learning_rate)) : std::nullopt;
  if (target == "effective_batch_size")
    return r.effective_batch_size > 0 ? std::optional<double>(std::log2(r.effective_batch_size)) : std::nullopt;
  if (target == "max_seq_length")
    return r.max_seq_length && *r.max_seq_length > 0 ? std::optional<double>(std::log2(*r.max_seq_length)) : std::nullopt;
  if (target == "lora_r")
    return r.adapter_type != "none" && r.lora_r && *r.lora_r > 0 ? std::optional<double>(std::log2(*r.lora_r))
                                                                 : std::nullopt;
  return std::nullopt;
}

}  // namespace ftconfig::cli
