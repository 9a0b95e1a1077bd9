// The trainer profiles (ftconfig/frameworks.h). Each default names the file
// and the version it was read from; docs/memory-model.md ("Frameworks")
// explains what each technique does to memory.
#include "ftconfig/frameworks.h"

#include <cctype>

namespace ftconfig {
namespace {

FrameworkProfile HfTrainer() {
  FrameworkProfile p;
  p.id = Framework::kHfTrainer;
  p.name = "hf-trainer";
  p.label = "transformers Trainer / TRL + PEFT + bitsandbytes";
  p.aliases = {"hf", "huggingface", "transformers", "trainer", "trl", "peft", "sfttrainer"};
  p.facts = {
      {"cross_entropy", "fp32 upcast", "transformers loss/loss_utils.py ForCausalLMLoss (logits.float()), 4.46+"},
      {"gradient_checkpointing", "false", "transformers training_args.py TrainingArguments.gradient_checkpointing, 4.x"},
      {"flash_attention", "true (SDPA)", "transformers modeling_utils.py: attn_implementation defaults to sdpa, 4.36+"},
      {"adapter_dtype", "fp32", "peft mapping.py get_peft_model(autocast_adapter_dtype=True), 0.12+"},
      {"lora_dropout", "0.05", "trl trainer/model_config.py ModelConfig.lora_dropout, 0.12+ (PEFT's own default is 0.0)"},
      {"4-bit backend", "bitsandbytes, double quant off",
       "transformers utils/quantization_config.py BitsAndBytesConfig.bnb_4bit_use_double_quant=False, 4.x"},
      {"optimizer", "adamw_torch (foreach)", "transformers training_args.py TrainingArguments.optim, 4.x"},
      {"packing", "false", "trl trainer/sft_config.py SFTConfig.packing, 0.12+"},
      {"padding mask", "kept by SDPA for padded batches of more than one sequence",
       "transformers modeling_attn_mask_utils.py / masking_utils.py: the 4-D mask passed to sdpa_attention_forward, 4.x"},
  };
  return p;
}

FrameworkProfile Unsloth() {
  FrameworkProfile p;
  p.id = Framework::kUnsloth;
  p.name = "unsloth";
  p.label = "Unsloth";
  p.aliases = {"unslothai", "unsloth-zoo"};
  p.cross_entropy = CrossEntropy::kFusedChunks;
  p.gradient_checkpointing = true;
  p.activation_offload = true;
  p.nf4_double_quant = true;
  p.fused_lora_kernels = true;
  p.quantizes_fused_experts = true;
  p.lora_dropout = 0.0;
  p.adapter_optimizer = Optimizer::kAdamW8bit;
  p.full_optimizer = Optimizer::kAdamW8bit;
  p.attention_padding_mask = false;
  p.softcap_in_loss = true;
  p.facts = {
      {"gradient_checkpointing", "true, offloaded (use_gradient_checkpointing=\"unsloth\": layer inputs kept in CPU RAM)",
       "unslothai/unsloth unsloth/models/llama.py FastLlamaModel.get_peft_model default and README.md example, 2024.8+"},
      {"cross_entropy", "fused chunks: each chunk's fp32 logits and their gradient (8 B per logit), a chunk's fp32 logits "
                        "at most min(half the free VRAM, 4 GiB)",
       "unslothai/unsloth unsloth/models/llama.py CausalLM_fast_forward (unsloth_fused_ce_loss) and unslothai/unsloth-zoo "
       "unsloth_zoo/fused_losses/cross_entropy_loss.py _get_chunk_multiplier, 2026-08"},
      {"LoRA kernels", "fused autograd (LoRA_QKV, LoRA_MLP, LoRA_W): one kept input per block, own dequantization",
       "unslothai/unsloth unsloth/kernels/fast_lora.py, 2024.x"},
      {"lora_dropout", "0", "unslothai/unsloth unsloth/models/llama.py get_peft_model(lora_dropout=0), 2024.x"},
      {"4-bit backend", "bitsandbytes NF4, double quant on",
       "unsloth/*-bnb-4bit checkpoints' quantization_config (bnb_4bit_use_double_quant: true)"},
      {"MoE experts under load_in_4bit", "NF4 too: gpt-oss loads Unsloth's own checkpoint, whose experts are quantized",
       "unslothai/unsloth .github/scripts/kaggle_t4_ci/legs.py \"gptoss\" leg (FLOAT_TO_INT_MAPPER redirects "
       "unsloth/gpt-oss-20b to unsloth/gpt-oss-20b-unsloth-bnb-4bit; 12.78 GB peak on a T4 at 1024 tokens), 2026-08"},
      {"optimizer", "adamw_8bit", "Unsloth Colab notebooks: TrainingArguments(optim=\"adamw_8bit\")"},
      {"adapter_dtype", "fp32 (assumed: PEFT's default, not verified in Unsloth's code)",
       "peft mapping.py get_peft_model(autocast_adapter_dtype=True), 0.12+"},
      {"flash_attention", "true (FA2 / xformers / SDPA)", "unslothai/unsloth unsloth/models/llama.py attention paths"},
      {"padding mask", "none kept (Unsloth's own attention forward: causal FA2 / xformers / SDPA)",
       "unslothai/unsloth unsloth/models/llama.py LlamaAttention_fast_forward, 2024.x"},
      {"logit soft-cap", "inside the fused loss (Gemma 2's final_logit_softcapping): no tanh output kept",
       "unslothai/unsloth unsloth/kernels/cross_entropy_loss.py fast_cross_entropy_loss(logit_softcapping), 2024.x"},
  };
  return p;
}

FrameworkProfile Axolotl() {
  FrameworkProfile p;
  p.id = Framework::kAxolotl;
  p.name = "axolotl";
  p.label = "axolotl";
  p.aliases = {"openaccess-ai-collective", "axolotl-ai-cloud"};
  p.gradient_checkpointing = true;
  p.nf4_double_quant = true;
  p.packing = true;
  p.attention_padding_mask = false;
  p.facts = {
      {"gradient_checkpointing", "true", "axolotl examples/llama-3/lora-8b.yml and qlora.yml (schema default false), 0.5+"},
      {"flash_attention", "true", "axolotl examples/llama-3/*.yml flash_attention: true, 0.5+"},
      {"packing", "true (sample_packing)", "axolotl examples/llama-3/*.yml sample_packing: true, 0.5+"},
      {"lora_dropout", "0.05", "axolotl examples/llama-3/lora-8b.yml lora_dropout: 0.05, 0.5+"},
      {"cross_entropy", "fp32 upcast (HF) unless the cut_cross_entropy or liger plugins are enabled",
       "axolotl src/axolotl/integrations/{cut_cross_entropy,liger}, 0.6+"},
      {"4-bit backend", "bitsandbytes NF4, double quant on",
       "axolotl src/axolotl/utils/models.py BitsAndBytesConfig(bnb_4bit_use_double_quant=True), 0.5+"},
      {"adapter_dtype", "fp32", "peft mapping.py get_peft_model(autocast_adapter_dtype=True), 0.12+"},
      {"optimizer", "adamw_torch (transformers default when the YAML sets none)",
       "transformers training_args.py TrainingArguments.optim, 4.x"},
      {"padding mask", "none kept (sample_packing and flash_attention: varlen FA2 by position ids)",
       "axolotl examples/llama-3/*.yml sample_packing / flash_attention, 0.5+"},
  };
  return p;
}

FrameworkProfile LlamaFactory() {
  FrameworkProfile p;
  p.id = Framework::kLlamaFactory;
  p.name = "llama-factory";
  p.label = "LLaMA-Factory";
  p.aliases = {"llamafactory", "hiyouga", "llama-board"};
  p.gradient_checkpointing = true;
  p.nf4_double_quant = true;
  p.lora_dropout = 0.0;
  p.facts = {
      {"gradient_checkpointing", "true (disable_gradient_checkpointing: false)",
       "hiyouga/LLaMA-Factory src/llamafactory/hparams/model_args.py, 0.9"},
      {"lora_dropout", "0.0", "hiyouga/LLaMA-Factory src/llamafactory/hparams/finetuning_args.py LoraArguments, 0.9"},
      {"4-bit backend", "bitsandbytes NF4, double quant on (double_quantization: true)",
       "hiyouga/LLaMA-Factory src/llamafactory/hparams/model_args.py, 0.9"},
      {"adapter_dtype", "fp32 (trainable parameters upcast)",
       "hiyouga/LLaMA-Factory src/llamafactory/model/adapter.py cast_trainable_params_to_fp32, 0.9"},
      {"flash_attention", "true (flash_attn: auto -> SDPA)", "hiyouga/LLaMA-Factory src/llamafactory/hparams/model_args.py, 0.9"},
      {"cross_entropy", "fp32 upcast (HF) unless enable_liger_kernel",
       "hiyouga/LLaMA-Factory src/llamafactory/hparams/model_args.py enable_liger_kernel: false, 0.9"},
      {"optimizer", "adamw_torch", "transformers training_args.py TrainingArguments.optim, 4.x"},
  };
  return p;
}

FrameworkProfile Torchtune() {
  FrameworkProfile p;
  p.id = Framework::kTorchtune;
  p.name = "torchtune";
  p.label = "torchtune";
  p.aliases = {"pytorch/torchtune", "tune"};
  p.cross_entropy = CrossEntropy::kChunked;
  p.gradient_checkpointing = true;
  p.optimizer_in_backward = true;
  p.quant_backend = QuantBackend::kTorchao;
  p.nf4_double_quant = true;
  p.adapter_fp32 = false;
  p.lora_dropout = 0.0;
  p.pure_16bit_full = true;
  p.fused_optimizer = true;
  p.full_optimizer = Optimizer::kPagedAdamW8bit;
  p.attention_padding_mask = false;
  p.facts = {
      {"cross_entropy", "chunked (CEWithChunkedOutputLoss; LinearCrossEntropyLoss in full configs)",
       "pytorch/torchtune recipes/configs/llama3_1/8B_qlora_single_device.yaml @0b3e04a, "
       "8B_full_single_device.yaml @02d7035"},
      {"gradient_checkpointing", "true (enable_activation_checkpointing); activation offloading false",
       "pytorch/torchtune recipes/configs/llama3_1/8B_qlora_single_device.yaml @0b3e04a"},
      {"4-bit backend", "torchao NF4 (block 64, scalers quantized per 256): no kept inputs in frozen layers",
       "pytorch/torchtune torchtune/models/llama3_1 qlora_llama3_1_8b -> torchao.dtypes.nf4tensor linear_nf4"},
      {"adapter_dtype", "bf16 (the model dtype: dtype: bf16)",
       "pytorch/torchtune recipes/configs/llama3_1/8B_qlora_single_device.yaml @0b3e04a"},
      {"lora_dropout", "0.0", "pytorch/torchtune recipes/configs/llama3_1/8B_qlora_single_device.yaml @0b3e04a"},
      {"optimizer", "LoRA: torch.optim.AdamW fused=True; full: bitsandbytes PagedAdamW8bit with optimizer_in_bwd: True",
       "pytorch/torchtune recipes/configs/llama3_1/8B_qlora_single_device.yaml @0b3e04a, "
       "8B_full_single_device.yaml @02d7035"},
      {"precision", "pure bf16 for full fine-tuning (no fp32 master weights)",
       "pytorch/torchtune recipes/configs/llama3_1/8B_full_single_device.yaml @02d7035 dtype: bf16"},
      {"compile", "false (\"set it to True for better memory and performance\")",
       "pytorch/torchtune recipes/configs/llama3_1/8B_qlora_single_device.yaml @0b3e04a"},
      {"flash_attention", "true (SDPA)", "pytorch/torchtune torchtune/modules/attention.py"},
      {"padding mask", "none kept (causal SDPA; padded tokens are masked in the loss only)",
       "pytorch/torchtune torchtune/modules/attention.py MultiHeadAttention, mask None without packing"},
  };
  return p;
}

FrameworkProfile Litgpt() {
  FrameworkProfile p;
  p.id = Framework::kLitgpt;
  p.name = "litgpt";
  p.label = "LitGPT";
  p.aliases = {"lit-gpt", "lightning", "lightning-ai/litgpt", "fabric"};
  p.cross_entropy = CrossEntropy::kChunked;
  p.adapter_fp32 = false;
  p.quantize_lm_head = true;
  p.attention_padding_mask = false;
  p.facts = {
      {"cross_entropy", "chunked (lm_head_chunk_size=128, chunked_cross_entropy)",
       "Lightning-AI/litgpt litgpt/finetune/lora.py and litgpt/utils.py, 0.4"},
      {"adapter_dtype", "the model dtype (precision bf16-true)", "Lightning-AI/litgpt litgpt/finetune/lora.py, 0.4"},
      {"lora_dropout", "0.05", "Lightning-AI/litgpt config_hub/finetune/*/lora.yaml, 0.4"},
      {"quantize_lm_head", "true (Fabric's bitsandbytes plugin replaces every Linear)",
       "lightning fabric/plugins/precision/bitsandbytes.py, 2.2+"},
      {"gradient_checkpointing", "false (not offered by finetune/lora.py)", "Lightning-AI/litgpt litgpt/finetune/lora.py, 0.4"},
      {"flash_attention", "true (torch SDPA)", "Lightning-AI/litgpt litgpt/model.py scaled_dot_product_attention, 0.4"},
      {"padding mask", "none kept (causal SDPA; padding masked in the loss only)",
       "Lightning-AI/litgpt litgpt/model.py CausalSelfAttention, mask None in training, 0.4"},
  };
  return p;
}

FrameworkProfile Pytorch() {
  FrameworkProfile p;
  p.id = Framework::kPytorch;
  p.name = "pytorch";
  p.label = "plain PyTorch / DeepSpeed loop";
  p.aliases = {"torch", "deepspeed", "custom", "accelerate"};
  p.cross_entropy = CrossEntropy::kNative;
  p.attention_padding_mask = false;
  p.facts = {
      {"cross_entropy", "native (F.cross_entropy on the compute-dtype logits)", "torch.nn.functional.cross_entropy"},
      {"gradient_checkpointing", "false (torch.utils.checkpoint only when called)", "torch 2.x"},
      {"flash_attention", "true (F.scaled_dot_product_attention)", "torch 2.x"},
      {"adapter_dtype", "fp32 (PEFT default when PEFT builds the adapters)",
       "peft mapping.py get_peft_model(autocast_adapter_dtype=True), 0.12+"},
      {"padding mask", "none kept (assumed: a causal F.scaled_dot_product_attention)", "torch 2.x"},
  };
  return p;
}

std::string Key(const std::string& s) {
  std::string k;
  for (char ch : s) {
    unsigned char u = static_cast<unsigned char>(ch);
    if (std::isalnum(u)) k.push_back(static_cast<char>(std::tolower(u)));
  }
  return k;
}

bool IsFull(Method m) { return m == Method::kFull || m == Method::kFreeze; }

}  // namespace

const std::vector<FrameworkProfile>& Frameworks() {
  static const std::vector<FrameworkProfile> kAll = {HfTrainer(), Unsloth(), Axolotl(), LlamaFactory(),
                                                     Torchtune(), Litgpt(),  Pytorch()};
  return kAll;
}

const FrameworkProfile* FindFramework(const std::string& name) {
  if (name.size() > 64) return nullptr;
  const std::string k = Key(name);
  if (k.empty()) return nullptr;
  for (const auto& p : Frameworks()) {
    if (Key(p.name) == k) return &p;
    for (const char* a : p.aliases)
      if (Key(a) == k) return &p;
  }
  return nullptr;
}

const FrameworkProfile& FrameworkFor(Framework id) {
  for (const auto& p : Frameworks())
    if (p.id == id) return p;
  return Frameworks().front();
}

std::string FrameworkNames() {
  std::string out;
  for (const auto& p : Frameworks()) out += (out.empty() ? "" : ", ") + std::string(p.name);
  return out;
}

void ApplyFramework(const FrameworkProfile& p, TrainSetup* st) {
  const bool full = IsFull(st->method);
  st->framework = p.id;
  st->cross_entropy = p.cross_entropy;
  st->gradient_checkpointing = p.gradient_checkpointing;
  st->activation_offload = p.activation_offload && p.gradient_checkpointing;
  st->optimizer_in_backward = p.optimizer_in_backward && full;
  st->quant_backend = p.quant_backend;
  st->nf4_double_quant = p.nf4_double_quant;
  st->fused_lora_kernels = p.fused_lora_kernels && !full;
  st->quantize_fused_experts = p.quantizes_fused_experts;
  st->adapter_fp32 = p.adapter_fp32;
  st->lora_dropout = p.lora_dropout;
  st->flash_attention = p.flash_attention;
  st->quantize_lm_head = p.quantize_lm_head;
  st->packing = p.packing;
  st->attention_padding_mask = p.attention_padding_mask;
  st->softcap_in_loss = p.softcap_in_loss;
  st->optimizer = full ? p.full_optimizer : p.adapter_optimizer;
  st->fused_optimizer = p.fused_optimizer && st->optimizer == Optimizer::kAdamW;
  if (full && p.pure_16bit_full) {
    if (st->precision == Precision::kBf16Mixed) st->precision = Precision::kBf16Pure;
    if (st->precision == Precision::kFp16Mixed) st->precision = Precision::kFp16Pure;
    st->fp32_base_weights = false;
  }
}

}  // namespace ftconfig
