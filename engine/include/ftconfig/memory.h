// Memory and time model: peak VRAM per GPU with a breakdown by component, and
// training throughput. The method and the source of every constant are in
// docs/memory-model.md; validation against published measurements is in
// docs/memory-validation.md (scripts/validate-memory).
#ifndef FTCONFIG_MEMORY_H_
#define FTCONFIG_MEMORY_H_

#include <string>
#include <vector>

#include "ftconfig/catalog.h"

namespace ftconfig {

enum class Method { kFull, kLora, kQlora, kDora, kFreeze };
enum class Precision { kBf16Mixed, kFp16Mixed, kBf16Pure, kFp16Pure, kFp32 };
enum class WeightQuant { kNone, kNf4, kInt8 };
enum class Optimizer {
  kAdamW,          // torch AdamW (also fused / foreach variants); states in the parameter dtype
  kAdamW8bit,      // bitsandbytes 8-bit (also adamw_bnb_8bit, adamw_torch_8bit)
  kPagedAdamW8bit, // paged 8-bit: same bytes, spikes paged to CPU
  kPagedAdamW32bit,
  kAdafactor,
  kSgd,
};
enum class LoraTarget { kQV, kAttention, kAllLinear, kAllLinearPlusEmbed };
// Bits of TrainSetup::lora_module_mask (one per projection of a decoder layer).
constexpr unsigned kLoraQ = 1, kLoraK = 2, kLoraV = 4, kLoraO = 8, kLoraGate = 16, kLoraUp = 32, kLoraDown = 64;
constexpr unsigned kLoraAllLinear = 127;
enum class Sharding { kNone, kDdp, kZero1, kZero2, kZero3, kFsdp };
// How the loss is computed over the vocabulary (docs/memory-model.md, "Logits
// and loss"): kFp32Upcast = transformers >= 4.45 (logits.float() before
// cross-entropy), kNative = cross-entropy in the compute dtype (older
// transformers, custom loops), kChunked = chunked / fused cross-entropy (litgpt
// lm_head chunks, Liger, CCE): the full fp32 logits never exist.
// kFusedChunks: Unsloth's fused loss (unsloth_zoo fused_losses), which sizes
// its chunks to the GPU and keeps each chunk's fp32 logits and their gradient;
// only where the model computes the loss from labels (not TRL's preference
// trainers, which take the logits: ApplyTaskMemoryTerms).
enum class CrossEntropy { kFp32Upcast, kNative, kChunked, kFusedChunks };
// The trainer that runs the step. Each has a profile of defaults and memory
// techniques (ftconfig/frameworks.h, docs/memory-model.md "Frameworks");
// kUnspecified keeps the estimator's own defaults.
enum class Framework { kUnspecified, kHfTrainer, kUnsloth, kAxolotl, kLlamaFactory, kTorchtune, kLitgpt, kPytorch };
// Who runs the 4-bit / 8-bit layers. bitsandbytes' MatMul4Bit keeps its input
// for backward (the fitted "two kept inputs" term); torchao's NF4 linear
// (torchtune) keeps only the quantized weight, so a frozen layer saves no input.
enum class QuantBackend { kBitsandbytes, kTorchao };

const char* ToString(Method m);
const char* ToString(Precision p);
const char* ToString(WeightQuant q);
const char* ToString(Optimizer o);
const char* ToString(LoraTarget t);
const char* ToString(Sharding s);
const char* ToString(CrossEntropy c);
const char* ToString(QuantBackend b);
// Lenient parsers for the names used in corpora and measurement tables
// ("adamw_bnb_8bit", "paged_adamw_8bit", "mixed-bf16", "bf16", "all-linear",
// "q,v", "nf4", ...). Return false when the name is not recognized.
bool ParseMethod(const std::string& s, Method* out);
bool ParsePrecision(const std::string& s, Precision* out);
bool ParseWeightQuant(const std::string& s, WeightQuant* out);
bool ParseOptimizer(const std::string& s, Optimizer* out);
bool ParseLoraTarget(const std::string& s, LoraTarget* out);
// Module names ("q_proj,v_proj", "down,gate,up", "c_attn", "all-linear", a
// JSON-ish list) -> bit set of adapted projections; 0 when nothing is recognised.
unsigned ParseLoraModules(const std::string& s);
// "fp32" / "upcast", "native" / "bf16", "fused_chunks" / any "unsloth" spelling,
// "chunked" / "fused" / "liger" / "cce".
bool ParseCrossEntropy(const std::string& s, CrossEntropy* out);
// "ddp", "zero1".."zero3" / "1".."3", "fsdp", "none".
bool ParseSharding(const std::string& s, Sharding* out);

struct TrainSetup {
  Method method = Method::kLora;
  Precision precision = Precision::kBf16Mixed;
  WeightQuant weight_quant = WeightQuant::kNone;  // kNf4 implied by kQlora
  Optimizer optimizer = Optimizer::kAdamW;
  int batch_size_per_device = 1;
  int gradient_accumulation_steps = 1;
  int seq_len = 512;
  bool gradient_checkpointing = true;
  bool flash_attention = false;  // FA2 or memory-efficient SDPA
  bool packing = false;
  bool attention_padding_mask = true;  // padded batches reach SDPA with a mask (transformers' attention)
  bool softcap_in_loss = false;        // a final logit soft-cap applied inside the fused loss (Unsloth)
  int lora_r = 16;
  LoraTarget lora_target = LoraTarget::kAllLinear;
  int num_gpus = 1;
  Sharding sharding = Sharding::kNone;  // kNone with num_gpus>1 means DDP
  bool cpu_offload = false;             // optimizer (and for ZeRO-3 params) offload
  int eval_batch_size = 0;              // 0: same as batch_size_per_device
  // --- Added by the memory model (defaults are the common, conservative case).
  double lora_dropout = 0.05;       // >0: PEFT keeps a dropout copy + mask of each adapted input
  // Adapted modules as a bit set (kLoraQ | kLoraV ...); 0 = derive from lora_target.
  // Lets "down,gate,up" or "q,k,v" be described exactly.
  unsigned lora_module_mask = 0;
  bool adapter_fp32 = true;         // PEFT autocast_adapter_dtype: adapters in fp32 under a 16-bit base
  bool fp32_base_weights = false;   // mixed precision with the whole model in fp32 (litgpt bf16-mixed)
  bool nf4_double_quant = false;    // bnb_4bit_use_double_quant (transformers default: false)
  bool quantize_lm_head = false;    // 4/8-bit output head too (litgpt/Fabric quantize every Linear)
  bool fused_optimizer = false;     // fused AdamW: no full-size temporary at the step
  bool activation_offload = false;  // checkpointed activations kept in CPU RAM (Unsloth "unsloth" GC)
  CrossEntropy cross_entropy = CrossEntropy::kFp32Upcast;
  // The modelling code copies the shifted logits before the loss
  // (logits[..., :-1, :].contiguous()): transformers < 4.46 models and remote
  // code such as Qwen(1). transformers >= 4.46 (ForCausalLMLoss) shifts the
  // labels instead. Only changes the allocator slack of the fp32-upcast loss.
  bool logits_shift_copy = false;
  // > 0: a sequence-classification head with this many outputs
  // (AutoModelForSequenceClassification, as the classification and reward
  // exports load the model) instead of the LM head over the vocabulary.
  int num_labels = 0;
  int eval_seq_len = 0;             // 0: same as seq_len
  int eval_max_new_tokens = 0;      // >0: evaluation generates (KV cache) instead of one forward
  int avg_seq_len = 0;              // mean tokens per sequence for the time model (0: seq_len;
                                    // memory always uses seq_len, the longest batch)
  // --- Task-level terms (set by the recommender from the task type).
  // Preference training (DPO, ORPO, reward models) runs chosen and rejected
  // sequences of each example through the model together (TRL concatenates
  // them): 2 sequences per example multiply activations and logits.
  int sequences_per_example = 1;
  // --- Trainer techniques (set from a framework profile by ApplyFramework).
  Framework framework = Framework::kUnspecified;  // informational: which profile set the fields below
  QuantBackend quant_backend = QuantBackend::kBitsandbytes;
  // Unsloth's fused LoRA autograd functions (LoRA_QKV, LoRA_MLP, LoRA_W) keep
  // one input per block and do their own dequantization: no bitsandbytes
  // kept inputs, and a frozen layer keeps nothing of its own.
  bool fused_lora_kernels = false;
  // MoE experts stored as 3-D parameters (ModelArch::experts_linear false)
  // are quantized with the rest under 4-bit: only a framework whose own
  // 4-bit checkpoint holds them quantized (Unsloth's gpt-oss) sets it.
  bool quantize_fused_experts = false;
  // Optimizer step inside backward (torchtune optimizer_in_bwd): each
  // parameter is updated and its gradient freed as soon as it is produced.
  bool optimizer_in_backward = false;
  // DPO with full fine-tuning keeps a frozen reference copy of the model in
  // the compute dtype (with adapters, the reference is the base with the
  // adapter disabled: no copy).
  bool reference_model = false;
};

// Bytes are reported in decimal GB (1e9), the unit of most published tables.
struct MemoryBreakdown {
  double weights_gb = 0;      // base model weights resident on this GPU
  double adapters_gb = 0;     // LoRA/DoRA parameters (trainable copy)
  double gradients_gb = 0;
  double optimizer_gb = 0;    // optimizer states (+ fp32 master weights)
  double activations_gb = 0;  // saved activations for backward
  double logits_gb = 0;       // logits + loss (fp32 upcast) peak
  double overhead_gb = 0;     // CUDA context, allocator fragmentation, workspace
  double total_gb() const {
    return weights_gb + adapters_gb + gradients_gb + optimizer_gb + activations_gb + logits_gb +
           overhead_gb;
  }
};

struct MemoryEstimate {
  MemoryBreakdown breakdown;
  double peak_gb = 0;             // training-step peak per GPU as NVML sees it (= breakdown.total_gb(),
                                  // includes cuda_context_gb); compare reserved_gb with a
                                  // catalog usable_vram_gb, which already excludes the context
  double max_allocated_gb = 0;    // what torch.cuda.max_memory_allocated would report
  double reserved_gb = 0;         // what max_memory_reserved would report
  double eval_peak_gb = 0;        // peak during evaluation at eval_batch_size
  double merge_peak_gb = 0;       // peak when merging the adapter into base weights
  double trainable_params_b = 0;  // billions
  std::vector<std::string> notes; // assumptions made (e.g. "assumed SDPA")
  // --- Added by the memory model.
  std::string peak_phase;          // "backward" (activations + logits) or "optimizer_step"
  double cuda_context_gb = 0;      // part of overhead_gb: CUDA context (NVML sees it, torch does not)
  double fragmentation_gb = 0;     // part of overhead_gb: reserved - allocated
  double activations_per_token_mb = 0;  // saved activations per token (all layers), MB
  // Per token, for one decoder layer in the autograd graph (what it saves for
  // backward) and, under checkpointing, the checkpoint it keeps: the terms the
  // CPU harness tests/py/check_activations.py compares with autograd.
  double layer_activation_bytes_per_token = 0;
  double checkpoint_bytes_per_token = 0;
};

// Peak memory per GPU for one training step. Never fails: unknown pieces fall
// back to documented defaults noted in `notes`.
MemoryEstimate EstimateMemory(const ModelArch& arch, const TrainSetup& setup);

struct ThroughputEstimate {
  double tokens_per_sec = 0;      // all GPUs together
  double flops_per_token = 0;     // training FLOPs per token (fwd+bwd[+recompute])
  double efficiency = 0;          // achieved / peak, the calibrated factor used
  double peak_tflops_used = 0;    // the GPU peak for the precision in use
  // --- Added by the time model.
  double step_overhead_s = 0;     // fixed per-micro-batch time (kernel launches, Python)
  double dequant_s = 0;           // per micro-batch: re-materialising quantized weights
  double optimizer_s = 0;         // per micro-batch share of the optimizer step
  double seconds_per_microbatch = 0;
  std::vector<std::string> notes;
};

ThroughputEstimate EstimateThroughput(const ModelArch& arch, const TrainSetup& setup,
                                      const Gpu& gpu);

// The sequence-classification head a task's exports load
// (TrainSetup::num_labels): 2 classes for classification, 1 score for reward
// modeling, 0 (the LM head over the vocabulary) for every other task.
int SequenceClassificationLabels(const std::string& task_type);
// What a task adds to a training step, written into `setup` (after its method
// is set): two sequences per example for pairwise data (DPO, ORPO, reward
// modeling: chosen and rejected), a frozen reference model when DPO or KTO
// fine-tunes the whole model (TRL's trainers; adapters use the base model with
// the adapter disabled), and the sequence-classification head; preference tasks
// hold whole logits even under Unsloth (no fused loss without labels). Call it
// after ApplyFramework. The recommender and the companion's training labels
// both call it.
void ApplyTaskMemoryTerms(const std::string& task_type, TrainSetup* setup);
// 2 for pairwise data (chosen and rejected: DPO, ORPO, reward modeling), else 1.
int SequencesPerExample(const std::string& task_type);

// The decoder layer's shape beyond Llama's (two RMSNorms, separate q/k/v,
// gated MLP), for the activation terms: "qwen3" (RMSNorm on each head of q
// and k), "gemma2" (four norms, tanh soft-capped eager scores), "gemma3" (four
// norms and q/k norms), "olmo" (LayerNorm without weights), "phi3" (fused
// qkv_proj and gate_up_proj); LayerNorm layers with a non-gated MLP: "gpt2"
// (fused c_attn, Python tanh GELU), "gpt_neox" (Pythia: fused qkv, parallel
// residual, partial rotary), "falcon" (Falcon-7B: one LayerNorm, parallel,
// multi-query), "phi" (Phi-1/1.5/2: one LayerNorm, parallel, tanh GELU),
// "opt" (ReLU), "starcoder2"; encoders with their dropout kept on:
// "bert" (BERT, RoBERTa), "distilbert", "deberta" (DeBERTa-v2/v3:
// disentangled relative-position attention); "t5" (T5, Flan-T5, mT5: the
// Llama-shaped layer with eager attention); "" otherwise.
// From a catalog model's id (docs/memory-model.md, "Activations").
std::string LayerTypeOf(const std::string& model_id);
// The accepted ModelArch::layer_type values besides "" (the Llama shape).
inline constexpr const char* kLayerTypes[] = {"qwen3", "gemma2", "gemma3",   "olmo", "phi3", "gpt_oss",
                                              "gpt2",  "gpt_neox", "falcon", "falcon_new", "phi",  "opt", "starcoder2",
                                              "bert",  "distilbert", "deberta", "t5"};
// The attn_implementation a recommendation asks transformers for: eager for
// layers without an SDPA path (DeBERTa, T5), sdpa where FlashAttention 2 is
// missing (on the GPU, or in the pinned transformers for BERT / RoBERTa),
// flash_attention_2 otherwise.
std::string AttentionImplementation(const std::string& layer_type, bool gpu_has_flash_attention2);
// Whether layer_type is "" or one of kLayerTypes.
bool IsLayerType(const std::string& layer_type);

// A typical decoder architecture for a parameter count (used when only
// `params_b` is known): layer count, hidden and vocabulary from the scaling of
// common open models. The result's params_b equals the input.
ModelArch TypicalArchForParams(double params_b);

// Parameters (billions) counted from the architecture's shape, ignoring
// arch.params_b (typical shapes where hidden_size or num_layers is missing).
double ParamsFromShapeB(const ModelArch& arch);

}  // namespace ftconfig

#endif  // FTCONFIG_MEMORY_H_
