#include <boost/test/unit_test.hpp>

#include <thread>

#include "ftconfig/profiles.h"
#include "test_util.h"

using namespace ftconfig;

namespace {
Corpus Build(const std::vector<std::string>& files) {
  std::vector<CorpusSource> src;
  for (const auto& f : files) src.push_back({f, test::Fixture("corpus/" + f)});
  return Corpus::Build(src, test::FixtureCatalog()).value();
}
}  // namespace

BOOST_AUTO_TEST_SUITE(profiles)

BOOST_AUTO_TEST_CASE(known_medians_and_iqr) {
  Corpus c = Build({"profile.jsonl"});
  ProfileTable t = ProfileTable::Build(c);
  ProfileMatch m = t.Lookup({"instruction_following", "medium", "lora"});
  BOOST_TEST(m.level == FallbackLevel::kExact);
  const Profile& p = m.profile;
  BOOST_TEST(p.count == 5);
  BOOST_TEST(p.lr_median == 3e-4);
  BOOST_TEST(p.lr_q1 == 2e-4);
  BOOST_TEST(p.lr_q3 == 4e-4);
  BOOST_TEST(p.effective_batch_median == 16);
  BOOST_TEST(*p.lora_r_median == 16);
  BOOST_TEST(*p.lora_alpha_median == 32);
  BOOST_TEST(*p.seq_len_median == 1024);
  BOOST_TEST(p.optimizer_mode == "adamw");
  BOOST_TEST(p.precision_mode == "bf16");
  BOOST_TEST(p.sources == 5);
}

BOOST_AUTO_TEST_CASE(even_count_median_averages_the_middle) {
  std::vector<ConfigRecord> recs(4);
  double lrs[] = {1e-4, 2e-4, 4e-4, 8e-4};
  for (int i = 0; i < 4; ++i) recs[i].learning_rate = lrs[i], recs[i].effective_batch_size = 8 * (i + 1);
  Profile p = Summarize(recs, {0, 1, 2, 3});
  BOOST_TEST(std::abs(p.lr_median - 3e-4) < 1e-12);
  BOOST_TEST(p.effective_batch_median == 20);
}

BOOST_AUTO_TEST_CASE(medians_over_repeated_values_as_over_sorted_rows) {
  // Summaries count repeated (value, weight) pairs instead of sorting them:
  // a boundary inside a run of equal values keeps the value, one at a run's
  // end averages with the next run, and past 4096 distinct pairs the rows are
  // sorted; every case as over the sorted rows.
  std::vector<ConfigRecord> recs(6);
  double lrs[] = {1e-4, 1e-4, 1e-4, 3e-4, 3e-4, 3e-4};
  for (int i = 0; i < 6; ++i) recs[i].learning_rate = lrs[i], recs[i].effective_batch_size = 8;
  BOOST_TEST(std::abs(Summarize(recs, {0, 1, 2, 3, 4, 5}).lr_median - 2e-4) < 1e-12);  // end of a run
  BOOST_TEST(Summarize(recs, {0, 1, 2, 3}).lr_median == 1e-4);                            // inside a run
  BOOST_TEST(std::abs(Summarize(recs, {0, 1, 2, 3}).lr_q3 - 2e-4) < 1e-12);                // q3 at a run's end
  std::vector<ConfigRecord> many(5001);
  std::vector<size_t> all;
  for (size_t i = 0; i < many.size(); ++i) many[i].learning_rate = 1e-6 * (i + 1), all.push_back(i);
  const Profile p = Summarize(many, all);
  BOOST_TEST(p.lr_median == 1e-6 * 2501);
  BOOST_TEST(p.effective_batch_median == 0);
}

BOOST_AUTO_TEST_CASE(weights_move_the_median) {
  std::vector<ConfigRecord> recs(3);
  recs[0].learning_rate = 1e-4, recs[0].weight = 0.25;
  recs[1].learning_rate = 2e-4, recs[1].weight = 0.25;
  recs[2].learning_rate = 9e-4, recs[2].weight = 1.0;
  BOOST_TEST(Summarize(recs, {0, 1, 2}).lr_median == 9e-4);
}

BOOST_AUTO_TEST_CASE(fallback_hierarchy) {
  Corpus c = Build({"profile.jsonl", "templates.jsonl", "real_world_variants.jsonl"});
  ProfileTable t = ProfileTable::Build(c, /*min_weight=*/3.0);
  // Exact group exists with 5 rows.
  BOOST_TEST(t.Lookup({"instruction_following", "medium", "lora"}).level == FallbackLevel::kExact);
  // No large instruction/lora rows: same task and adapter across sizes.
  ProfileMatch m = t.Lookup({"instruction_following", "large", "lora"});
  BOOST_TEST(m.level == FallbackLevel::kTaskAdapter);
  BOOST_TEST(m.group == "instruction_following/*/lora");
  // No summarization rows: same adapter and size.
  m = t.Lookup({"summarization", "medium", "lora"});
  BOOST_TEST(m.level == FallbackLevel::kAdapterSize);
  BOOST_TEST(m.group == "*/medium/lora");
  // chat/qlora has 5 rows but 2 effective (template down-weighted) < 3:
  // the adapter-and-size level (with the real-world qlora row) has 3.
  m = t.Lookup({"chat", "medium", "qlora"});
  BOOST_TEST(m.level == FallbackLevel::kAdapterSize);
  BOOST_TEST(m.group == "*/medium/qlora");
  // Full fine-tuning of a large chat model: only one "none" row anywhere.
  m = t.Lookup({"chat", "large", "none"});
  BOOST_TEST(m.level == FallbackLevel::kGlobal);
  BOOST_TEST(m.group == "*/*/*");
  BOOST_TEST(m.profile.count == static_cast<int>(c.records().size()));
}

// Summaries are computed on first lookup (the engine's load does not wait for
// ~150 of them): each must be what Summarize gives for the group's rows, from
// any thread, and listing the groups must not depend on earlier lookups.
BOOST_AUTO_TEST_CASE(summaries_on_demand_match_summarize) {
  Corpus c = Build({"profile.jsonl", "templates.jsonl", "real_world_variants.jsonl"});
  const ProfileTable t = ProfileTable::Build(c, /*min_weight=*/3.0);
  const std::vector<GroupKey> keys = {{"instruction_following", "medium", "lora"},
                                      {"instruction_following", "large", "lora"},
                                      {"summarization", "medium", "lora"},
                                      {"chat", "medium", "qlora"},
                                      {"chat", "large", "none"}};
  std::vector<std::vector<ProfileMatch>> seen(4);
  std::vector<std::thread> threads;
  for (size_t n = 0; n < seen.size(); ++n)
    threads.emplace_back([&, n] {
      for (int round = 0; round < 20; ++round)
        for (const auto& k : keys) seen[n].push_back(t.Lookup(k));
    });
  for (auto& th : threads) th.join();
  for (size_t i = 0; i < seen[0].size(); ++i) {
    const ProfileMatch& m = seen[0][i];
    const Profile direct = Summarize(c.records(), m.profile.members);
    BOOST_TEST(m.profile.count == direct.count);
    BOOST_TEST(m.profile.weight_sum == direct.weight_sum);
    BOOST_TEST(m.profile.lr_median == direct.lr_median);
    BOOST_TEST(m.profile.optimizer_mode == direct.optimizer_mode);
    for (size_t n = 1; n < seen.size(); ++n) {
      BOOST_TEST(seen[n][i].group == m.group);
      BOOST_TEST(seen[n][i].profile.members == m.profile.members);
      BOOST_TEST(seen[n][i].profile.lr_median == m.profile.lr_median);
    }
  }
  const auto groups = t.groups();
  BOOST_TEST(groups.size() == t.group_count());
  size_t rows = 0;
  for (const auto& [key, p] : groups) {
    rows += p.members.size();
    BOOST_TEST(p.lr_median == Summarize(c.records(), p.members).lr_median);
    for (size_t i : p.members) BOOST_TEST(c.records()[i].task_type == key.task_type);
  }
  BOOST_TEST(rows == c.records().size());
  // A fresh table lists the same groups without any lookup first.
  const auto fresh = ProfileTable::Build(c, 3.0).groups();
  BOOST_TEST(fresh.size() == groups.size());
  for (size_t i = 0; i < fresh.size(); ++i) BOOST_TEST(fresh[i].second.members == groups[i].second.members);
}

BOOST_AUTO_TEST_SUITE_END()
