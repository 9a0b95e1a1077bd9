// Trainer profiles: the defaults and memory techniques of the trainers people
// fine-tune with (transformers Trainer / TRL + PEFT, Unsloth, axolotl,
// LLaMA-Factory, torchtune, litgpt, plain PyTorch / DeepSpeed). One table
// (engine/src/frameworks.cpp); every default names the file and version it was
// read from. docs/memory-model.md, "Frameworks", has a section per profile.
#ifndef FTCONFIG_FRAMEWORKS_H_
#define FTCONFIG_FRAMEWORKS_H_

#include <string>
#include <vector>

#include "ftconfig/memory.h"

namespace ftconfig {

// One default and where it comes from.
struct FrameworkFact {
  const char* setting;  // "gradient_checkpointing"
  const char* value;    // "true (offloaded: use_gradient_checkpointing=\"unsloth\")"
  const char* source;   // "unslothai/unsloth unsloth/models/llama.py get_peft_model, 2024.12"
};

struct FrameworkProfile {
  Framework id = Framework::kUnspecified;
  const char* name = "";   // the input value: "unsloth"
  const char* label = "";  // for people: "Unsloth"
  std::vector<const char*> aliases;  // other spellings FindFramework accepts
  // --- Defaults ApplyFramework writes into a TrainSetup.
  CrossEntropy cross_entropy = CrossEntropy::kFp32Upcast;
  bool gradient_checkpointing = false;
  bool activation_offload = false;      // checkpoints kept in CPU RAM
  bool optimizer_in_backward = false;   // full fine-tuning only
  QuantBackend quant_backend = QuantBackend::kBitsandbytes;
  bool nf4_double_quant = false;
  bool fused_lora_kernels = false;
  bool quantizes_fused_experts = false;  // its 4-bit checkpoints hold MoE experts that are 3-D parameters elsewhere
  bool adapter_fp32 = true;
  double lora_dropout = 0.05;
  bool flash_attention = true;          // SDPA / FA2 rather than eager
  bool quantize_lm_head = false;
  bool pure_16bit_full = false;         // full fine-tuning without fp32 master weights
  bool compile = false;                 // recorded; not a memory term
  bool packing = false;                 // recorded; memory uses the longest batch either way
  // transformers' attention hands SDPA an additive padding mask for padded
  // batches, which the kernel keeps for backward; trainers with their own
  // attention path (or FA2's unpadded one) pass none.
  bool attention_padding_mask = true;
  // The fused loss applies a final logit soft-cap (Gemma 2) inside its kernel:
  // the tanh output is never kept.
  bool softcap_in_loss = false;
  // Optimizer when the input names none: for adapters, and for full fine-tuning.
  Optimizer adapter_optimizer = Optimizer::kAdamW;
  Optimizer full_optimizer = Optimizer::kAdamW;
  bool fused_optimizer = false;
  std::vector<FrameworkFact> facts;     // every default above, with its source
};

// All profiles, in the order of the documentation.
const std::vector<FrameworkProfile>& Frameworks();
// By name or alias, case- and punctuation-insensitive ("hf-trainer", "trl",
// "transformers", "Unsloth", "llama_factory", "deepspeed"); nullptr when unknown.
const FrameworkProfile* FindFramework(const std::string& name);
const FrameworkProfile& FrameworkFor(Framework id);
// "hf-trainer, unsloth, axolotl, llama-factory, torchtune, litgpt, pytorch".
std::string FrameworkNames();

// Writes the profile's defaults into `setup`. Call after setup->method and
// setup->precision are set (the optimizer and full-fine-tuning precision
// depend on the method); fields the user gave explicitly are set afterwards
// and win. For the recommender: ApplyFramework(*FindFramework(name), &setup)
// before EstimateMemory / EstimateThroughput.
void ApplyFramework(const FrameworkProfile& profile, TrainSetup* setup);

}  // namespace ftconfig

#endif  // FTCONFIG_FRAMEWORKS_H_
