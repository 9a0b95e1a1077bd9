#include <boost/test/unit_test.hpp>

#include <map>
#include <set>
#include <tuple>

#include "../../engine/src/recommend_internal.h"
#include "ftconfig/corpus.h"
#include "test_util.h"

using namespace ftconfig;

namespace {
Corpus Build(const std::vector<std::string>& files) {
  std::vector<CorpusSource> src;
  for (const auto& f : files) src.push_back({f, test::Fixture("corpus/" + f)});
  auto c = Corpus::Build(src, test::FixtureCatalog());
  BOOST_TEST_REQUIRE(c.ok());
  return c.value();
}
const ConfigRecord* ById(const Corpus& c, const std::string& id) {
  for (const auto& r : c.records())
    if (r.id == id) return &r;
  return nullptr;
}

// An engine made from `d` answers like the bundled engine (made from the JSONL).
void ExpectAnswersLikeBundled(const EngineData& d) {
  auto e = Engine::Create(d);
  BOOST_TEST_REQUIRE(e.ok());
  for (const char* req : {R"({"platform":"colab","plan":"free","model":"llama-3.1-8b","adapter":"qlora","task":"sft"})",
                          R"({"gpu":"A100 80GB","model":"qwen2.5-7b","adapter":"none","task":"preference_dpo","strategy":"hybrid"})",
                          R"({"gpu":"4090","model_params_b":1.5,"adapter":"lora","task":"classification","strategy":"deterministic"})"}) {
    auto a = test::BundledEngine().Recommend(std::string(req));
    auto b = e.value()->Recommend(std::string(req));
    BOOST_TEST_REQUIRE(a.ok());
    BOOST_TEST_REQUIRE(b.ok());
    BOOST_TEST(a.value().dump() == b.value().dump(), req);
  }
}
}  // namespace

BOOST_AUTO_TEST_SUITE(corpus)

BOOST_AUTO_TEST_CASE(canonical_rows_normalize) {
  Corpus c = Build({"profile.jsonl"});
  const ConfigRecord* r = ById(c, "p1");
  BOOST_TEST_REQUIRE(r != nullptr);
  BOOST_TEST(r->task_type == "instruction_following");
  BOOST_TEST(r->size_bucket == "medium");
  BOOST_TEST(r->adapter_type == "lora");
  BOOST_TEST(r->effective_batch_size == 16);
  BOOST_TEST(r->optimizer == "adamw");
  BOOST_TEST(r->lr_scheduler == "cosine");
  BOOST_TEST(r->precision == "bf16");
  BOOST_TEST(r->lora_target == "all_linear");
  BOOST_TEST(r->source_repo == "repo1");
  BOOST_TEST(r->source_path == "cfg1.yaml");
}

BOOST_AUTO_TEST_CASE(records_share_their_repeated_strings) {
  // Issue #21: the task, adapter, optimizer ... of a million records are kept
  // once each; equal values share an address and read as plain strings.
  Corpus c = Build({"profile.jsonl"});
  const ConfigRecord* a = ById(c, "p1");
  const ConfigRecord* b = nullptr;
  for (const ConfigRecord& r : c.records())
    if (&r != a && r.task_type == "instruction_following") b = &r;
  BOOST_TEST_REQUIRE((a && b));
  BOOST_TEST(a->task_type.id() == b->task_type.id());
  BOOST_TEST(a->task_type == b->task_type);
  BOOST_TEST(SharedString(std::string("instruction_") + "following").id() == a->task_type.id());
  BOOST_TEST(SharedString().empty());
  BOOST_TEST(SharedString("") == SharedString());
  BOOST_TEST(a->task_type + "/x" == "instruction_following/x");
  BOOST_TEST(sizeof(ConfigRecord) <= 440);  // 816 with std::string fields
  // A snapshot round trip keeps the values (and shares them again).
  auto back = Corpus::FromBinarySnapshot(c.ToBinarySnapshot("t"));
  BOOST_TEST_REQUIRE(back.ok());
  BOOST_TEST(back.value().records()[0].task_type.id() == c.records()[0].task_type.id());
}

BOOST_AUTO_TEST_CASE(rejections_are_counted_by_reason) {
  Corpus c = Build({"profile.jsonl"});
  const CorpusStats& s = c.stats();
  BOOST_TEST(s.rows_read == 12);
  BOOST_TEST(s.rejected_by_reason.at("learning_rate_out_of_range") == 2);
  BOOST_TEST(s.rejected_by_reason.at("missing_batch_size") == 2);  // absent, and a string that is not a number
  BOOST_TEST(s.rejected_by_reason.at("unknown_task_type") == 1);
  BOOST_TEST(s.rejected_by_reason.at("invalid_json") == 1);
  BOOST_TEST(s.rows_rejected == 6);
  BOOST_TEST(s.rows_duplicate == 1);
  BOOST_TEST(s.rows_accepted == 5);
  BOOST_TEST(s.rows_read == s.rows_rejected + s.rows_duplicate + s.rows_accepted);
}

BOOST_AUTO_TEST_CASE(deduplicates_by_key_keeping_the_first) {
  Corpus c = Build({"profile.jsonl"});
  BOOST_TEST(ById(c, "p0") != nullptr);
  BOOST_TEST(ById(c, "dup") == nullptr);
}

BOOST_AUTO_TEST_CASE(real_world_variants_normalize) {
  Corpus c = Build({"profile.jsonl", "real_world_variants.jsonl"});
  // Nested model / training_config / lora_config / hardware_config.
  const ConfigRecord* a = nullptr;
  for (const auto& r : c.records())
    if (r.source_path == "a.json") a = &r;
  BOOST_TEST_REQUIRE(a != nullptr);
  BOOST_TEST(a->task_type == "instruction_following");  // "language finetuning" alias
  BOOST_TEST(*a->model_params_b == 7.0);
  BOOST_TEST(a->learning_rate == 2e-4);                 // number written as a string
  BOOST_TEST(a->adapter_type == "qlora");               // lora + 4bit
  BOOST_TEST(a->effective_batch_size == 4 * 2 * 2);
  BOOST_TEST(a->lora_r.value() == 16);
  BOOST_TEST(a->lora_alpha.value() == 32);
  BOOST_TEST(a->lora_target == "qv");
  BOOST_TEST(a->optimizer == "paged_adamw_8bit");
  BOOST_TEST(a->precision == "bf16");
  BOOST_TEST(a->gpu_type == "A100");
  BOOST_TEST(*a->dataset_size == 52002);                // from the known-dataset map
  BOOST_TEST(a->dataset_size_bucket == "medium");
  // freeze maps to full fine-tuning; raw parameter counts become billions.
  const ConfigRecord* b = nullptr;
  for (const auto& r : c.records())
    if (r.source_path == "b.json") b = &r;
  BOOST_TEST_REQUIRE(b != nullptr);
  BOOST_TEST(b->adapter_type == "none");
  BOOST_TEST(b->adapter_original == "freeze");
  BOOST_TEST(std::abs(*b->model_params_b - 1.1) < 1e-9);
  BOOST_TEST(b->size_bucket == "medium");
  BOOST_TEST(b->batch_size_per_device == 8);
  // dora groups with lora; micro_batch_size; 4 GPUs in the effective batch.
  const ConfigRecord* d = nullptr;
  for (const auto& r : c.records())
    if (r.source_path == "c.json") d = &r;
  BOOST_TEST_REQUIRE(d != nullptr);
  BOOST_TEST(d->adapter_type == "lora");
  BOOST_TEST(d->task_type == "preference_dpo");
  BOOST_TEST(d->effective_batch_size == 2 * 8 * 4);
  BOOST_TEST(d->size_bucket == "small");
}

BOOST_AUTO_TEST_CASE(all_null_file_is_skipped_with_a_warning) {
  Corpus c = Build({"profile.jsonl", "fixed_allnull.jsonl"});
  BOOST_TEST(c.stats().files_loaded == 1);
  BOOST_TEST(c.stats().files_skipped == 1);
  bool warned = false;
  for (const auto& w : c.stats().warnings)
    if (w.find("fixed_allnull.jsonl: skipped") != std::string::npos) warned = true;
  BOOST_TEST(warned);
}

BOOST_AUTO_TEST_CASE(no_usable_rows_is_a_data_error) {
  auto c = Corpus::Build({{"x.jsonl", "{\"a\": null}\n"}}, test::FixtureCatalog());
  BOOST_TEST_REQUIRE(!c.ok());
  BOOST_TEST(c.error().code == ErrorCode::kDataError);
}

BOOST_AUTO_TEST_CASE(template_repeats_are_down_weighted) {
  Corpus c = Build({"templates.jsonl"});
  double templ = 0, other = 0;
  for (const auto& r : c.records()) (r.source_repo == "templ" ? templ : other) += r.weight;
  BOOST_TEST(std::abs(templ - 1.0) < 1e-9);  // four copies of one template count once
  BOOST_TEST(std::abs(other - 1.0) < 1e-9);
}

BOOST_AUTO_TEST_CASE(canonical_names) {
  BOOST_TEST(CanonicalOptimizer("adamw_bnb_8bit") == "adamw_8bit");
  BOOST_TEST(CanonicalOptimizer("PagedAdamW8bit") == "paged_adamw_8bit");
  BOOST_TEST(CanonicalOptimizer("paged_adamw_32bit") == "paged_adamw_32bit");
  BOOST_TEST(CanonicalOptimizer("adamw_torch_fused") == "adamw");
  BOOST_TEST(CanonicalOptimizer("Adam (DeepSpeed)") == "adamw");
  BOOST_TEST(CanonicalOptimizer("rmsprop") == "other");
  BOOST_TEST(CanonicalScheduler("cosine_with_min_lr") == "cosine_with_min_lr");
  BOOST_TEST(CanonicalScheduler("StepLR (gamma=0.85 per epoch)") == "step");
  BOOST_TEST(CanonicalPrecision("bfloat16") == "bf16");
  BOOST_TEST(CanonicalLoraTarget(json("all-linear")) == "all_linear");
  BOOST_TEST(CanonicalLoraTarget(json::array({"q_proj", "v_proj"})) == "qv");
  BOOST_TEST(CanonicalLoraTarget(json::array({"q_proj", "k_proj", "v_proj", "o_proj"})) == "attention");
  BOOST_TEST(CanonicalLoraTarget(json::array({"q_proj", "v_proj", "gate_proj", "embed_tokens", "lm_head"})) ==
             "all_linear_embed");
  BOOST_TEST(SizeBucket(0.5) == "small");
  BOOST_TEST(SizeBucket(7.0) == "medium");
  BOOST_TEST(SizeBucket(13.0) == "large");
  BOOST_TEST(SizeBucket(std::nullopt) == "unknown");
}

BOOST_AUTO_TEST_CASE(bundled_corpus_loads_with_rejections_reported) {
  const Corpus& c = test::BundledEngine().corpus();
  const CorpusStats& s = c.stats();
  BOOST_TEST(s.rows_read == 728);
  BOOST_TEST(s.rows_accepted > 500);
  BOOST_TEST(s.rows_read == s.rows_rejected + s.rows_duplicate + s.rows_accepted);
  BOOST_TEST_MESSAGE("bundled corpus: " << s.rows_accepted << " accepted, " << s.rows_rejected << " rejected, "
                                        << s.rows_duplicate << " duplicates");
  for (const auto& r : c.records()) {
    BOOST_TEST(!r.source_repo.empty(), r.id);
    BOOST_TEST(r.learning_rate > 0);
    BOOST_TEST(r.effective_batch_size >= 1);
  }
}

BOOST_AUTO_TEST_CASE(snapshot_round_trips_records_and_statistics) {
  const Corpus& c = test::BundledEngine().corpus();
  json snap = c.ToSnapshot();
  // Through text, as the web bundle carries it.
  auto back = Corpus::FromSnapshot(json::parse(snap.dump()));
  BOOST_TEST_REQUIRE(back.ok());
  BOOST_TEST(back.value().records().size() == c.records().size());
  BOOST_TEST(back.value().ToSnapshot() == snap);  // every field of every record, doubles bit-exact
  BOOST_TEST(back.value().stats().rows_read == c.stats().rows_read);
  BOOST_TEST(back.value().stats().rejected_by_reason == c.stats().rejected_by_reason);
  BOOST_TEST(back.value().stats().accepted_by_source == c.stats().accepted_by_source);
  BOOST_TEST(back.value().stats().warnings == c.stats().warnings);
}

BOOST_AUTO_TEST_CASE(engine_from_snapshot_answers_like_engine_from_jsonl) {
  EngineData d;
  d.catalog = test::CatalogFilesIn(FTCONFIG_DATA_DIR);
  d.corpus_snapshot_json = test::BundledEngine().corpus().ToSnapshot().dump();
  ExpectAnswersLikeBundled(d);
}

// FromSnapshot(snap) refuses it with a data error naming `field`.
void ExpectSnapshotRefused(const json& snap, const std::string& field) {
  auto r = Corpus::FromSnapshot(snap);
  BOOST_TEST_REQUIRE(!r.ok(), field);
  BOOST_TEST(r.error().code == ErrorCode::kDataError);
  BOOST_TEST(r.error().field == field);
}

BOOST_AUTO_TEST_CASE(bad_snapshots_are_data_errors_naming_the_field) {
  const json good = test::BundledEngine().corpus().ToSnapshot();
  const auto expect = ExpectSnapshotRefused;
  json s = good;
  s["format"] = "something-else";
  expect(s, "corpus_snapshot.format");
  expect(json::array(), "corpus_snapshot.format");
  s = good;
  s["format_version"] = 99;
  expect(s, "corpus_snapshot.format_version");
  s = good;
  s["fields"].erase(s["fields"].begin());
  expect(s, "corpus_snapshot.fields");
  s = good;
  s["rows"][3].erase(s["rows"][3].begin());
  expect(s, "corpus_snapshot.rows[3]");
  s = good;
  size_t lr = 0;
  while (s["fields"][lr] != "learning_rate") ++lr;
  s["rows"][3][lr] = "2e-4";
  expect(s, "corpus_snapshot.rows[3].learning_rate");
  s["rows"][3][lr] = 0;
  expect(s, "corpus_snapshot.rows[3].learning_rate");
  s = good;
  s["rows"].erase(s["rows"].begin());
  expect(s, "corpus_snapshot.stats.rows_accepted");
  s = good;
  s["stats"].erase("warnings");
  expect(s, "corpus_snapshot.stats.warnings");

  EngineData d;
  d.catalog = test::CatalogFilesIn(FTCONFIG_DATA_DIR);
  d.corpus_snapshot_json = "{not json";
  auto e = Engine::Create(d);
  BOOST_TEST_REQUIRE(!e.ok());
  BOOST_TEST(e.error().field == "corpus_snapshot");
}

BOOST_AUTO_TEST_CASE(binary_snapshot_round_trips_records_statistics_and_stamp) {
  const Corpus& c = test::BundledEngine().corpus();
  const std::string bytes = c.ToBinarySnapshot("configs.jsonl 123 456\n");
  BOOST_TEST(Corpus::BinarySnapshotStamp(bytes) == "configs.jsonl 123 456\n");
  std::string stamp;
  auto back = Corpus::FromBinarySnapshot(bytes, &stamp);
  BOOST_TEST_REQUIRE(back.ok());
  BOOST_TEST(stamp == "configs.jsonl 123 456\n");
  BOOST_TEST(back.value().ToSnapshot() == c.ToSnapshot());  // every field of every record and the statistics
}

BOOST_AUTO_TEST_CASE(engine_from_binary_snapshot_answers_like_engine_from_jsonl) {
  EngineData d;
  d.catalog = test::CatalogFilesIn(FTCONFIG_DATA_DIR);
  d.corpus_snapshot_binary = test::BundledEngine().corpus().ToBinarySnapshot("");
  ExpectAnswersLikeBundled(d);
}

BOOST_AUTO_TEST_CASE(bad_binary_snapshots_are_data_errors_naming_the_field) {
  const std::string good = test::BundledEngine().corpus().ToBinarySnapshot("stamp");
  auto expect = [](const std::string& bytes, const std::string& field) {
    auto r = Corpus::FromBinarySnapshot(bytes);
    BOOST_TEST_REQUIRE(!r.ok(), field);
    BOOST_TEST(r.error().code == ErrorCode::kDataError);
    BOOST_TEST(r.error().field.rfind(field, 0) == 0, r.error().field << " vs " << field);
  };
  expect("", "corpus_snapshot.format");
  expect("{\"format\":\"ftconfig-corpus-snapshot\"}", "corpus_snapshot.format");
  std::string s = good;
  s[8] = 99;  // the version
  expect(s, "corpus_snapshot.format_version");
  BOOST_TEST(Corpus::BinarySnapshotStamp(s).empty());
  // Truncated anywhere: an error naming where, never a crash.
  for (size_t cut : {size_t{20}, size_t{200}, good.size() / 2, good.size() - 1})
    expect(good.substr(0, cut), "corpus_snapshot.");
  // A record out of range: the learning rate is the 18th field; find it by
  // changing the last record's bytes until a range check names it.
  std::string bad = good;
  const double lr = test::BundledEngine().corpus().records().back().learning_rate;
  const size_t at = bad.rfind(std::string(reinterpret_cast<const char*>(&lr), sizeof lr));
  BOOST_TEST_REQUIRE(at != std::string::npos);
  const double zero = 0;
  bad.replace(at, sizeof zero, reinterpret_cast<const char*>(&zero), sizeof zero);
  expect(bad, "corpus_snapshot.rows[" + std::to_string(test::BundledEngine().corpus().records().size() - 1) +
                  "].learning_rate");
}

BOOST_AUTO_TEST_CASE(distill_keeps_a_bounded_sample_of_every_group_and_repository) {
  const Corpus& full = test::BundledEngine().corpus();
  using Key = std::tuple<std::string, std::string, std::string>;
  auto groups_of = [](const Corpus& c) {
    std::map<Key, std::set<std::string>> g;  // group -> its repositories
    for (const auto& r : c.records()) g[{r.task_type, r.size_bucket, r.adapter_type}].insert(r.source_repo);
    return g;
  };
  BOOST_TEST(full.Distill(full.records().size()).records().size() == full.records().size());  // nothing to cut
  BOOST_TEST(full.Distill(0).records().size() == full.records().size());
  const Corpus small = full.Distill(200);
  BOOST_TEST(small.records().size() == 200u);
  BOOST_TEST(small.stats().rows_accepted == 200);
  BOOST_TEST(small.stats().warnings.back() == "distilled: 200 of " + std::to_string(full.records().size()) +
                                                  " rows kept (Corpus::Distill)");
  auto all = groups_of(full), kept = groups_of(small);
  BOOST_TEST(kept.size() == all.size());  // 200 rows are enough for one of every group
  // Repositories are taken in turn: a group kept with k rows has min(k, its repositories) of them.
  std::map<Key, int> rows_kept;
  for (const auto& r : small.records()) ++rows_kept[{r.task_type, r.size_bucket, r.adapter_type}];
  for (const auto& [key, repos] : kept)
    BOOST_TEST(repos.size() == std::min<size_t>(rows_kept[key], all[key].size()));
  // Records are kept as they are (weights included), in the corpus's order.
  std::map<std::string, double> weight;
  for (const auto& r : full.records()) weight[r.id] = r.weight;
  for (const auto& r : small.records()) BOOST_TEST(r.weight == weight.at(r.id));
  // Fewer rows than groups: the smallest groups go, never more rows than asked.
  BOOST_TEST(full.Distill(3).records().size() == 3u);
}

BOOST_AUTO_TEST_CASE(a_distilled_corpus_keeps_what_the_whole_corpus_taught) {
  const Corpus& full = test::BundledEngine().corpus();
  BOOST_TEST(!full.learned().has_value());
  BOOST_TEST(!full.ToSnapshot().contains("learned"));
  const Corpus small = full.Distill(60);
  BOOST_TEST_REQUIRE(small.learned().has_value());
  const CorpusLearned whole = internal::LearnFromCorpus(full.records());
  BOOST_TEST((*small.learned() == whole));
  BOOST_TEST((small.Distill(20).learned() == small.learned()));  // distilling again keeps the whole corpus's
  auto back = Corpus::FromSnapshot(json::parse(small.ToSnapshot().dump()));
  BOOST_TEST_REQUIRE(back.ok());
  BOOST_TEST((back.value().learned() == small.learned()));

  // The engine answers with the snapshot's learned values, not the sample's.
  auto alpha_over_rank = [&](int ratio) {
    json snap = small.ToSnapshot();
    snap["learned"]["lora_alpha_ratio"] = ratio;
    EngineData d;
    d.catalog = test::CatalogFilesIn(FTCONFIG_DATA_DIR);
    d.corpus_snapshot_json = snap.dump();
    auto engine = Engine::Create(d);
    BOOST_TEST_REQUIRE(engine.ok());
    auto r = engine.value()->Recommend(R"({"gpu":"A100 80GB","model":"meta-llama/Llama-3.1-8B","adapter_type":"lora"})");
    BOOST_TEST_REQUIRE(r.ok());
    const json& hp = r.value()["hyperparameters"];
    return hp["lora_alpha"].get<double>() / hp["lora_r"].get<double>();
  };
  BOOST_TEST(alpha_over_rank(1) == 1.0);
  BOOST_TEST(alpha_over_rank(2) == 2.0);
}

BOOST_AUTO_TEST_CASE(bad_learned_values_in_a_snapshot_are_data_errors_naming_the_field) {
  const json good = test::BundledEngine().corpus().Distill(60).ToSnapshot();
  const auto expect = ExpectSnapshotRefused;
  json s = good;
  s["learned"] = "no";
  expect(s, "corpus_snapshot.learned");
  for (const json& bad : {json(3), json(0), json(1.5), json("2"), json(nullptr)}) {
    s = good;
    s["learned"]["qlora_alpha_ratio"] = bad;
    expect(s, "corpus_snapshot.learned.qlora_alpha_ratio");
  }
  for (const json& bad : {json({1, 2}), json({-1, 0}), json({1}), json({2e9, 1}), json("x"), json({1, nullptr})}) {
    s = good;
    s["learned"]["rule_agreement"]["chat"] = bad;
    expect(s, "corpus_snapshot.learned.rule_agreement");
  }
  s = good;
  s["learned"]["rule_agreement"][std::string(300, 't')] = {1, 1};
  expect(s, "corpus_snapshot.learned.rule_agreement");
  s = good;
  s["learned"].erase("rule_agreement");
  expect(s, "corpus_snapshot.learned.rule_agreement");
  for (const json& bad : {json("step"), json(""), json(3), json(nullptr)}) {
    s = good;
    s["learned"]["full_schedule"]["scheduler"] = bad;
    expect(s, "corpus_snapshot.learned.full_schedule.scheduler");
  }
  for (const json& bad : {json(-0.01), json(0.5), json("0.05"), json(nullptr)}) {
    s = good;
    s["learned"]["adapter_schedule"]["warmup_ratio"] = bad;
    expect(s, "corpus_snapshot.learned.adapter_schedule.warmup_ratio");
  }
  s = good;
  s["learned"].erase("adapter_schedule");
  expect(s, "corpus_snapshot.learned.adapter_schedule");
}

BOOST_AUTO_TEST_SUITE_END()
