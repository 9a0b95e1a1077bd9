// Trainer profiles (issue 16): lookup, that every default names its source,
// and the memory terms each technique changes.
#include <boost/test/unit_test.hpp>

#include <cstring>

#include "ftconfig/frameworks.h"
#include "ftconfig/memory.h"

using namespace ftconfig;

namespace {

ModelArch Llama31_8B() {
  ModelArch a;
  a.params_b = 8.03;
  a.hidden_size = 4096;
  a.intermediate_size = 14336;
  a.num_layers = 32;
  a.num_attention_heads = 32;
  a.num_kv_heads = 8;
  a.head_dim = 128;
  a.vocab_size = 128256;
  return a;
}

// Colab free tier: Llama-3.1-8B QLoRA, batch 2 x 2048 tokens, rank 16, all linear.
TrainSetup ColabQlora(const char* framework) {
  TrainSetup s;
  s.method = Method::kQlora;
  s.weight_quant = WeightQuant::kNf4;
  s.precision = Precision::kFp16Pure;  // T4: no bf16
  s.batch_size_per_device = 2;
  s.seq_len = 2048;
  s.lora_r = 16;
  s.lora_target = LoraTarget::kAllLinear;
  ApplyFramework(*FindFramework(framework), &s);
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(frameworks)

BOOST_AUTO_TEST_CASE(lookup_by_name_and_alias) {
  BOOST_TEST((FindFramework("hf-trainer")->id == Framework::kHfTrainer));
  BOOST_TEST((FindFramework("TRL")->id == Framework::kHfTrainer));
  BOOST_TEST((FindFramework("Unsloth")->id == Framework::kUnsloth));
  BOOST_TEST((FindFramework("llama_factory")->id == Framework::kLlamaFactory));
  BOOST_TEST((FindFramework("LLaMA-Factory")->id == Framework::kLlamaFactory));
  BOOST_TEST((FindFramework("torchtune")->id == Framework::kTorchtune));
  BOOST_TEST((FindFramework("lit-gpt")->id == Framework::kLitgpt));
  BOOST_TEST((FindFramework("deepspeed")->id == Framework::kPytorch));
  BOOST_TEST((FindFramework("axolotl")->id == Framework::kAxolotl));
  BOOST_TEST(FindFramework("megatron") == nullptr);
  BOOST_TEST(FindFramework("") == nullptr);
  BOOST_TEST(FindFramework(std::string(1000, 'u')) == nullptr);
  BOOST_TEST(Frameworks().size() == 7u);
}

BOOST_AUTO_TEST_CASE(every_default_names_its_source) {
  for (const auto& p : Frameworks()) {
    BOOST_TEST(p.facts.size() >= 4u, p.name);
    bool has_loss = false, has_ckpt = false;
    for (const auto& f : p.facts) {
      BOOST_TEST(std::strlen(f.source) > 5, p.name << " " << f.setting);
      has_loss |= std::strcmp(f.setting, "cross_entropy") == 0;
      has_ckpt |= std::strcmp(f.setting, "gradient_checkpointing") == 0;
    }
    BOOST_TEST(has_loss, p.name);
    BOOST_TEST(has_ckpt, p.name);
  }
}

// The fitted "two kept inputs per bitsandbytes layer" term applies to
// bitsandbytes only: a torchao NF4 layer (torchtune) keeps no input, so QLoRA
// saves exactly what LoRA saves.
BOOST_AUTO_TEST_CASE(kept_inputs_only_for_bitsandbytes) {
  TrainSetup s;
  s.method = Method::kQlora;
  s.precision = Precision::kBf16Pure;
  s.batch_size_per_device = 2;
  s.seq_len = 2048;
  s.gradient_checkpointing = false;
  s.lora_dropout = 0;
  s.lora_target = LoraTarget::kAllLinear;
  MemoryEstimate bnb = EstimateMemory(Llama31_8B(), s);
  s.quant_backend = QuantBackend::kTorchao;
  MemoryEstimate torchao = EstimateMemory(Llama31_8B(), s);
  s.method = Method::kLora;
  s.weight_quant = WeightQuant::kNone;
  MemoryEstimate lora = EstimateMemory(Llama31_8B(), s);
  BOOST_TEST(torchao.activations_per_token_mb < bnb.activations_per_token_mb);
  BOOST_TEST(torchao.activations_per_token_mb == lora.activations_per_token_mb, boost::test_tools::tolerance(1e-9));
}

// Issue 16: torchtune Llama-3.1-8B QLoRA at batch 2 x 2048 was estimated to
// need more than LoRA (70.7 GB against 51 GB) because the torchtune defaults
// could not be expressed. With its profile QLoRA needs less than LoRA.
BOOST_AUTO_TEST_CASE(torchtune_qlora_needs_less_than_lora) {
  TrainSetup s;
  s.method = Method::kQlora;
  s.precision = Precision::kBf16Pure;
  s.batch_size_per_device = 2;
  s.seq_len = 2048;
  s.lora_r = 8;
  ApplyFramework(*FindFramework("torchtune"), &s);
  MemoryEstimate q = EstimateMemory(Llama31_8B(), s);
  s.method = Method::kLora;
  s.weight_quant = WeightQuant::kNone;
  MemoryEstimate l = EstimateMemory(Llama31_8B(), s);
  BOOST_TEST(q.peak_gb < l.peak_gb - 5);
  BOOST_TEST(q.peak_gb < 16);
}

BOOST_AUTO_TEST_CASE(optimizer_step_in_backward_frees_gradients) {
  TrainSetup s;
  s.method = Method::kFull;
  s.precision = Precision::kBf16Pure;
  s.optimizer = Optimizer::kPagedAdamW8bit;
  s.batch_size_per_device = 2;
  s.seq_len = 1024;
  s.gradient_checkpointing = true;
  MemoryEstimate stepped_after = EstimateMemory(Llama31_8B(), s);
  s.optimizer_in_backward = true;
  MemoryEstimate in_bwd = EstimateMemory(Llama31_8B(), s);
  // All 8B bf16 gradients (16 GB) never exist at once; the peak moves to the
  // loss in backward (about 12 GB lower here).
  BOOST_TEST(in_bwd.max_allocated_gb < stepped_after.max_allocated_gb - 10);
  BOOST_TEST(in_bwd.peak_phase == "backward");
  // With accumulation the gradients must persist: no saving.
  s.gradient_accumulation_steps = 4;
  s.optimizer_in_backward = true;
  MemoryEstimate accum = EstimateMemory(Llama31_8B(), s);
  s.optimizer_in_backward = false;
  BOOST_TEST(accum.max_allocated_gb == EstimateMemory(Llama31_8B(), s).max_allocated_gb);
}

// Done-when of issue 16: Colab free T4 + Llama-3.1-8B QLoRA gives different,
// documented plans under Unsloth and under the transformers Trainer.
BOOST_AUTO_TEST_CASE(colab_t4_unsloth_and_hf_trainer_differ) {
  TrainSetup hf = ColabQlora("hf-trainer");
  TrainSetup un = ColabQlora("unsloth");
  BOOST_TEST(un.gradient_checkpointing);
  BOOST_TEST(un.activation_offload);
  BOOST_TEST(!hf.gradient_checkpointing);
  MemoryEstimate mh = EstimateMemory(Llama31_8B(), hf);
  MemoryEstimate mu = EstimateMemory(Llama31_8B(), un);
  BOOST_TEST(mu.peak_gb < mh.peak_gb);
  BOOST_TEST(mu.breakdown.logits_gb < mh.breakdown.logits_gb);
  BOOST_TEST(mu.peak_gb < 14.5);   // fits a T4 (15 GB usable)
  BOOST_TEST(mh.peak_gb > 15.0);   // does not, without checkpointing
}

BOOST_AUTO_TEST_CASE(full_fine_tuning_profiles) {
  TrainSetup s;
  s.method = Method::kFull;
  s.precision = Precision::kBf16Mixed;
  ApplyFramework(*FindFramework("torchtune"), &s);
  BOOST_TEST((s.precision == Precision::kBf16Pure));
  BOOST_TEST(s.optimizer_in_backward);
  BOOST_TEST((s.optimizer == Optimizer::kPagedAdamW8bit));
  s = TrainSetup{};
  s.method = Method::kLora;
  ApplyFramework(*FindFramework("torchtune"), &s);
  BOOST_TEST(!s.optimizer_in_backward);
  BOOST_TEST(s.fused_optimizer);
  BOOST_TEST(!s.adapter_fp32);
}

BOOST_AUTO_TEST_SUITE_END()
