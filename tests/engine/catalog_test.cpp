#include <boost/test/unit_test.hpp>

#include "ftconfig/catalog.h"
#include "test_util.h"

using namespace ftconfig;

BOOST_AUTO_TEST_SUITE(catalog)

BOOST_AUTO_TEST_CASE(nominal_size_from_a_model_name) {
  const std::pair<const char*, double> sized[] = {
      {"Qwen/Qwen3.5-9B", 9},          {"LiquidAI/LFM2.5-1.2B-Base", 1.2}, {"HuggingFaceTB/SmolLM-360M", 0.36},
      {"Qwen/Qwen3-30B-A3B", 30},      {"openlm-research/open_llama_3b_v2", 3}, {"llava-hf/llava-1.5-7b-hf", 7},
      {"unsloth/Ministral-3-3B-Instruct-2512", 3}, {"Meta-Llama-3.1-8B-Instruct", 8}};
  for (const auto& [name, b] : sized) {
    auto got = NominalParamsFromName(name);
    BOOST_TEST_REQUIRE(got.has_value(), name);
    BOOST_TEST(*got == b, boost::test_tools::tolerance(1e-9));
  }
  for (const char* name : {"unsloth/gemma-4-E2B-it", "meta-llama/Llama-4-Scout-17B-16E-Instruct",
                           "mistral-community/Mixtral-8x22B-v0.1", "zai-org/GLM-4.7-Flash", "gpt2", "", "7B/x",
                           "model-v2b", "deepseek-ai/DeepSeek-V3", "tiny-0.0001B", "x-0B", "y-99999B"})
    BOOST_TEST(!NominalParamsFromName(name).has_value(), name);
  BOOST_TEST(!NominalParamsFromName(std::string(300, '7') + "B").has_value());
}

BOOST_AUTO_TEST_CASE(gpu_names_resolve_leniently) {
  const Catalog& c = test::FixtureCatalog();
  for (const char* name : {"T4", "Tesla T4", "nvidia-t4", "NVIDIA T4", "t4"}) {
    auto g = c.FindGpu(name);
    BOOST_TEST_REQUIRE(g.ok(), name);
    BOOST_TEST(g.value()->id == "t4");
  }
  for (const char* name : {"A100 80GB", "a100-80gb", "A100_80GB", "NVIDIA A100-SXM4-80GB"}) {
    auto g = c.FindGpu(name);
    BOOST_TEST_REQUIRE(g.ok(), name);
    BOOST_TEST(g.value()->id == "a100-80gb");
  }
  for (const char* name : {"RTX 4090", "4090", "GeForce RTX 4090", "nvidia geforce rtx 4090"}) {
    auto g = c.FindGpu(name);
    BOOST_TEST_REQUIRE(g.ok(), name);
    BOOST_TEST(g.value()->id == "rtx-4090");
  }
}

BOOST_AUTO_TEST_CASE(unknown_gpu_lists_close_matches) {
  auto g = test::FixtureCatalog().FindGpu("T5");
  BOOST_TEST_REQUIRE(!g.ok());
  BOOST_TEST(g.error().code == ErrorCode::kUnknownGpu);
  BOOST_TEST(g.error().field == "gpu");
  BOOST_TEST(g.error().message.find("\"t4\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(models_resolve_by_alias) {
  const Catalog& c = test::FixtureCatalog();
  for (const char* name : {"Llama-2-7b", "llama2-7b", "meta-llama/Llama-2-7b-hf", "LLAMA-2-7B-HF", "someone/Llama-2-7b-hf"}) {
    const Model* m = c.FindModel(name);
    BOOST_TEST_REQUIRE(m != nullptr, name);
    BOOST_TEST(m->id == "meta-llama/Llama-2-7b-hf");
  }
  BOOST_TEST(c.FindModel("gpt-17") == nullptr);
}

// Variant names (fine-tunes, quantized or converted copies) match the model
// they name; a size or a version is never dropped.
BOOST_AUTO_TEST_CASE(variant_names_match_their_model) {
  const Catalog& c = test::BundledEngine().catalog();
  struct Case {
    const char* name;
    const char* id;
    bool prequantized;
  };
  for (const Case& k : {Case{"unsloth/Meta-Llama-3.1-8B-Instruct-bnb-4bit", "meta-llama/Llama-3.1-8B", true},
                        Case{"unsloth/llama-3-8b-bnb-4bit", "meta-llama/Meta-Llama-3-8B", true},
                        Case{"Qwen/Qwen2.5-7B-Instruct-GPTQ-Int4", "Qwen/Qwen2.5-7B", true},
                        Case{"TheBloke/Mistral-7B-v0.1-AWQ", "mistralai/Mistral-7B-v0.1", true},
                        Case{"unsloth/gemma-3-4b-it-unsloth-bnb-4bit", "google/gemma-3-4b-it", true},
                        Case{"someone/Llama-2-7b-chat-hf-fp16", "meta-llama/Llama-2-7b-hf", false}}) {
    ModelMatch m = c.MatchModel(k.name);
    BOOST_TEST_REQUIRE(m.model != nullptr, k.name);
    BOOST_TEST(m.model->id == k.id, k.name);
    BOOST_TEST(m.prequantized == k.prequantized, k.name);
    BOOST_TEST(!m.dropped.empty(), k.name);
    BOOST_TEST(m.Note(k.name).find(std::string("read as ") + k.id) != std::string::npos, k.name);
  }
  // A direct alias carries no note.
  ModelMatch direct = c.MatchModel("llama-3.1-8b-instruct");
  BOOST_TEST_REQUIRE(direct.model != nullptr);
  BOOST_TEST(direct.dropped.empty());
  BOOST_TEST(direct.Note("llama-3.1-8b-instruct").empty());
  // Sizes and versions stay: no match rather than another model.
  for (const char* name : {"Llama-3.1-9B-Instruct", "Mistral-7B-v0.9-Instruct", "instruct", "xlm-roberta-base",
                           "gpt-17-bnb-4bit"})
    BOOST_TEST(c.MatchModel(name).model == nullptr, name);
}

BOOST_AUTO_TEST_CASE(tasks_and_aliases) {
  const Catalog& c = test::FixtureCatalog();
  BOOST_TEST(c.CanonicalTask("language finetuning") == "instruction_following");
  BOOST_TEST(c.CanonicalTask("SFT") == "instruction_following");
  BOOST_TEST(c.CanonicalTask("chat") == "chat");
  BOOST_TEST(c.CanonicalTask("juggling") == "");
}

BOOST_AUTO_TEST_CASE(stack_selection_by_compute_capability) {
  const Catalog& c = test::FixtureCatalog();
  BOOST_TEST(c.SelectStack(*c.GpuById("t4"), "colab")->id == "turing");
  BOOST_TEST(c.SelectStack(*c.GpuById("a100-80gb"), "runpod")->id == "ampere-fa2");
  BOOST_TEST(c.SelectStack(*c.GpuById("apple-m"), "local") == nullptr);
}

BOOST_AUTO_TEST_CASE(malformed_catalog_names_the_file) {
  CatalogFiles f = test::CatalogFilesIn(FTCONFIG_TEST_FIXTURES);
  f.platforms = "{\"platforms\": [{\"id\": \"x\", \"plans\": [{\"id\": \"p\", \"gpu\": \"nope\"}]}]}";
  auto c = Catalog::Load(f);
  BOOST_TEST_REQUIRE(!c.ok());
  BOOST_TEST(c.error().code == ErrorCode::kDataError);
  BOOST_TEST(c.error().message.find("unknown gpu \"nope\"") != std::string::npos);
  f = test::CatalogFilesIn(FTCONFIG_TEST_FIXTURES);
  f.gpus = "{oops";
  c = Catalog::Load(f);
  BOOST_TEST_REQUIRE(!c.ok());
  BOOST_TEST(c.error().code == ErrorCode::kInvalidJson);
  BOOST_TEST(c.error().field == "catalog/gpus.json");
  // A vision encoder larger than the model, or negative, is a data error naming the entry.
  f = test::CatalogFilesIn(FTCONFIG_TEST_FIXTURES);
  f.models = R"({"models": [{"id": "x/vlm", "params_b": 1, "vision_params_b": 2, "hidden_size": 64, "num_layers": 2}]})";
  c = Catalog::Load(f);
  BOOST_TEST_REQUIRE(!c.ok());
  BOOST_TEST(c.error().message.find("vision_params_b") != std::string::npos, c.error().message);
}

BOOST_AUTO_TEST_CASE(bundled_catalog_loads_and_aliases_work) {
  const Catalog& c = test::BundledEngine().catalog();
  BOOST_TEST(c.gpus().size() >= 20u);
  BOOST_TEST(c.models().size() >= 80u);
  for (const char* name : {"T4", "Tesla T4", "nvidia-t4", "A100 80GB", "a100-80gb", "RTX 4090", "4090"})
    BOOST_TEST(c.FindGpu(name).ok(), name);
  BOOST_TEST(c.FindModel("Llama-2-7b") != nullptr);
  BOOST_TEST(c.FindModel("llama2-7b") != nullptr);
  // Every plan's GPU exists and every CUDA GPU has a pinned stack.
  for (const auto& p : c.platforms())
    for (const auto& pl : p.plans)
      if (!pl.gpu.empty()) BOOST_TEST(c.GpuById(pl.gpu) != nullptr, p.id + "/" + pl.id);
  for (const auto& g : c.gpus())
    if (g.cuda && g.compute_capability >= 6.0) BOOST_TEST(c.SelectStack(g, "") != nullptr, g.id);
}

BOOST_AUTO_TEST_SUITE_END()
