// The per-architecture LoRA module table (ftconfig/lora_modules.h). The names
// themselves are proven against the real models by tests/py/check_lora_modules.py.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <set>

#include "ftconfig/lora_modules.h"
#include "test_util.h"

namespace ftconfig {
namespace {

using Names = std::vector<std::string>;

bool Contains(const Names& names, const std::string& n) { return std::find(names.begin(), names.end(), n) != names.end(); }

const Catalog& BundledCatalog() {
  static const Catalog c = Catalog::Load(test::CatalogFilesIn(FTCONFIG_DATA_DIR)).value();
  return c;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lora_modules)

BOOST_AUTO_TEST_CASE(every_catalog_family_has_its_own_layout) {
  // A family that fell through to the Llama layout by accident would name
  // q_proj/v_proj in a model that has none (the bug of issue 15).
  const std::set<std::string> llama_like = {"llama", "mistral", "qwen", "gemma", "olmo", "smollm", "deepseek"};
  for (const auto& m : BundledCatalog().models()) {
    const std::string arch = LoraArchitecture(m.family, m.id);
    BOOST_TEST_CONTEXT(m.id << " (" << m.family << ")") {
      BOOST_TEST(!arch.empty());
      if (!llama_like.count(m.family)) BOOST_TEST(arch != "llama");
      for (const char* cls : {"all_linear", "attention", "qv"}) BOOST_TEST(!LoraTargetModules(m.family, m.id, cls).empty());
      BOOST_TEST(!LoraEmbeddingModules(m.family, m.id).empty());
      // A classifier head exactly where the pinned transformers has a
      // sequence-classification model (none for gpt-oss, OLMo, text-only Gemma 3).
      BOOST_TEST(ClassifierHeadModules(m.family, m.id).empty() == !SequenceClassificationAvailable(m.family, m.id));
    }
  }
}

BOOST_AUTO_TEST_CASE(moe_experts_are_targets_only_where_they_are_linear_layers) {
  // 4.55: Mixtral's experts are w1/w2/w3 and Qwen3-MoE's gate/up/down_proj
  // nn.Linear per expert; gpt-oss keeps them as 3-D parameters (no names).
  const Names mixtral = LoraTargetModules("mixtral", "mistralai/Mixtral-8x7B-v0.1", "all_linear");
  for (const char* n : {"w1", "w2", "w3", "q_proj", "o_proj"}) BOOST_TEST(Contains(mixtral, n), n);
  BOOST_TEST(!Contains(mixtral, "gate"));  // the router
  const Names qwen = LoraTargetModules("qwen3_moe", "Qwen/Qwen3-30B-A3B", "all_linear");
  for (const char* n : {"gate_proj", "up_proj", "down_proj", "k_proj"}) BOOST_TEST(Contains(qwen, n), n);
  const Names oss = LoraTargetModules("gpt_oss", "openai/gpt-oss-20b", "all_linear");
  BOOST_TEST(oss == (Names{"q_proj", "k_proj", "v_proj", "o_proj"}), boost::test_tools::per_element());
  BOOST_TEST(!SequenceClassificationAvailable("gpt_oss", "openai/gpt-oss-20b"));
  BOOST_TEST(!SequenceClassificationAvailable("gemma", "google/gemma-3-1b-it"));
  BOOST_TEST(SequenceClassificationAvailable("gemma", "google/gemma-3-4b-it"));
  BOOST_TEST(SequenceClassificationAvailable("llama", "meta-llama/Llama-3.1-8B"));
}

BOOST_AUTO_TEST_CASE(the_model_id_alone_gives_the_catalog_layout) {
  // Exports see only the model id when the response carries no family.
  for (const auto& m : BundledCatalog().models())
    BOOST_TEST(LoraArchitecture("", m.id) == LoraArchitecture(m.family, m.id), m.id);
}

BOOST_AUTO_TEST_CASE(qv_within_attention_within_all_linear) {
  for (const auto& m : BundledCatalog().models()) {
    const Names all = LoraTargetModules(m.family, m.id, "all_linear");
    const Names attention = LoraTargetModules(m.family, m.id, "attention");
    BOOST_TEST_CONTEXT(m.id) {
      for (const auto& n : LoraTargetModules(m.family, m.id, "qv")) BOOST_TEST(Contains(attention, n));
      for (const auto& n : attention) BOOST_TEST(Contains(all, n));
    }
  }
}

BOOST_AUTO_TEST_CASE(names_of_the_fused_and_renamed_architectures) {
  BOOST_TEST(LoraTargetModules("phi", "microsoft/Phi-3-mini-4k-instruct", "qv") == Names{"qkv_proj"});
  BOOST_TEST(LoraTargetModules("phi", "microsoft/phi-4", "all_linear") ==
             (Names{"qkv_proj", "o_proj", "gate_up_proj", "down_proj"}));
  BOOST_TEST(LoraTargetModules("phi", "microsoft/phi-2", "attention") == (Names{"q_proj", "k_proj", "v_proj", "dense"}));
  BOOST_TEST(LoraTargetModules("gpt2", "openai-community/gpt2", "qv") == Names{"c_attn"});
  BOOST_TEST(LoraTargetModules("pythia", "EleutherAI/pythia-1b", "qv") == Names{"query_key_value"});
  BOOST_TEST(LoraTargetModules("t5", "google/flan-t5-base", "all_linear") ==
             (Names{"q", "k", "v", "o", "wi_0", "wi_1", "wo"}));
  BOOST_TEST(LoraTargetModules("t5", "google-t5/t5-small", "all_linear") == (Names{"q", "k", "v", "o", "wi", "wo"}));
  BOOST_TEST(LoraTargetModules("distilbert", "distilbert/distilbert-base-uncased", "qv") == (Names{"q_lin", "v_lin"}));
  BOOST_TEST(LoraTargetModules("deberta", "microsoft/deberta-v3-base", "qv") == (Names{"query_proj", "value_proj"}));
  BOOST_TEST(LoraTargetModules("roberta", "FacebookAI/roberta-base", "qv") == (Names{"query", "value"}));
  BOOST_TEST(LoraTargetModules("llama", "meta-llama/Llama-3.1-8B", "nonsense").empty());
}

BOOST_AUTO_TEST_CASE(architecture_from_the_model_id_without_a_family) {
  BOOST_TEST(LoraArchitecture("", "microsoft/Phi-3.5-mini-instruct") == "phi3");
  BOOST_TEST(LoraArchitecture("", "EleutherAI/gpt-neox-20b") == "gpt_neox");
  BOOST_TEST(LoraArchitecture("", "google/flan-t5-xl") == "t5_gated");
  BOOST_TEST(LoraArchitecture("", "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B") == "llama");
  BOOST_TEST(LoraArchitecture("", "someone/custom-llm-3b") == "");
  // Unknown models get the most common (Llama) names.
  BOOST_TEST(LoraTargetModules("", "someone/custom-llm-3b", "qv") == (Names{"q_proj", "v_proj"}));
}

BOOST_AUTO_TEST_CASE(class_of_todays_lora_target_strings) {
  BOOST_TEST(LoraTargetClassOf("q_proj,v_proj") == "qv");
  BOOST_TEST(LoraTargetClassOf("q_proj,k_proj,v_proj,o_proj") == "attention");
  BOOST_TEST(LoraTargetClassOf("all-linear") == "all_linear");
  BOOST_TEST(LoraTargetClassOf("all-linear,embed_tokens,lm_head") == "all_linear");
  BOOST_TEST(LoraTargetClassOf("['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']") ==
             "all_linear");
  BOOST_TEST(LoraTargetClassOf("c_attn") == "qv");
  BOOST_TEST(LoraTargetClassOf("query_key_value,dense") == "attention");
  BOOST_TEST(LoraTargetClassOf("attention") == "attention");
  BOOST_TEST(LoraTargetClassOf("") == "all_linear");
  BOOST_TEST(LoraTargetTrainsEmbeddings("all-linear,embed_tokens,lm_head"));
  BOOST_TEST(!LoraTargetTrainsEmbeddings("all-linear"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace ftconfig
