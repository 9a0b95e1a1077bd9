// Memory model: peak VRAM per GPU from first principles (tensor by tensor),
// with the allocator and CUDA-context overheads modelled separately so each
// measured quantity (max allocated, reserved, NVML used) can be compared.
// docs/memory-model.md explains every term and names the source of every
// constant; docs/memory-validation.md holds the error table.
#include "ftconfig/memory.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace ftconfig {
namespace {

constexpr double kGB = 1e9;  // decimal GB, the unit of the measurement tables

// ---------------------------------------------------------------------------
// Constants. Each names its source; docs/memory-model.md has the derivations.
// ---------------------------------------------------------------------------

// bitsandbytes NF4: 4-bit codes (0.5 B/param) + one fp32 absmax per block of 64
// weights (bitsandbytes functional.quantize_4bit, blocksize=64 default for
// Linear4bit). With double quantization (QLoRA paper §3, "Double
// Quantization") the absmax values become 8-bit with one fp32 constant per 256
// blocks: 8/64 + 32/(64*256) bits per weight.
constexpr double kNf4BlockSize = 64;
constexpr double kNf4DoubleQuantBlocks = 256;
constexpr double kNf4BytesPerParam = 0.5 + 4.0 / kNf4BlockSize;  // 0.5625
constexpr double kNf4DqBytesPerParam = 0.5 + 1.0 / kNf4BlockSize + 4.0 / (kNf4BlockSize * kNf4DoubleQuantBlocks);
// LLM.int8 (bitsandbytes Linear8bitLt): int8 weight + one fp32 scale per row.
constexpr double kInt8BytesPerParam = 1.0;
// bitsandbytes 8-bit optimizers: two uint8 states + fp32 absmax per block of
// 2048 (bitsandbytes optim, blockwise=True): 2 + 8/2048 B per parameter.
constexpr double kAdam8bitBytesPerParam = 2.0 + 8.0 / 2048.0;
// Adafactor (transformers.optimization.Adafactor, beta1=None default): row and
// column second-moment factors in fp32; the update materialises the gradient,
// the update and an fp32 copy of the parameter (3 x 4 B) for one tensor at a time.
constexpr double kAdafactorTempBytes = 12.0;
// bitsandbytes 4-bit (and 8-bit) linears during training: input-sized tensors
// kept per token per quantized layer until backward. One is the input that
// MatMul4Bit stores on ctx (bitsandbytes autograd/_functions.py,
// ctx.tensors = (A, B)). The second is measured, not traced: litgpt's config-hub
// table runs LoRA and QLoRA with identical configs (tiny-llama b8, phi-2 b4,
// llama-2-7b b2, all at 512 tokens); once the weight savings are taken out,
// the QLoRA runs hold 2.0x, 2.0x and 2.2x the inputs of their quantized layers
// more than the LoRA runs. Fitted constant; docs/memory-model.md.
constexpr double kQuantKeptInputs = 2.0;
// PEFT LoRA dropout (nn.Dropout per adapted module): the dropped copy of the
// input (compute dtype) and its bool mask (1 B) are saved for backward.
constexpr double kDropoutMaskBytes = 1.0;
// DoRA (PEFT tuners/lora/dora.py DoraLinearLayer.forward, result =
// (m/||W'|| - 1) * base + m/||W'|| * lora * scaling): the two products keep the
// base output and the LoRA output, 2 tensors of out_features per token per
// adapted module (check_activations.py, every family, PEFT 0.21; was 3).
constexpr double kDoraSavedTensors = 2.0;
// Cross-entropy peak per logit (bytes), at the start of the backward pass:
//  fp32 upcast (transformers >= 4.45 ForCausalLMLoss: logits.float()): saved
//   log-softmax (4) + nll grad (4) + log-softmax grad (4) = 12;
//  native: the same three tensors in the compute dtype + the shifted copy of
//   the logits (transformers < 4.45 models: logits[..., :-1, :].contiguous());
//  chunked (litgpt lm_head_chunk_size=128, Liger, CCE): logits + saved
//   log-softmax in the compute dtype; per-chunk temporaries are negligible.
constexpr double kLossFp32UpcastBytes = 12.0;
constexpr double kLossNativeTensors = 4.0;
constexpr double kLossChunkedTensors = 2.0;
// Unsloth's fused loss (unslothai/unsloth-zoo unsloth_zoo/fused_losses/
// cross_entropy_loss.py, 2026-08): the logits are computed one chunk at a time
// inside torch.func.grad_and_value, which holds the chunk's fp32 logits and
// their fp32 gradient (8 B per logit). get_chunk_size: one chunk when the
// whole fp32 logits fit the target, min(half the free VRAM, 4 GiB), else the
// number of chunks that fits it rounded up to a multiple of 4. The 4 GiB target
// gives the largest chunk (where half the free memory is smaller, the chunks
// are smaller and the estimate high).
constexpr double kLossFusedChunkBytes = 8.0;
constexpr double kLossFusedChunkTargetBytes = 4.0 * 1024 * 1024 * 1024;
// Evaluation forward with the fp32 loss: bf16 logits + fp32 copy + fp32 log-softmax.
constexpr double kEvalLossBytes = 10.0;
// RMSNorm / LayerNorm in transformers and litgpt upcast their input to fp32 and
// the upcast copy is what autograd saves (LlamaRMSNorm.forward).
constexpr double kNormSavedBytes = 4.0;
// ... and the per-token fp32 statistic (RMSNorm's rsqrt of the mean square;
// measured by tests/py/check_activations.py).
constexpr double kNormStatBytes = 4.0;
// FlashAttention / SDPA keep only Q, K, V, the output and a per-head fp32
// logsumexp (Dao et al. 2022, §3.1); transformers' SDPA path expands K and V to
// all query heads (repeat_kv) before the call, so K and V count at full width
// (AttentionBytes).
constexpr double kFlashLseBytes = 4.0;  // fp32 logsumexp per head per token
// "gelu_new" written in Python (GPT-2 NewGELUActivation, Phi-2): pow, tanh and
// the final product keep x (cast to fp32: pow is on CUDA autocast's fp32
// list, and the sums after it promote), tanh's output and 1 + tanh in fp32,
// and 0.5 * x in the compute dtype (check_activations.py emulates CUDA
// autocast's fp32 ops on the CPU).
constexpr double kTanhGeluFp32Tensors = 3.0;
// DeBERTa-v3's relative positions (config.json position_buckets, 256) and
// the int64 index it gathers scores with.
constexpr double kDebertaPositionBuckets = 256;
constexpr double kIndexBytes = 8;
// MoE routing bookkeeping per routed copy of a token (transformers 5
// grouped_mm experts, measured on Mixtral): the top-k index and the sorted,
// gathered and inverse permutations (int64, 8 B each, 4 x 8) and the fp32
// routing weight twice (normalised copy and gathered, 2 x 4).
constexpr double kMoeRouteBytesPerSlot = 40.0;
// Eager attention (transformers eager_attention_forward): softmax in fp32 and
// its compute-dtype copy are saved: (4 + c) bytes per score, nh x S scores per token.
constexpr double kEagerSoftmaxBytes = 4.0;
// LLaMA-Factory "freeze" tuning trains the last N layers (freeze_trainable_layers=2).
constexpr int kFreezeTrainableLayers = 2;
// PyTorch caching allocator: memory reserved but not allocated, as a fraction
// of the memory allocated and freed within a step (activations, logits,
// gradients, temporaries). The allocator rounds blocks (512 B; 2 MB above 1 MB)
// and never merges segments (PyTorch "CUDA memory management" notes), so the
// slack follows the churned memory, not the weights. 12% is a judgement inside
// the 5-20% seen in training logs; PEFT's reserved rows validate it (+4..+10%).
constexpr double kAllocatorFragmentation = 0.12;
// Loss blocks the backward pass cannot reuse under the fp32 upcast: the 16-bit
// logits, c bytes per logit, are smaller than the fp32 gradient blocks
// requested after them (PyTorch caching allocator: large blocks are their own
// segments, split but never merged). transformers >= 4.46 (ForCausalLMLoss,
// the stacks ftconfig pins: 4.55-4.57) shifts the labels, so the logits are
// the only such block; modelling code that copies the shifted logits
// (logits[..., :-1, :].contiguous(): transformers < 4.46, Qwen(1) remote code)
// leaves a second one (TrainSetup::logits_shift_copy).
constexpr double kLossUnreusableTensors = 1.0;
constexpr double kLossShiftCopyTensors = 1.0;
// CUDA context + cuBLAS/cuDNN handles as NVML sees them (torch does not count
// it): ~0.3-0.6 GB with lazy module loading (CUDA >= 11.7); 0.5 GB, the same
// figure the catalog subtracts in its usable-VRAM rule (data/README.md).
constexpr double kCudaContextGB = 0.5;
// DeepSpeed ZeRO-3 / FSDP: parameters of the module being computed plus the
// prefetched next one are gathered in full (stage3_prefetch_bucket_size,
// FSDP forward_prefetch): two decoder layers.
constexpr double kShardedGatheredLayers = 2.0;
// DeepSpeed ZeRO-1/2 keep two gradient buckets of reduce_bucket_size elements
// in the gradient dtype while overlap_comm is on (deepspeed/runtime/zero/
// stage_1_and_2.py ipg_buffer; default reduce_bucket_size 5e8 elements).
constexpr double kZeroReduceBucketElems = 5e8;
constexpr double kZeroReduceBuckets = 2;
// Fallback vocabulary and head size when the architecture does not say
// (Llama 3 vocabulary; 128-wide heads as in Llama, Mistral, Qwen).
constexpr int kDefaultVocab = 128256;
// TypicalArchForParams vocabulary: Qwen2.5 config.json vocab_size.
constexpr int kTypicalVocab = 151936;
constexpr int kDefaultHeadDim = 128;

// ---------------------------------------------------------------------------

enum Mod { kQ, kK, kV, kO, kGate, kUp, kDown, kNumMods };

struct Linear {
  Mod mod;
  double in = 0, out = 0;
  double copies = 1;  // experts for MoE MLP modules; T5: the blocks of a layer pair that have this linear
};

// What a decoder layer holds beyond the Llama shape (LayerTypeOf), each
// measured by tests/py/check_activations.py.
enum class Act {
  kGated,     // act(gate) * up (SwiGLU, GeGLU): gate input, up output, act output
  kOneOp,     // one op that keeps its input (GELU, gelu_pytorch_tanh)
  kTanhGelu,  // GPT-2 / Phi-2 "gelu_new" written in Python: x, tanh, 0.5x and 1 + tanh kept
  kRelu,      // keeps its output, which is also the down projection's input
};

struct LayerTraits {
  double norms = 2;               // Gemma 2/3: four; Phi-2, Falcon-7B: one shared by attention and MLP
  bool layer_norm = false;        // nn.LayerNorm: one op keeping its input (fp32 under autocast) and mean + rstd
  bool norm_weight = true;        // OLMo: LayerNorm without weights keeps no normalised copy
  double norm_stat_bytes = kNormStatBytes;  // LayerNorm: mean and rstd
  bool norm_fp32_copy = false;    // Gemma RMSNorm computes (1 + w) * x in fp32
  // T5LayerNorm scales the residual itself (not its fp32 copy) by the fp32
  // rsqrt: a 16-bit residual is kept beside the copy.
  bool norm_keeps_residual = false;
  bool qk_norm = false;           // Qwen3, Gemma 3: RMSNorm on each head of q and k
  bool softcap = false;           // Gemma 2: tanh(scores / cap) keeps its output (eager)
  // Gemma 2: the LM head's logits are soft-capped too (final_logit_softcapping:
  // cap * tanh(logits / cap)), the tanh keeping its output, c bytes a logit
  // (transformers Gemma2ForCausalLM, litgpt GPT.forward).
  bool final_softcap = false;
  // One qkv_proj linear (Phi-3, GPT-2, GPT-NeoX, Falcon) and one gate_up_proj
  // (Phi-3): one kept input (or one LoRA dropout / cast copy) each.
  bool fused_qkv = false, fused_gate_up = false;
  // Attention and MLP read one normalised input (Phi-2, Falcon-7B): q, k, v
  // and the MLP's first linear share (or privately copy) one tensor.
  bool parallel = false;
  // GPT-NeoX: both norms read the same residual; the second keeps only its statistics.
  bool norms_share_input = false;
  // GPT-2: q is a view of the fused projection's output, which stays alive;
  // the KV cache (use_cache, the config default) concatenates k and v into
  // copies of their own.
  bool qkv_output_kept = false;
  // q contiguous per head (partial rotary concatenating it: GPT-NeoX, Phi-2;
  // q sliced out of a fused projection: Phi-3): the attention output follows
  // q's layout, not the one o_proj reads, so a trainable o_proj keeps a copy.
  // (CUDA's memory-efficient kernel, used with a mask, writes o_proj's layout
  // whatever q's; counted anyway, the conservative side.)
  bool o_proj_copy = false;
  // Falcon-7B (multi-query): V is kept at its KV width, not expanded.
  bool v_unexpanded = false;
  // BERT-style encoders fine-tune with their dropout on (0.1): each hidden
  // dropout keeps a bool mask per element (CUDA native_dropout), and eager
  // attention's dropout one per score (fused SDPA kernels keep only a seed).
  double hidden_dropout_masks = 0;
  bool attention_dropout = false;
  // DeBERTa's disentangled attention (eager only): content-to-position and
  // position-to-content scores over 2 x position_buckets relative positions
  // (512 for DeBERTa-v3: position_buckets 256), the scaled query, and two
  // int64 S x S gather indices plus a bool S x S mask shared by the batch.
  double relative_span = 0;
  // No SDPA or FlashAttention path in transformers (DeBERTa, T5: relative
  // position biases): eager attention whatever the setup asks for.
  bool eager_only = false;
  // No FlashAttention 2 path in the pinned transformers (BERT, RoBERTa:
  // _supports_flash_attn False in 4.55): SDPA instead.
  bool no_flash_attention2 = false;
  // gpt-oss experts: a loop over the experts whose clamped SwiGLU (with
  // biases) keeps more per routed token than SwiGLU (GptOssExpertBytes).
  bool clamped_swiglu_experts = false;
  // T5: an encoder and a decoder stack of num_layers blocks each; one "layer"
  // is a pair (encoder block + decoder block with cross-attention), every
  // sub-layer followed by dropout (T5LayerBytes).
  bool encoder_decoder = false;
  Act act = Act::kGated;
};

// LayerNorm families: GPT-2-style sequential layers by default.
LayerTraits LayerNormTraits(Act act) {
  LayerTraits t;
  t.layer_norm = true;
  t.norm_stat_bytes = 2 * kNormStatBytes;
  t.act = act;
  return t;
}

LayerTraits TraitsOf(const std::string& layer_type) {
  LayerTraits t;
  if (layer_type == "gemma2" || layer_type == "gemma3") {
    t.norms = 4;
    t.norm_fp32_copy = true;
    t.softcap = t.final_softcap = layer_type == "gemma2";
    t.qk_norm = layer_type == "gemma3";
  } else if (layer_type == "qwen3") {
    t.qk_norm = true;
  } else if (layer_type == "gpt_oss") {
    // transformers 4.55 GptOssAttention: no SDPA path (_supports_sdpa False),
    // and the stock FlashAttention 2 kernel has no attention sinks: eager.
    t.eager_only = true;
    t.clamped_swiglu_experts = true;
  } else if (layer_type == "phi3") {
    t.fused_qkv = t.fused_gate_up = true;
    t.o_proj_copy = true;  // q sliced from the fused output: the rotary writes it contiguous per head
  } else if (layer_type == "olmo") {
    t.norm_weight = false;
    t.norm_stat_bytes = 2 * kNormStatBytes;
  } else if (layer_type == "gpt2") {
    t = LayerNormTraits(Act::kTanhGelu);
    t.fused_qkv = t.qkv_output_kept = true;
  } else if (layer_type == "gpt_neox") {
    t = LayerNormTraits(Act::kOneOp);
    t.fused_qkv = t.norms_share_input = t.o_proj_copy = true;
  } else if (layer_type == "falcon") {
    t = LayerNormTraits(Act::kOneOp);
    t.norms = 1;
    t.fused_qkv = t.parallel = t.v_unexpanded = true;
  } else if (layer_type == "falcon_new") {
    // Parallel attention and MLP, each behind its own LayerNorm of the same
    // residual (the second keeps only statistics); K and V expanded to every
    // query head, as in the Llama layer.
    t = LayerNormTraits(Act::kOneOp);
    t.fused_qkv = t.norms_share_input = true;
  } else if (layer_type == "phi") {
    t = LayerNormTraits(Act::kTanhGelu);
    t.norms = 1;
    t.parallel = t.o_proj_copy = true;
  } else if (layer_type == "opt") {
    t = LayerNormTraits(Act::kRelu);
  } else if (layer_type == "starcoder2") {
    t = LayerNormTraits(Act::kOneOp);
  } else if (layer_type == "bert" || layer_type == "distilbert" || layer_type == "deberta") {
    // Post-LayerNorm encoders with GELU and their dropout on: after the
    // attention output and the MLP (DistilBERT: the MLP only).
    t = LayerNormTraits(Act::kOneOp);
    t.hidden_dropout_masks = layer_type == "distilbert" ? 1 : 2;
    t.attention_dropout = true;
    t.no_flash_attention2 = layer_type == "bert";
    if (layer_type == "deberta") {
      t.relative_span = 2 * kDebertaPositionBuckets;
      t.eager_only = true;
    }
  } else if (layer_type == "t5") {
    // Pre-norm RMSNorm (T5LayerNorm) per sub-layer, eager attention (the
    // relative position bias), dropout 0.1 on the attention weights, inside
    // the MLP and after every sub-layer; measured by check_activations.py.
    t.norms = 1;  // per NormBytes call: T5LayerBytes counts the sub-layers
    t.norm_keeps_residual = true;
    t.eager_only = t.attention_dropout = t.encoder_decoder = true;
  }
  return t;
}

struct Shape {
  double h = 0, q = 0, kv = 0, inter = 0, vocab = 0, heads = 0, kv_heads = 0;
  LayerTraits traits;
  int layers = 0;
  bool gated = true, tied = false, moe = false;
  bool fused_experts = false;  // MoE experts are 3-D parameters, not nn.Linear (gpt-oss)
  double experts = 1, active_experts = 1;
  double total_params = 0;     // from params_b
  double vision = 0;           // a multimodal checkpoint's frozen vision encoder (weights only)
  double loaded_params() const { return total_params + vision; }  // what the checkpoint loads
  double embed = 0, head = 0;  // embedding and (untied) output head
  double head_out = 0;         // the head's outputs per token: the vocabulary, or the classes of a classification head
  double norms = 0;
  double linear = 0;           // everything else (quantizable linears), total - embed - head - norms
  double per_layer_linear = 0;
  std::vector<Linear> mods;    // one layer
  double largest_linear = 0;   // elements of the largest single weight matrix
};

bool IsMixed(Precision p) { return p == Precision::kBf16Mixed || p == Precision::kFp16Mixed; }

double ComputeBytes(Precision p) { return p == Precision::kFp32 ? 4.0 : 2.0; }

std::string Fmt(const char* fmt, double v) {
  char buf[160];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

Shape ResolveShape(const ModelArch& in, std::vector<std::string>* notes) {
  ModelArch a = in;
  if (a.hidden_size <= 0 || a.num_layers <= 0) {
    double p = a.params_b > 0 ? a.params_b : 7.0;
    if (a.params_b <= 0) notes->push_back("model size unknown: sized as a 7B model");
    ModelArch t = TypicalArchForParams(p);
    if (a.vocab_size > 0) t.vocab_size = a.vocab_size;
    a = t;
    notes->push_back("architecture not given: typical decoder for " + Fmt("%.2fB", p) + " parameters assumed");
  }
  Shape s;
  s.vision = std::max(0.0, in.vision_params_b) * 1e9;
  s.h = a.hidden_size;
  s.layers = a.num_layers;
  s.heads = a.num_attention_heads > 0 ? a.num_attention_heads : std::max(1.0, s.h / kDefaultHeadDim);
  double hd = a.head_dim > 0 ? a.head_dim : s.h / s.heads;
  double kvh = a.num_kv_heads > 0 ? a.num_kv_heads : s.heads;
  s.q = s.heads * hd;
  s.kv = kvh * hd;
  s.kv_heads = kvh;
  s.traits = TraitsOf(a.layer_type);
  s.gated = a.gated_mlp;
  if (!s.gated && s.traits.act == Act::kGated) s.traits.act = Act::kOneOp;
  s.inter = a.intermediate_size > 0 ? a.intermediate_size : (s.gated ? std::round(s.h * 8.0 / 3.0) : 4.0 * s.h);
  if (a.vocab_size > 0) {
    s.vocab = a.vocab_size;
  } else {
    s.vocab = kDefaultVocab;
    notes->push_back("vocabulary size unknown: 128256 assumed");
  }
  // BERT-style encoders tie their masked-LM head to the embeddings (their
  // configs' default); a classification model has no LM head at all.
  s.tied = a.tie_word_embeddings || a.architecture == "encoder";
  s.moe = a.is_moe && a.num_experts > 1;
  s.experts = s.moe ? a.num_experts : 1;
  s.active_experts = s.moe ? std::max(1, a.experts_per_token) : 1;
  s.fused_experts = s.moe && !a.experts_linear;

  double E = s.experts;
  // T5's layer pair: encoder self-attention, decoder self- and cross-attention; two MLPs.
  const double A = s.traits.encoder_decoder ? 3 : 1, M = s.traits.encoder_decoder ? 2 : E;
  s.mods = {{kQ, s.h, s.q, A}, {kK, s.h, s.kv, A}, {kV, s.h, s.kv, A}, {kO, s.q, s.h, A}};
  if (s.gated) s.mods.push_back({kGate, s.h, s.inter, M});
  s.mods.push_back({kUp, s.h, s.inter, M});
  s.mods.push_back({kDown, s.inter, s.h, M});
  double per_layer = 0;
  for (const auto& m : s.mods) {
    per_layer += m.in * m.out * m.copies;
    s.largest_linear = std::max(s.largest_linear, m.in * m.out);
  }
  if (s.moe) per_layer += s.h * E;  // router
  s.per_layer_linear = per_layer;

  s.embed = s.vocab * s.h;
  s.head = s.tied ? 0 : s.vocab * s.h;
  s.head_out = s.vocab;
  s.norms = s.layers * (s.traits.encoder_decoder ? 5.0 : 2.0) * s.h + s.h;
  double from_shape = s.layers * per_layer + s.embed + s.head + s.norms;
  s.total_params = a.params_b > 0 ? a.params_b * 1e9 : from_shape;
  s.linear = std::max(0.0, s.total_params - s.embed - s.head - s.norms);
  if (a.params_b > 0 && std::fabs(from_shape - s.total_params) > 0.15 * s.total_params)
    notes->push_back("parameter count from the architecture (" + Fmt("%.2fB", from_shape / 1e9) +
                     ") differs from params_b; params_b used for weight memory");
  return s;
}

// A sequence-classification head (AutoModelForSequenceClassification: the
// classification and reward-model exports) in place of the LM head: a small
// matrix of its own (an untied LM head's parameters leave the count; a tied
// one never added any), and logits over the classes, not the vocabulary.
void UseClassificationHead(int labels, Shape* s) {
  const double head = labels * s->h;
  s->total_params += head - s->head;
  s->head = head;
  s->head_out = labels;
  s->tied = false;
}

unsigned TargetMask(const TrainSetup& st) {
  if (st.lora_module_mask != 0) return st.lora_module_mask & kLoraAllLinear;
  switch (st.lora_target) {
    case LoraTarget::kQV: return kLoraQ | kLoraV;
    case LoraTarget::kAttention: return kLoraQ | kLoraK | kLoraV | kLoraO;
    case LoraTarget::kAllLinear:
    case LoraTarget::kAllLinearPlusEmbed: return kLoraAllLinear;
  }
  return kLoraAllLinear;
}

// The modules LoRA adapts: the target less what is not an nn.Linear (MoE
// experts stored as 3-D parameters, which PEFT's target_modules cannot name).
unsigned ModuleMask(const Shape& s, const TrainSetup& st) {
  const unsigned mask = TargetMask(st);
  return s.fused_experts ? mask & (kLoraQ | kLoraK | kLoraV | kLoraO) : mask;
}

bool Targeted(unsigned mask, Mod m) { return (mask >> static_cast<unsigned>(m)) & 1u; }

bool IsAdapter(Method m) { return m == Method::kLora || m == Method::kQlora || m == Method::kDora; }

// Whether the quantized layers are bitsandbytes autograd functions that keep
// their input (MatMul4Bit / MatMul8bitLt). Not for torchao NF4 (torchtune),
// not under Unsloth's fused LoRA functions, and not for full fine-tuning
// (no quantized weights then).
bool QuantLayersKeepInputs(const TrainSetup& st) {
  bool full = st.method == Method::kFull || st.method == Method::kFreeze;
  return st.weight_quant != WeightQuant::kNone && !full && st.quant_backend == QuantBackend::kBitsandbytes &&
         !st.fused_lora_kernels;
}

// How the linears of a layer keep their inputs for backward (SavedInputs).
struct KeptInputs {
  bool saved[kNumMods] = {};  // the linear's own op keeps its input (trainable weight, bitsandbytes layer)
  // Autocast over fp32 weights casts each linear's input on its own, so every
  // trainable linear keeps a private 16-bit copy; otherwise the linears
  // reading one tensor share it (q/k/v, gate/up).
  bool private_copies = false;
  // PEFT casts a LoRA module's input to the adapter dtype (lora/layer.py
  // _cast_input_dtype) before lora_A: with fp32 adapters under 16-bit compute
  // each adapted module keeps its own copy even without dropout.
  bool adapter_cast = false;
  double residual_bytes = 2;  // the residual stream's dtype (fp32 when the weights are)
};

// Whether q/k/v (and gate/up) are one linear (LayerTraits::fused_qkv); not
// under litgpt, which converts checkpoints into its own layer.
bool FusedQkv(const Shape& s, const TrainSetup& st) {
  return s.traits.fused_qkv && st.framework != Framework::kLitgpt;
}
bool FusedGateUp(const Shape& s, const TrainSetup& st) {
  return s.traits.fused_gate_up && st.framework != Framework::kLitgpt;
}

// The linear a projection is part of: q, k and v share kQ's when fused, gate
// and up share kGate's; every other projection is its own.
Mod LinearOf(const Shape& s, const TrainSetup& st, Mod m) {
  if (m <= kV && FusedQkv(s, st)) return kQ;
  if ((m == kGate || m == kUp) && FusedGateUp(s, st)) return kGate;
  return m;
}

// One linear of the layer as PEFT adapts it: a fused projection is one module.
struct AdaptedModule {
  double in = 0, out = 0, per_token = 1;  // per_token: routed experts for MoE MLP modules
};

std::vector<AdaptedModule> AdaptedModules(const Shape& s, const TrainSetup& st) {
  const unsigned mask = ModuleMask(s, st);
  AdaptedModule by_linear[kNumMods];
  bool adapted[kNumMods] = {};
  for (const auto& m : s.mods) {
    if (!Targeted(mask, m.mod)) continue;
    const Mod linear = LinearOf(s, st, m.mod);
    if (adapted[linear]) {
      by_linear[linear].out += m.out;  // another projection of a fused linear
      continue;
    }
    adapted[linear] = true;
    by_linear[linear] = {m.in, m.out, s.moe ? (m.mod >= kGate ? s.active_experts : 1.0) : m.copies};
  }
  std::vector<AdaptedModule> out;
  for (int i = 0; i < kNumMods; ++i)
    if (adapted[i]) out.push_back(by_linear[i]);
  return out;
}

// LoRA extras per token: each adapted module's dropout copy and mask (or its
// cast copy without dropout), lora_A's output that lora_B keeps, and DoRA's
// kept tensors.
double AdapterActivationBytes(const Shape& s, const TrainSetup& st, const KeptInputs& k) {
  if (!IsAdapter(st.method)) return 0;
  const double c = ComputeBytes(st.precision);
  double b = 0;
  for (const auto& m : AdaptedModules(s, st)) {
    if (st.lora_dropout > 0) b += (c + kDropoutMaskBytes) * m.in * m.per_token;
    else if (k.adapter_cast) b += c * m.in * m.per_token;
    b += c * st.lora_r * m.per_token;  // lora_A output saved by lora_B
    if (st.method == Method::kDora) b += kDoraSavedTensors * c * m.out * m.per_token;
  }
  return b;
}

// How many copies of one input the given linears keep: one shared, or, with
// autocast over fp32 weights, one private copy per linear (a fused projection
// is one linear).
double KeptInputCopies(const Shape& s, const TrainSetup& st, const KeptInputs& k, std::initializer_list<Mod> mods) {
  bool counted[kNumMods] = {};
  double n = 0;
  for (Mod m : mods) {
    if (!k.saved[m] || (m == kGate && !s.gated)) continue;
    const Mod linear = LinearOf(s, st, m);
    if (counted[linear]) continue;
    counted[linear] = true;
    n += 1;
  }
  return k.private_copies ? n : std::min(n, 1.0);
}

bool FullOrFreeze(const TrainSetup& st) { return st.method == Method::kFull || st.method == Method::kFreeze; }

// Norms: the fp32 input (RMSNorm's upcast, LayerNorm's autocast) and the
// per-token statistics; RMSNorm with a trainable weight also keeps the
// normalised copy (residual dtype) that multiplies it, LayerNorm being one op
// does not. q/k norms the same per head, the copy in the projection's dtype.
double NormBytes(const Shape& s, const LayerTraits& t, const TrainSetup& st, const KeptInputs& k) {
  const double c = ComputeBytes(st.precision);
  const bool full = FullOrFreeze(st);
  // Norms reading one residual share its saved input only when no cast is made (an fp32 residual).
  const double inputs = t.norms_share_input && k.residual_bytes == 4 ? 1 : t.norms;
  double b = inputs * kNormSavedBytes * s.h + t.norms * t.norm_stat_bytes;
  if (full && t.norm_weight && !t.layer_norm) b += t.norms * (t.norm_fp32_copy ? 4.0 : k.residual_bytes) * s.h;
  if (t.norm_keeps_residual && k.residual_bytes != 4) b += t.norms * k.residual_bytes * s.h;
  if (t.qk_norm) {
    b += kNormSavedBytes * (s.q + s.kv) + kNormStatBytes * (s.heads + s.kv_heads);
    if (full) b += (t.norm_fp32_copy ? 4.0 : c) * (s.q + s.kv);
  }
  return b;
}

// A padded batch through transformers' SDPA path: torch turns the boolean
// padding mask into an additive bias in the compute dtype on every call, and
// the memory-efficient kernel (the one that takes a mask) keeps it for
// backward: S x c bytes per token per layer (measured by check_activations.py).
// Not with one sequence per micro-batch (transformers drops an all-ones causal
// mask), packing, or trainers that run their own attention without a padding
// mask (FrameworkProfile::attention_padding_mask: Unsloth, axolotl's
// flash-attention, torchtune, litgpt).
bool PaddingMaskThroughSdpa(const TrainSetup& st) {
  return st.attention_padding_mask && !st.packing && st.batch_size_per_device > 1;
}

// Attention block: the projections' kept inputs (with the MLP's first linear
// in a parallel layer); Q, K and V (K and V expanded to every query head)
// kept by either kernel. Flash / SDPA also keep the output, in the layout
// o_proj reads (except after a partial rotary), so a trainable o_proj keeps
// nothing more; eager keeps the scores, and o_proj's input is a copy of its
// own. A bitsandbytes layer's kept inputs (fitted on totals) come on top.
double AttentionBytes(const Shape& s, const LayerTraits& t, const TrainSetup& st, const KeptInputs& k, double seq,
                      double ci) {
  const double c = ComputeBytes(st.precision);
  double inputs = t.parallel ? KeptInputCopies(s, st, k, {kQ, kK, kV, kGate, kUp}) : KeptInputCopies(s, st, k, {kQ, kK, kV});
  double b = ci * s.h * inputs;
  b += c * (2 * s.q + (t.v_unexpanded ? s.kv : s.q));
  if (st.flash_attention) {
    b += c * s.q + kFlashLseBytes * s.heads;
    if (t.qkv_output_kept) b += c * 2 * s.kv;  // the fused output behind Q, beyond Q itself (eager copies Q)
    if (PaddingMaskThroughSdpa(st)) b += c * seq;  // the additive mask the kernel keeps, one per layer
    if (k.saved[kO] && (QuantLayersKeepInputs(st) || t.o_proj_copy)) b += ci * s.q;
  } else {
    b += (kEagerSoftmaxBytes + c) * s.heads * seq;
    if (t.softcap) b += c * s.heads * seq;
    if (t.attention_dropout) b += kDropoutMaskBytes * s.heads * seq;
    if (t.relative_span > 0)
      b += 2 * c * s.heads * t.relative_span + c * s.q +
           (2 * kIndexBytes + kDropoutMaskBytes) * seq / std::max(1, st.batch_size_per_device);
    if (k.saved[kO]) b += ci * s.q;
  }
  return b;
}

// Routed experts (transformers' MoE blocks, measured on Mixtral): the router
// keeps its input and fp32 probabilities, plus per routed copy of a token its
// index bookkeeping (int64 positions, fp32 weights: kMoeRouteBytesPerSlot);
// each routed copy keeps the gathered input, the gate/up output, the
// activation and product (the down projection's input) and the expert's
// output (scaled by its routing weight), in the experts' weight dtype:
// transformers 5 runs them through grouped_mm, outside autocast, so fp32
// master weights compute in fp32. A bitsandbytes expert keeps a second input.
double MoeMlpBytes(const Shape& s, const TrainSetup& st, const KeptInputs& k, double ci) {
  const double c = ComputeBytes(st.precision);
  const double w = k.residual_bytes;  // the weights' dtype: fp32 master weights, else the compute dtype
  const double per_token = c * s.h + 4 * s.experts + 4;
  double per_slot = w * (2 * s.h + (s.gated ? 4 : 2) * s.inter) + kMoeRouteBytesPerSlot;
  if (ci > c) per_slot += (ci - c) * (s.h + s.inter);
  return per_token + per_slot * s.active_experts;
}

// gpt-oss's experts (transformers 4.55 / 5 GptOssExperts, training branch):
// each expert gathers its routed tokens, adds its bias to gate_up (which
// promotes the result to the bias dtype: fp32 under mixed precision with fp32
// master weights), and keeps per routed copy gate_up (both clamps), the
// clamped gate, the sigmoid, glu, up + 1 (6 x intermediate) and the expert
// output for its routing weight, in that dtype; trainable experts also keep
// the 16-bit casts of both matmul inputs. The router as in MoeMlpBytes.
double GptOssExpertBytes(const Shape& s, const TrainSetup& st, const KeptInputs& k) {
  const double c = ComputeBytes(st.precision);
  const double g = k.residual_bytes;
  const bool trainable = st.method == Method::kFull || st.method == Method::kFreeze;
  const double per_token = c * s.h + 4 * s.experts + 4;
  const double per_slot = g * (6 * s.inter + s.h) + (trainable ? c * (s.h + s.inter) : 0) + kMoeRouteBytesPerSlot;
  return per_token + per_slot * s.active_experts;
}

// MLP block (MoeMlpBytes for routed experts): the first linears' kept input
// (not in a parallel layer, where attention counted it), what the activation
// keeps, and the down projection's input.
double MlpBytes(const Shape& s, const LayerTraits& t, const TrainSetup& st, const KeptInputs& k, double ci) {
  const double c = ComputeBytes(st.precision);
  if (s.moe) return t.clamped_swiglu_experts ? GptOssExpertBytes(s, st, k) : MoeMlpBytes(s, st, k, ci);
  double b = t.parallel ? 0 : ci * s.h * (s.gated ? KeptInputCopies(s, st, k, {kGate, kUp}) : KeptInputCopies(s, st, k, {kUp}));
  const double down = k.saved[kDown] ? ci * s.inter : 0;
  switch (t.act) {
    case Act::kGated: b += 3 * c * s.inter + down; break;  // act(gate) input, up output, act output
    case Act::kOneOp: b += c * s.inter + down; break;
    case Act::kTanhGelu: b += (kTanhGeluFp32Tensors * 4 + c) * s.inter + down; break;
    case Act::kRelu: b += c * s.inter + (down > 0 ? down - c * s.inter : 0); break;  // down reads the kept output
  }
  return b;
}

// litgpt converts checkpoints into its own layer: its norms, parallel residual
// and MLP follow the model, but its GELU is one op (F.gelu with approximate
// "tanh") and it expands K and V itself; q/k/v fusion is left out (FusedQkv).
LayerTraits TraitsUnder(LayerTraits t, Framework framework) {
  if (framework != Framework::kLitgpt) return t;
  if (t.act == Act::kTanhGelu) t.act = Act::kOneOp;
  t.v_unexpanded = t.qkv_output_kept = false;
  return t;
}

// T5's MLP: wi -> ReLU (keeps its output) -> dropout -> wo, or (gated-gelu,
// Flan-T5) wi_0 -> gelu_new and wi_1, whose product keeps the fp32 GELU
// output and wi_1's output, -> dropout -> wo. wo reads the dropout's output.
double T5MlpBytes(const Shape& s, const TrainSetup& st, const KeptInputs& k, double ci) {
  const double c = ComputeBytes(st.precision);
  const double down = k.saved[kDown] ? ci * s.inter : 0;
  const double mask = kDropoutMaskBytes * s.inter;
  if (!s.gated) return ci * s.h * KeptInputCopies(s, st, k, {kUp}) + c * s.inter + mask + down;
  return ci * s.h * KeptInputCopies(s, st, k, {kGate, kUp}) + (kTanhGeluFp32Tensors * 4 + c) * s.inter +
         (4 + c) * s.inter + mask + down;
}

// T5's cross-attention: q reads the decoder's norm output; k and v read the
// encoder's output, which each casts privately under autocast over fp32
// weights (16-bit weights: the one encoder output, saved once for all
// layers); eager scores over the encoder's tokens (as many as the decoder's).
double T5CrossAttentionBytes(const Shape& s, const TrainSetup& st, const KeptInputs& k, double seq, double ci) {
  const double c = ComputeBytes(st.precision);
  double b = ci * s.h * KeptInputCopies(s, st, k, {kQ});
  if (k.private_copies) b += ci * s.h * KeptInputCopies(s, st, k, {kK, kV});
  b += c * 3 * s.q + (kEagerSoftmaxBytes + c + kDropoutMaskBytes) * s.heads * seq;
  if (k.saved[kO]) b += ci * s.q;
  return b;
}

// One T5 layer pair: an encoder block (norm + self-attention, norm + MLP) and
// a decoder block (the same with a norm + cross-attention between), dropout
// after each sub-layer; the encoder and the decoder sequences taken as equally
// long. Adapters: AdapterActivationBytes counts every block (Linear::copies).
double T5LayerBytes(const Shape& s, const LayerTraits& t, const TrainSetup& st, const KeptInputs& k, double seq,
                    double ci) {
  const double norm = NormBytes(s, t, st, k), self = AttentionBytes(s, t, st, k, seq, ci);
  const double mlp = T5MlpBytes(s, st, k, ci), mask = kDropoutMaskBytes * s.h;
  const double encoder = 2 * norm + self + mlp + 2 * mask;
  const double decoder = 3 * norm + self + T5CrossAttentionBytes(s, st, k, seq, ci) + mlp + 3 * mask;
  return encoder + decoder + AdapterActivationBytes(s, st, k);
}

// Bytes saved for backward per token by one decoder layer that is part of the
// autograd graph. Each term was checked tensor by tensor with
// saved_tensors_hooks (tests/py/check_activations.py, docs/memory-validation.md).
double LayerActivationBytes(const Shape& s, const TrainSetup& st, const KeptInputs& k, double seq) {
  // Bytes per element of a linear's kept input: one tensor, or
  // kQuantKeptInputs of them for a bitsandbytes 4/8-bit layer.
  const double ci = QuantLayersKeepInputs(st) ? kQuantKeptInputs * ComputeBytes(st.precision) : ComputeBytes(st.precision);
  const LayerTraits t = TraitsUnder(s.traits, st.framework);
  if (t.encoder_decoder) return T5LayerBytes(s, t, st, k, seq, ci);
  return NormBytes(s, t, st, k) + AttentionBytes(s, t, st, k, seq, ci) + MlpBytes(s, t, st, k, ci) +
         t.hidden_dropout_masks * kDropoutMaskBytes * s.h + AdapterActivationBytes(s, st, k);
}

}  // namespace

// ---------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------

const char* ToString(Method m) {
  switch (m) {
    case Method::kFull: return "full";
    case Method::kLora: return "lora";
    case Method::kQlora: return "qlora";
    case Method::kDora: return "dora";
    case Method::kFreeze: return "freeze";
  }
  return "lora";
}
const char* ToString(Precision p) {
  switch (p) {
    case Precision::kBf16Mixed: return "mixed-bf16";
    case Precision::kFp16Mixed: return "mixed-fp16";
    case Precision::kBf16Pure: return "bf16";
    case Precision::kFp16Pure: return "fp16";
    case Precision::kFp32: return "fp32";
  }
  return "mixed-bf16";
}
const char* ToString(WeightQuant q) {
  switch (q) {
    case WeightQuant::kNone: return "none";
    case WeightQuant::kNf4: return "nf4";
    case WeightQuant::kInt8: return "int8";
  }
  return "none";
}
const char* ToString(Optimizer o) {
  switch (o) {
    case Optimizer::kAdamW: return "adamw";
    case Optimizer::kAdamW8bit: return "adamw_8bit";
    case Optimizer::kPagedAdamW8bit: return "paged_adamw_8bit";
    case Optimizer::kPagedAdamW32bit: return "paged_adamw_32bit";
    case Optimizer::kAdafactor: return "adafactor";
    case Optimizer::kSgd: return "sgd";
  }
  return "adamw";
}
const char* ToString(LoraTarget t) {
  switch (t) {
    case LoraTarget::kQV: return "q,v";
    case LoraTarget::kAttention: return "q,k,v,o";
    case LoraTarget::kAllLinear: return "all-linear";
    case LoraTarget::kAllLinearPlusEmbed: return "all-linear+embed";
  }
  return "all-linear";
}
const char* ToString(Sharding s) {
  switch (s) {
    case Sharding::kNone: return "none";
    case Sharding::kDdp: return "ddp";
    case Sharding::kZero1: return "zero1";
    case Sharding::kZero2: return "zero2";
    case Sharding::kZero3: return "zero3";
    case Sharding::kFsdp: return "fsdp";
  }
  return "none";
}
const char* ToString(QuantBackend b) {
  return b == QuantBackend::kTorchao ? "torchao" : "bitsandbytes";
}
const char* ToString(CrossEntropy c) {
  switch (c) {
    case CrossEntropy::kFp32Upcast: return "fp32";
    case CrossEntropy::kNative: return "native";
    case CrossEntropy::kChunked: return "chunked";
    case CrossEntropy::kFusedChunks: return "fused_chunks";
  }
  return "fp32";
}

namespace {
std::string Key(const std::string& s) {
  std::string k;
  for (char ch : s) {
    unsigned char u = static_cast<unsigned char>(ch);
    if (std::isalnum(u)) k.push_back(static_cast<char>(std::tolower(u)));
    else if (ch == ',' || ch == '+') k.push_back(ch);
  }
  return k;
}
bool Has(const std::string& k, const char* part) { return k.find(part) != std::string::npos; }
}  // namespace

bool ParseMethod(const std::string& s, Method* out) {
  std::string k = Key(s);
  Method m;
  if (k == "full" || k == "none" || k == "fullfinetune" || k == "fullfinetuning" || k == "fullparameter" || k == "sft")
    m = Method::kFull;
  else if (k == "lora") m = Method::kLora;
  else if (k == "qlora" || k == "qlora4bit") m = Method::kQlora;
  else if (k == "dora" || k == "qdora") m = Method::kDora;
  else if (k == "freeze" || k == "freezetuning") m = Method::kFreeze;
  else return false;
  *out = m;
  return true;
}

bool ParsePrecision(const std::string& s, Precision* out) {
  std::string k = Key(s);
  Precision p;
  if (k == "bf16" || k == "bf16true" || k == "purebf16" || k == "bfloat16") p = Precision::kBf16Pure;
  else if (k == "fp16" || k == "fp16true" || k == "float16" || k == "half" || k == "16true") p = Precision::kFp16Pure;
  else if (k == "mixedbf16" || k == "bf16mixed" || k == "ampbf16" || k == "bf16amp") p = Precision::kBf16Mixed;
  else if (k == "mixedfp16" || k == "fp16mixed" || k == "16mixed" || k == "ampfp16" || k == "fp16amp" || k == "amp")
    p = Precision::kFp16Mixed;
  else if (k == "fp32" || k == "32" || k == "32true" || k == "float32" || k == "tf32") p = Precision::kFp32;
  else return false;
  *out = p;
  return true;
}

bool ParseWeightQuant(const std::string& s, WeightQuant* out) {
  std::string k = Key(s);
  WeightQuant q;
  if (k.empty() || k == "none" || k == "no" || k == "false" || k == "bf16" || k == "fp16") q = WeightQuant::kNone;
  else if (Has(k, "nf4") || Has(k, "fp4") || k == "4bit" || k == "int4" || k == "4" || Has(k, "gptq") ||
           Has(k, "awq") || k == "bnb4bit" || k == "loadin4bit")
    q = WeightQuant::kNf4;
  else if (k == "int8" || k == "8bit" || k == "8" || Has(k, "llmint8") || k == "bnb8bit" || k == "loadin8bit")
    q = WeightQuant::kInt8;
  else return false;
  *out = q;
  return true;
}

bool ParseOptimizer(const std::string& s, Optimizer* out) {
  std::string k = Key(s);
  Optimizer o;
  if (Has(k, "paged") && (Has(k, "32bit") || Has(k, "32"))) o = Optimizer::kPagedAdamW32bit;
  else if (Has(k, "paged")) o = Optimizer::kPagedAdamW8bit;
  else if (Has(k, "8bit") || Has(k, "bnb")) o = Optimizer::kAdamW8bit;
  else if (Has(k, "adafactor")) o = Optimizer::kAdafactor;
  else if (k == "sgd" || k == "sgdm") o = Optimizer::kSgd;
  else if (Has(k, "adam")) o = Optimizer::kAdamW;  // adamw, adamw_torch(_fused), adamw_hf, adam (deepspeed)
  else return false;
  *out = o;
  return true;
}

bool ParseLoraTarget(const std::string& s, LoraTarget* out) {
  std::string k = Key(s);
  // Strip common module-name decorations so "['q_proj', 'v_proj']" reads "q,v".
  std::string t;
  for (size_t i = 0; i < k.size(); ++i) t.push_back(k[i]);
  auto has_any = [&](std::initializer_list<const char*> parts) {
    for (const char* p : parts)
      if (Has(t, p)) return true;
    return false;
  };
  LoraTarget r;
  bool embed = has_any({"embed", "lmhead", "wte", "+head"});
  bool all = has_any({"alllinear", "all", "mlp", "gate", "up", "down", "fc1", "fc2", "w1", "w2", "w3", "dense"});
  bool attn_full = has_any({"qkvo", "q,k,v,o", "qproj,kproj,vproj,oproj", "attention", "attn", "o,", ",o", "oproj",
                            "outproj", "k,", "kproj", "key", "cattn"});
  bool qv = has_any({"q,v", "qv", "qproj,vproj", "query,value", "v,q", "vproj,qproj", "q", "v"});
  if (embed) r = LoraTarget::kAllLinearPlusEmbed;
  else if (all) r = LoraTarget::kAllLinear;
  else if (attn_full) r = LoraTarget::kAttention;
  else if (qv) r = LoraTarget::kQV;
  else return false;
  *out = r;
  return true;
}

unsigned ParseLoraModules(const std::string& s) {
  // Split on anything that is not a letter, digit or '_'; map known names.
  unsigned mask = 0;
  std::string tok;
  auto flush = [&]() {
    std::string t = tok;
    tok.clear();
    if (t.empty()) return;
    for (auto& ch : t) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (t == "output_proj" || t == "o_proj" || t == "out_proj") {  // attention output (torchtune, HF)
      mask |= kLoraO;
      return;
    }
    // drop a trailing "_proj" / "proj" so q_proj == q
    auto strip = [&](const char* suf) {
      size_t n = std::char_traits<char>::length(suf);
      if (t.size() > n && t.compare(t.size() - n, n, suf) == 0) t.erase(t.size() - n);
    };
    strip("_proj");
    if (t == "all" || t == "all_linear" || t == "alllinear" || t == "linear") mask |= kLoraAllLinear;
    else if (t == "q" || t == "query" || t == "wq") mask |= kLoraQ;
    else if (t == "k" || t == "key" || t == "wk") mask |= kLoraK;
    else if (t == "v" || t == "value" || t == "wv") mask |= kLoraV;
    else if (t == "o" || t == "wo" || t == "projection" || t == "attn_out") mask |= kLoraO;
    else if (t == "qkv" || t == "c_attn" || t == "query_key_value" || t == "wqkv" || t == "in")
      mask |= kLoraQ | kLoraK | kLoraV;
    else if (t == "attn" || t == "attention" || t == "self_attn") mask |= kLoraQ | kLoraK | kLoraV | kLoraO;
    else if (t == "c_proj" || t == "dense") mask |= kLoraO | kLoraDown;  // attention out and MLP down share the name
    else if (t == "gate") mask |= kLoraGate;
    else if (t == "up") mask |= kLoraUp;
    else if (t == "gate_up" || t == "fc1" || t == "fc_1" || t == "dense_h_to_4h" || t == "c_fc") mask |= kLoraUp | kLoraGate;
    else if (t == "down" || t == "fc2" || t == "fc_2" || t == "dense_4h_to_h") mask |= kLoraDown;
    else if (t == "w1" || t == "w2" || t == "w3" || t == "mlp" || t == "ffn" || t == "feed_forward")
      mask |= kLoraGate | kLoraUp | kLoraDown;
  };
  for (char ch : s) {
    unsigned char u = static_cast<unsigned char>(ch);
    if (std::isalnum(u) || ch == '_') tok.push_back(ch);
    else flush();
  }
  flush();
  return mask;
}

bool ParseCrossEntropy(const std::string& s, CrossEntropy* out) {
  std::string k = Key(s);
  if (k == "fp32" || k == "upcast" || k == "float32" || k == "hf" || k == "default") *out = CrossEntropy::kFp32Upcast;
  else if (k == "native" || k == "bf16" || k == "fp16" || k == "nocast") *out = CrossEntropy::kNative;
  else if (k == "fusedchunks" || Has(k, "unsloth")) *out = CrossEntropy::kFusedChunks;
  else if (Has(k, "chunk") || Has(k, "fused") || Has(k, "liger") || Has(k, "cce") || Has(k, "cut")) *out = CrossEntropy::kChunked;
  else return false;
  return true;
}

bool ParseSharding(const std::string& s, Sharding* out) {
  std::string k = Key(s);
  if (k.empty() || k == "none" || k == "0" || k == "zero0" || k == "single") *out = Sharding::kNone;
  else if (k == "ddp" || k == "dp") *out = Sharding::kDdp;
  else if (k == "1" || k == "zero1") *out = Sharding::kZero1;
  else if (k == "2" || k == "zero2") *out = Sharding::kZero2;
  else if (k == "3" || k == "zero3") *out = Sharding::kZero3;
  else if (Has(k, "fsdp")) *out = Sharding::kFsdp;
  else return false;
  return true;
}

// ---------------------------------------------------------------------------
// Typical architecture
// ---------------------------------------------------------------------------

std::string LayerTypeOf(const std::string& model_id) {
  // The id names the generation; the catalog's family ("qwen", "gemma") does not.
  std::string id;
  for (char ch : model_id) id.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
  if (Has(id, "qwen3")) return "qwen3";
  if (Has(id, "gpt-oss") || Has(id, "gpt_oss")) return "gpt_oss";
  if (Has(id, "phi-3") || Has(id, "phi3") || Has(id, "phi-4") || Has(id, "phi4")) return "phi3";
  if (Has(id, "gemma-2-") || Has(id, "gemma2")) return "gemma2";  // not gemma-2b, a Gemma 1 model
  if (Has(id, "gemma-3-") || Has(id, "gemma3")) return "gemma3";
  if (Has(id, "olmo-") && !Has(id, "olmo-2")) return "olmo";
  if (Has(id, "gpt2")) return "gpt2";
  // StableLM-Alpha (2023) is a GPT-NeoX model; StableLM 2 and 3B-4E1T are not.
  if (Has(id, "pythia") || Has(id, "gpt-neox") || Has(id, "gpt_neox") || Has(id, "stablelm-base-alpha") ||
      Has(id, "stablelm-tuned-alpha"))
    return "gpt_neox";
  // Falcon-7B / -RW / -1B (one LayerNorm, multi-query); Falcon-40B / -180B (the "new decoder architecture":
  // two LayerNorms on the residual, grouped KV heads); not Falcon3 (Llama shape).
  if (Has(id, "falcon-7b") || Has(id, "falcon-rw") || Has(id, "falcon-1b")) return "falcon";
  if (Has(id, "falcon-40b") || Has(id, "falcon-180b")) return "falcon_new";
  if (Has(id, "phi-2") || Has(id, "phi-1")) return "phi";
  if (Has(id, "/opt-") || id.rfind("opt-", 0) == 0) return "opt";
  if (Has(id, "starcoder2")) return "starcoder2";
  if (Has(id, "flan-t5") || Has(id, "/t5-") || id.rfind("t5-", 0) == 0 || Has(id, "/mt5-") || Has(id, "t0_"))
    return "t5";
  if (Has(id, "distilbert")) return "distilbert";
  if (Has(id, "deberta-v2") || Has(id, "deberta-v3")) return "deberta";
  if (Has(id, "bert") && !Has(id, "deberta")) return "bert";  // BERT, RoBERTa, XLM-R
  return "";
}

std::string AttentionImplementation(const std::string& layer_type, bool gpu_has_flash_attention2) {
  const LayerTraits t = TraitsOf(layer_type);
  if (t.eager_only) return "eager";
  return gpu_has_flash_attention2 && !t.no_flash_attention2 ? "flash_attention_2" : "sdpa";
}

int SequenceClassificationLabels(const std::string& task_type) {
  return task_type == "classification" ? 2 : task_type == "reward_modeling" ? 1 : 0;
}

int SequencesPerExample(const std::string& task_type) {
  const bool pairwise = task_type == "preference_dpo" || task_type == "preference_orpo" || task_type == "reward_modeling";
  return pairwise ? 2 : 1;
}

void ApplyTaskMemoryTerms(const std::string& task_type, TrainSetup* setup) {
  const bool reference = task_type == "preference_dpo" || task_type == "preference_kto";
  setup->sequences_per_example = SequencesPerExample(task_type);
  setup->reference_model = reference && FullOrFreeze(*setup);
  setup->num_labels = SequenceClassificationLabels(task_type);
  // TRL's preference trainers call the model without labels and compute the
  // log-probabilities from its logits: Unsloth's fused loss never runs, and the
  // logits are held whole (the chunked rule, as before Unsloth's fused loss).
  const bool preference = task_type.rfind("preference_", 0) == 0;
  if (preference && setup->cross_entropy == CrossEntropy::kFusedChunks)
    setup->cross_entropy = CrossEntropy::kChunked;
}

bool IsLayerType(const std::string& t) {
  for (const char* name : kLayerTypes)
    if (t == name) return true;
  return t.empty();
}

double ParamsFromShapeB(const ModelArch& arch) {
  std::vector<std::string> notes;
  ModelArch a = arch;
  a.params_b = 0;
  return ResolveShape(a, &notes).total_params / 1e9;
}

ModelArch TypicalArchForParams(double params_b) {
  // Anchors: configs of widely used open decoders (hidden, intermediate,
  // attention heads, KV heads) — Qwen2.5-0.5B, Llama-3.2-1B, Llama-3.2-3B,
  // Llama-3.1-8B, Qwen2.5-14B, Qwen2.5-32B, Llama-3.1-70B, Llama-3.1-405B
  // (their config.json files). Layers are then solved so the parameter count
  // matches. Vocabulary 151936 (Qwen2/2.5/3, the largest common vocabulary
  // besides Gemma's) and untied embeddings: the conservative choice for the
  // logits and for 4-bit runs, where both vocabulary matrices stay 16-bit.
  struct Anchor { double p; int h, inter, heads, kv; };
  static const Anchor kAnchors[] = {
      {0.5, 896, 4864, 14, 2},     {1.2, 2048, 8192, 32, 8},    {3.2, 3072, 8192, 24, 8},
      {8.0, 4096, 14336, 32, 8},   {14.8, 5120, 13824, 40, 8},  {32.8, 5120, 27648, 40, 8},
      {70.6, 8192, 28672, 64, 8},  {405.9, 16384, 53248, 128, 8},
  };
  double p = params_b > 0 ? params_b : 7.0;
  const Anchor* best = &kAnchors[0];
  for (const auto& a : kAnchors)
    if (std::fabs(std::log(a.p / p)) < std::fabs(std::log(best->p / p))) best = &a;
  ModelArch m;
  m.params_b = p;
  m.hidden_size = best->h;
  m.intermediate_size = best->inter;
  m.num_attention_heads = best->heads;
  m.num_kv_heads = best->kv;
  m.head_dim = best->h / best->heads;
  m.vocab_size = kTypicalVocab;
  m.tie_word_embeddings = false;
  m.gated_mlp = true;
  double h = m.hidden_size, q = m.num_attention_heads * m.head_dim, kv = m.num_kv_heads * m.head_dim;
  double per_layer = 2 * h * q + 2 * h * kv + 3 * h * m.intermediate_size + 2 * h;
  double emb = m.vocab_size * h * (m.tie_word_embeddings ? 1 : 2);
  double layers = std::round((p * 1e9 - emb) / per_layer);
  m.num_layers = static_cast<int>(std::max(2.0, layers));
  m.max_position_embeddings = 8192;
  return m;
}

// ---------------------------------------------------------------------------
// Memory
// ---------------------------------------------------------------------------

namespace {

// Bytes per logit the loss holds at the start of backward ("Logits and loss").
double LossBytesPerLogit(CrossEntropy ce, double c) {
  switch (ce) {
    case CrossEntropy::kFp32Upcast: return std::max(kLossFp32UpcastBytes, 3 * c);
    case CrossEntropy::kNative: return kLossNativeTensors * c;
    case CrossEntropy::kChunked: return kLossChunkedTensors * c;
    case CrossEntropy::kFusedChunks: return kLossFusedChunkBytes;
  }
  return kLossFp32UpcastBytes;
}

// The logits the loss holds at once: all of them, or Unsloth's largest chunk.
double LiveLogits(CrossEntropy ce, double logits) {
  if (ce != CrossEntropy::kFusedChunks) return logits;
  const double exact = logits * 4.0 / kLossFusedChunkTargetBytes;
  return exact <= 1.0 ? logits : logits / (std::ceil(exact / 4.0) * 4.0);
}

// Evaluation peak: a forward pass at the eval batch (or generation with a KV
// cache) while the weights and optimizer states stay resident.
double EvalPeakGb(const Shape& s, const TrainSetup& st, double persistent) {
  const double c = ComputeBytes(st.precision);
  double eb = st.eval_batch_size > 0 ? st.eval_batch_size : st.batch_size_per_device;
  double es = st.eval_seq_len > 0 ? st.eval_seq_len : st.seq_len;
  double etok = eb * es;
  // gpt-oss's experts out of training (GptOssExperts, transformers 4.55, on a
  // GPU): every token through every expert (hidden_states.repeat, bmm): the
  // repeated input, gate_up and the clamped SwiGLU's temporaries, E times.
  const double mlp = s.traits.clamped_swiglu_experts ? s.experts * (s.h + 5 * s.inter)
                                                     : (s.gated ? 3 : 2) * s.inter * s.active_experts;
  double transient = etok * c * (2 * s.h + mlp + 2 * s.q);
  if (!st.flash_attention) transient += etok * c * s.heads * es;
  double eval_alloc = persistent + transient;
  if (st.eval_max_new_tokens > 0) {
    double ctx_len = es + st.eval_max_new_tokens;
    double kv_cache = 2.0 * s.layers * s.kv * c * eb * ctx_len;
    eval_alloc += kv_cache + eb * s.head_out * 4.0 * 2;  // last-token logits in fp32
  } else {
    eval_alloc += etok * s.head_out * kEvalLossBytes;
  }
  return (eval_alloc + kAllocatorFragmentation * (eval_alloc - persistent)) / kGB + kCudaContextGB;
}

// Notes about the setup that hold whatever the numbers.
void AddSetupNotes(const Shape& s, const TrainSetup& st, std::vector<std::string>* notes) {
  if (!st.flash_attention) notes->push_back("eager attention: scores grow with seq_len^2 (set flash_attention for SDPA/FA2)");
  if (st.optimizer == Optimizer::kPagedAdamW8bit || st.optimizer == Optimizer::kPagedAdamW32bit)
    notes->push_back("paged optimizer: states counted on the GPU; under pressure they page to CPU");
  if (s.moe) notes->push_back("MoE: all experts resident; activations for the routed experts only");
  if (st.method == Method::kFreeze) notes->push_back("freeze tuning: last 2 layers trainable (LLaMA-Factory default)");
}

// The setup with its counts clamped to at least 1, QLoRA's 4-bit weights
// implied, and preference pairs folded into the batch.
TrainSetup NormalizedSetup(const TrainSetup& in, std::vector<std::string>* notes) {
  TrainSetup st = in;
  if (st.method == Method::kQlora && st.weight_quant == WeightQuant::kNone) st.weight_quant = WeightQuant::kNf4;
  st.batch_size_per_device = std::max(1, st.batch_size_per_device);
  // Preference pairs: both sequences of an example go through the model in
  // one batch (TRL's concatenated forward), so the per-device batch of
  // sequences is batch x sequences_per_example.
  if (st.sequences_per_example > 1) {
    if (st.eval_batch_size <= 0) st.eval_batch_size = st.batch_size_per_device;
    st.batch_size_per_device *= st.sequences_per_example;
    st.eval_batch_size *= st.sequences_per_example;
    notes->push_back("preference pairs: " + std::to_string(st.sequences_per_example) +
                    " sequences per example in each batch");
  }
  st.gradient_accumulation_steps = std::max(1, st.gradient_accumulation_steps);
  st.seq_len = std::max(1, st.seq_len);
  st.lora_r = std::max(1, st.lora_r);
  st.num_gpus = std::max(1, st.num_gpus);
  return st;
}

// Bytes per stored weight: 16-bit, or fp32 when the model itself is the fp32
// master (mixed precision full fine-tuning, fp32 training, litgpt-style bf16-mixed).
double StorageBytes(const TrainSetup& st) {
  const bool full_or_freeze = st.method == Method::kFull || st.method == Method::kFreeze;
  if (st.precision == Precision::kFp32) return 4;
  if (IsMixed(st.precision) && (full_or_freeze || st.fp32_base_weights)) return 4;
  return ComputeBytes(st.precision);
}

// Every expert's MLP weights (all layers); 0 for a dense model.
double ExpertParams(const Shape& s) {
  if (!s.moe) return 0;
  double p = 0;
  for (const auto& m : s.mods)
    if (m.mod >= kGate) p += m.in * m.out * m.copies;
  return p * s.layers;
}

// The base model's weights. Quantized: the linears at the 4/8-bit rate, and
// the embeddings, norms and (unless quantize_lm_head) the output head in 16
// bit (transformers keeps lm_head out of bitsandbytes via
// get_keys_to_not_convert). `quantized_head` receives the head's parameters
// when it is quantized.
double BaseWeightBytes(const Shape& s, const TrainSetup& st, double* quantized_head, std::vector<std::string>* notes) {
  const bool quant = st.weight_quant != WeightQuant::kNone;
  const bool full = st.method == Method::kFull;
  const double c = ComputeBytes(st.precision);
  double unquantized = s.embed + s.head + s.norms;
  *quantized_head = 0;
  if (s.vision > 0)
    notes->push_back("the checkpoint's vision encoder (" + Fmt("%.2fB", s.vision / 1e9) +
                     " parameters) is loaded with it and frozen: weights only (text data leaves it idle)");
  if (quant && !full && st.quantize_lm_head && s.head > 0) {
    *quantized_head = s.head;
    unquantized -= s.head;
  }
  if (!quant || full) {
    if (quant) notes->push_back("full fine-tuning of quantized weights is not possible: weight_quant ignored");
    return s.loaded_params() * StorageBytes(st);
  }
  double qb = st.weight_quant == WeightQuant::kInt8 ? kInt8BytesPerParam
              : st.nf4_double_quant                  ? kNf4DqBytesPerParam
                                                     : kNf4BytesPerParam;
  double ub = (IsMixed(st.precision) && st.fp32_base_weights) ? 4.0 : c;
  // bitsandbytes replaces nn.Linear only (transformers integrations/
  // bitsandbytes.py replace_with_bnb_linear): MoE experts stored as 3-D
  // parameters stay 16-bit.
  // A framework's own 4-bit checkpoint quantizes them (Unsloth's, for gpt-oss only).
  const bool own_checkpoint = st.quantize_fused_experts && s.traits.clamped_swiglu_experts;
  const double experts = s.fused_experts && !own_checkpoint ? std::min(ExpertParams(s), s.linear) : 0;
  if (experts > 0)
    notes->push_back("the MoE experts (" + Fmt("%.1fB", experts / 1e9) +
                     " parameters) are not nn.Linear: 4-bit quantization leaves them 16-bit");
  // The vision encoder's linear layers are quantized with the rest
  // (transformers skips only the output head).
  return (s.linear - experts + *quantized_head + s.vision) * qb + (unquantized + experts) * ub;
}

// Optimizer state bytes per trainable parameter of `dtype_bytes`. torch AdamW
// keeps exp_avg and exp_avg_sq in the parameter's dtype (zeros_like(p)).
double StateBytesPerParam(Optimizer o, double dtype_bytes) {
  switch (o) {
    case Optimizer::kAdamW: return 2 * dtype_bytes;
    case Optimizer::kAdamW8bit:
    case Optimizer::kPagedAdamW8bit: return kAdam8bitBytesPerParam;
    case Optimizer::kPagedAdamW32bit: return 8.0;
    case Optimizer::kAdafactor: return 0.0;  // factored: AdafactorFactorElems
    case Optimizer::kSgd: return 0.0;        // no momentum (torch.optim.SGD default)
  }
  return 2 * dtype_bytes;
}

// Adafactor's row + column second-moment factors, in elements, over every
// trainable matrix (each LoRA pair for adapters).
double AdafactorFactorElems(const Shape& s, const TrainSetup& st) {
  const bool full = st.method == Method::kFull, freeze = st.method == Method::kFreeze;
  const double L = s.layers;
  double factors = 0;
  if (full || freeze) {
    double layers = freeze ? std::min<double>(kFreezeTrainableLayers, L) : L;
    for (const auto& m : s.mods) factors += (m.in + m.out) * m.copies * layers;
    if (full) factors += (s.vocab + s.h) + (s.tied ? 0 : s.head_out + s.h);
  } else {
    const unsigned mask = ModuleMask(s, st);
    for (const auto& m : s.mods)
      if (Targeted(mask, m.mod)) factors += (m.in + 2.0 * st.lora_r + m.out) * m.copies * L;
  }
  return factors;
}

// Activation memory of one step: what stays saved through the whole
// backward pass, the one layer being recomputed under checkpointing, and the
// 16-bit weight copies mixed precision saves for the input gradient.
struct Activations {
  double saved = 0, work = 0, cast_copies = 0;
  double layer_per_token = 0, checkpoint_per_token = 0;  // one layer's terms, bytes per token
};

// Which projections of a layer keep their input for backward, and how.
KeptInputs SavedInputs(const Shape& s, const TrainSetup& st, double base_bytes) {
  const bool trainable = st.method == Method::kFull || st.method == Method::kFreeze;
  const double c = ComputeBytes(st.precision);
  const double adapter_bytes = (st.adapter_fp32 || IsMixed(st.precision) || st.precision == Precision::kFp32) ? 4 : c;
  KeptInputs k;
  k.residual_bytes = (base_bytes == 4 || st.precision == Precision::kFp32) ? 4.0 : c;
  k.private_copies = trainable && base_bytes == 4 && c == 2;
  k.adapter_cast = IsAdapter(st.method) && adapter_bytes != c;
  const unsigned mask = ModuleMask(s, st);
  for (int m = 0; m < kNumMods; ++m) {
    // An adapted module's frozen base linear does not keep its input (autograd
    // saves mm's input only when the weight needs a gradient). lora_A keeps
    // the input it multiplies: a dropout or cast copy of its own (counted in
    // AdapterActivationBytes), or the shared input itself.
    bool tgt = IsAdapter(st.method) && Targeted(mask, static_cast<Mod>(m)) && st.lora_dropout <= 0 && !k.adapter_cast;
    k.saved[m] = trainable || tgt || QuantLayersKeepInputs(st);  // bitsandbytes MatMul4Bit/8bitLt keep their input
  }
  return k;
}

Activations ActivationTerms(const Shape& s, const TrainSetup& st, double base_bytes, std::vector<std::string>* notes) {
  const double c = ComputeBytes(st.precision);
  const double tokens = static_cast<double>(st.batch_size_per_device) * st.seq_len;
  const KeptInputs kept = SavedInputs(s, st, base_bytes);
  double layer_tok = LayerActivationBytes(s, st, kept, st.seq_len);
  double graph_layers = st.method == Method::kFreeze ? std::min<double>(kFreezeTrainableLayers, s.layers) : s.layers;
  // Under mixed precision with fp32 stored weights, each linear casts its
  // weight to 16-bit and the cast copy is saved for the input gradient.
  double cast_copies_layer = (base_bytes == 4 && c == 2) ? s.per_layer_linear * c : 0;
  const double residual_bytes = kept.residual_bytes;
  double final_tok = kNormSavedBytes * s.h + c * s.h;  // final norm + lm_head input
  Activations a;
  a.layer_per_token = layer_tok;
  if (st.gradient_checkpointing) {
    // One checkpoint (the layer input) per layer (T5: per block, two a pair);
    // one layer recomputed at a time (T5: counted as the pair, a bound).
    const double blocks = s.traits.encoder_decoder ? 2 : 1;
    a.checkpoint_per_token = st.activation_offload ? 0 : blocks * residual_bytes * s.h;
    double ckpt = a.checkpoint_per_token * graph_layers * tokens;
    a.saved = ckpt + final_tok * tokens;
    a.work = layer_tok * tokens;
    a.cast_copies = cast_copies_layer;
    if (st.activation_offload) notes->push_back("checkpointed activations offloaded to CPU RAM");
  } else {
    a.saved = (layer_tok * graph_layers + final_tok) * tokens;
    a.cast_copies = cast_copies_layer * graph_layers;
  }
  if (a.cast_copies > 0 && (s.head > 0 || s.tied)) a.cast_copies += s.head_out * s.h * c;
  return a;
}

// The backward-pass parts are not all live at once (the logits and the last
// layer's recomputation do not coexist): trim activations, then logits, so the
// parts add up to the allocated peak; or give the remainder to activations.
void FitBackwardBreakdown(double target_gb, MemoryBreakdown* b) {
  double parts = b->weights_gb + b->adapters_gb + b->gradients_gb + b->optimizer_gb + b->activations_gb + b->logits_gb;
  if (parts <= target_gb) {
    b->activations_gb += target_gb - parts;
    return;
  }
  double excess = parts - target_gb;
  double cut = std::min(excess, b->activations_gb);
  b->activations_gb -= cut;
  excess -= cut;
  b->logits_gb = std::max(0.0, b->logits_gb - excess);
}

// The step's tensors on one GPU, term by term, in bytes (parameter counts in
// elements). Each stage below fills in its own terms, in this order.
struct StepTerms {
  // Trainable parameters and the bytes each kind is kept in.
  double lora_params = 0, lora_in_max = 0, modules_to_save = 0, trainable = 0;
  double grad_bytes = 0, state_dtype = 0, adapter_bytes = 0, mts_bytes = 0;
  // Resident through the step.
  double weights = 0, quantized_head = 0, adapters = 0, grads = 0;
  double opt = 0, opt_temp = 0, opt_factors = 0;
  // Multi-GPU: what each GPU holds of a sharded tensor, and gradient buckets.
  double shard_w = 1, shard_g = 1, shard_o = 1, ddp_buckets = 0;
  // Backward pass.
  Activations act;
  double logits = 0, quant_transient = 0, head_grad = 0;
};


// Trainable parameters and their bytes: the adapters (LoRA A and B, DoRA's
// magnitude vector, modules_to_save for "+embed"), or the whole model, or the
// last layers under freeze tuning; their gradients in their own dtype.
void TrainableTerms(const Shape& s, const TrainSetup& st, double base_bytes, StepTerms* t) {
  const double c = ComputeBytes(st.precision);
  const bool mixed = IsMixed(st.precision);
  const double L = s.layers;
  if (IsAdapter(st.method)) {
    const unsigned mask = ModuleMask(s, st);
    for (const auto& m : s.mods) {
      if (!Targeted(mask, m.mod)) continue;
      double p = st.lora_r * (m.in + m.out) * m.copies;
      if (st.method == Method::kDora) p += m.out * m.copies;  // magnitude vector
      t->lora_params += p * L;
      t->lora_in_max = std::max(t->lora_in_max, m.in);
    }
    if (st.lora_target == LoraTarget::kAllLinearPlusEmbed) t->modules_to_save = s.embed + (s.tied ? 0 : s.head);
  }
  if (st.method == Method::kFull) {
    t->trainable = s.total_params;
  } else if (st.method == Method::kFreeze) {
    t->trainable = std::min<double>(kFreezeTrainableLayers, L) * (s.per_layer_linear + 2 * s.h);
  } else {
    t->trainable = t->lora_params + t->modules_to_save;
  }
  if (FullOrFreeze(st)) t->grad_bytes = t->state_dtype = base_bytes;
  // Adapter weights: fp32 under PEFT's autocast_adapter_dtype, else the compute dtype.
  t->adapter_bytes = (st.adapter_fp32 || mixed || st.precision == Precision::kFp32) ? 4.0 : c;
  t->mts_bytes = (mixed && st.fp32_base_weights) ? 4.0 : c;  // modules_to_save keep the base dtype
  t->adapters = t->lora_params * t->adapter_bytes + t->modules_to_save * t->mts_bytes;
  if (FullOrFreeze(st)) t->grads = t->trainable * t->grad_bytes;
  else t->grads = t->lora_params * t->adapter_bytes + t->modules_to_save * t->mts_bytes;
}

// Optimizer states (torch AdamW keeps exp_avg and exp_avg_sq in the dtype of
// the parameter: zeros_like(p)) and the step's temporary. Mixed precision's
// fp32 master weights need nothing here: for full fine-tuning the model itself
// is the fp32 master (base_bytes = 4).
void OptimizerTerms(const Shape& s, const TrainSetup& st, StepTerms* t, std::vector<std::string>* notes) {
  const bool full = st.method == Method::kFull, freeze = st.method == Method::kFreeze;
  auto state_bytes_for = [&](double dtype_bytes) { return StateBytesPerParam(st.optimizer, dtype_bytes); };
  if (full || freeze) t->opt = t->trainable * state_bytes_for(t->state_dtype);
  else t->opt = t->lora_params * state_bytes_for(t->adapter_bytes) + t->modules_to_save * state_bytes_for(t->mts_bytes);
  if (st.optimizer == Optimizer::kAdafactor) {
    t->opt_factors = 4.0 * AdafactorFactorElems(s, st);  // fp32
    t->opt += t->opt_factors;
    double largest =
        full ? std::max(s.largest_linear, s.embed) : (freeze ? s.largest_linear : t->lora_in_max * st.lora_r);
    t->opt_temp = kAdafactorTempBytes * largest;
  } else if (st.optimizer == Optimizer::kAdamW && !st.fused_optimizer) {
    // Multi-tensor (foreach) AdamW materialises sqrt(exp_avg_sq) for every
    // parameter at once (torch/optim/adamw.py _multi_tensor_adamw).
    double per = (full || freeze) ? t->state_dtype : t->adapter_bytes;
    t->opt_temp = (full || freeze) ? t->trainable * per : t->lora_params * per + t->modules_to_save * t->mts_bytes;
  }
  // Optimizer step in backward (torchtune optimizer_in_bwd, full fine-tuning
  // with accumulation 1): a gradient lives only until its parameter is
  // stepped, so at most the largest matrix's gradient exists, and the step
  // runs per parameter without a model-wide temporary.
  if (st.optimizer_in_backward && (full || freeze) && st.gradient_accumulation_steps == 1) {
    t->grads = std::max(s.largest_linear, s.embed) * t->grad_bytes;
    t->opt_temp = 0;
    notes->push_back("optimizer step in backward: one parameter's gradient at a time");
  }
}

Sharding EffectiveSharding(const TrainSetup& st) {
  return st.sharding == Sharding::kNone && st.num_gpus > 1 ? Sharding::kDdp : st.sharding;
}

// DeepSpeed ZeRO keeps the module in 16-bit and an fp32 master partition of
// every trainable parameter, with fp32 optimizer states, inside the optimizer
// (ZeRO paper §3: 2 + 2 + 12 bytes per parameter; stage_1_and_2.py
// single_partition_of_fp32_groups). Any 16-bit DeepSpeed run casts the module,
// adapters included, to 16 bit.
void DeepSpeedMasterTerms(const Shape& s, const TrainSetup& st, StepTerms* t) {
  const double c = ComputeBytes(st.precision);
  const bool full_or_freeze = FullOrFreeze(st);
  // DeepSpeed partitions every parameter that requires grad, whether or not it
  // gets one: in full fine-tuning a multimodal checkpoint's vision encoder too.
  const double trainable = t->trainable + (st.method == Method::kFull ? s.vision : 0);
  if (IsMixed(st.precision) && full_or_freeze) {
    t->weights = s.loaded_params() * c;
    t->grads = trainable * c;
    // fp32 master partition, and the optimizer states of what only DeepSpeed counts as trainable
    t->opt += trainable * 4.0 + (trainable - t->trainable) * StateBytesPerParam(st.optimizer, 4.0);
    t->opt_temp = trainable * 4.0;   // fp32 gradient partition built at the step
  } else if (c == 2 && trainable > 0) {
    if (full_or_freeze) {
      t->weights = s.loaded_params() * c;
    } else {
      t->adapters = trainable * c;
    }
    t->grads = trainable * c;
    t->opt = t->opt_factors + trainable * (StateBytesPerParam(st.optimizer, 4.0) + 4.0);
    t->opt_temp = trainable * 4.0;
  }
}

// Multi-GPU: what each GPU keeps of the sharded tensors (ZeRO-1 the optimizer,
// ZeRO-2 also the gradients, ZeRO-3 / FSDP also the weights, with the gathered
// layers), CPU offload, gradient buckets, and a frozen reference model.
void ShardingTerms(const Shape& s, const TrainSetup& st, StepTerms* t, std::vector<std::string>* notes) {
  const double c = ComputeBytes(st.precision);
  const double N = st.num_gpus;
  const Sharding shard = EffectiveSharding(st);
  switch (shard) {
    case Sharding::kZero1: t->shard_o = N; break;
    case Sharding::kZero2: t->shard_o = t->shard_g = N; break;
    case Sharding::kZero3:
    case Sharding::kFsdp: t->shard_o = t->shard_g = t->shard_w = N; break;
    default: break;
  }
  const bool zero12 = shard == Sharding::kZero1 || shard == Sharding::kZero2;
  if (zero12 || shard == Sharding::kZero3) DeepSpeedMasterTerms(s, st, t);
  double gathered = 0;
  if (t->shard_w > 1) {
    gathered = kShardedGatheredLayers * s.per_layer_linear * c;
    t->weights /= t->shard_w;
    t->adapters /= t->shard_w;
  }
  t->grads /= t->shard_g;
  t->opt /= t->shard_o;
  t->opt_temp /= t->shard_o;
  t->ddp_buckets = shard == Sharding::kDdp ? t->grads : 0;  // DDP reducer buckets copy the gradients
  if (st.cpu_offload) {
    // ZeRO-Offload (Ren et al. 2021) and FSDP's CPUOffload move the gradient
    // partitions to CPU memory for the optimizer step there: the GPU keeps the
    // reduce buckets they pass through.
    t->opt = 0;
    t->opt_temp = 0;
    t->ddp_buckets = std::min(t->grads, kZeroReduceBuckets * kZeroReduceBucketElems * c);
    t->grads = 0;
    if (t->shard_w > 1) t->weights = 0;  // ZeRO-3 offload_param: only gathered layers on the GPU
    notes->push_back("gradients and optimizer states offloaded to CPU RAM; the GPU keeps 2 reduce buckets of 5e8");
  } else if (zero12) {
    t->ddp_buckets = kZeroReduceBuckets * kZeroReduceBucketElems * c;
    notes->push_back("DeepSpeed ZeRO-1/2 gradient buckets: 2 x reduce_bucket_size 5e8 (lower it to save memory)");
  }
  t->weights += gathered;
  if (st.reference_model) {
    // Frozen reference model in the compute dtype, sharded like the weights.
    t->weights += s.loaded_params() * c / t->shard_w;
    notes->push_back("frozen reference model copy in 16-bit (DPO-style training)");
  }
}

// Logits and loss at the start of backward; one dequantized weight in flight
// (bitsandbytes dequantizes a layer's weight to the compute dtype in forward
// and again in backward); the output head's gradient when full fine-tuning
// frees gradients at the step (accumulation 1).
void LossTerms(const Shape& s, const TrainSetup& st, StepTerms* t) {
  const double c = ComputeBytes(st.precision);
  const double tokens = static_cast<double>(st.batch_size_per_device) * st.seq_len;
  t->logits = LiveLogits(st.cross_entropy, tokens * s.head_out) * LossBytesPerLogit(st.cross_entropy, c);
  // (A fused loss that applies the cap inside its kernel keeps nothing: Unsloth.)
  if (s.traits.final_softcap && s.head_out == s.vocab && !st.softcap_in_loss)
    t->logits += tokens * s.head_out * c;
  const bool quant = st.weight_quant != WeightQuant::kNone;
  t->quant_transient = quant ? 2 * std::max(s.largest_linear, t->quantized_head) * c : 0;
  if ((st.method == Method::kFull && st.gradient_accumulation_steps == 1) && !s.tied)
    t->head_grad = s.head_out * s.h * t->grad_bytes / t->shard_g;
}

// The allocated peak: the larger of the backward pass (at the loss, at the
// layer being recomputed, or at its end with every gradient) and the step.
struct Peak {
  double persistent = 0, phase_loss = 0, phase_layer = 0, phase_end = 0, g_live = 0;
  double allocated = 0;
  bool backward = true;
  bool loss_at_peak() const { return backward && phase_loss >= std::max(phase_layer, phase_end); }
};

Peak PeakOfStep(const TrainSetup& st, const StepTerms& t) {
  Peak p;
  p.persistent = t.weights + t.adapters + t.opt;
  bool grads_persist = st.gradient_accumulation_steps > 1 || !FullOrFreeze(st);
  p.g_live = grads_persist ? t.grads : 0;
  const Activations& a = t.act;
  p.phase_loss = a.saved + t.logits + p.g_live + t.head_grad;
  p.phase_layer = a.saved + a.work + p.g_live;
  p.phase_end = t.grads + (st.gradient_checkpointing ? a.work : 0);
  double fwd_bwd = p.persistent + a.cast_copies + std::max({p.phase_loss, p.phase_layer, p.phase_end}) +
                   t.quant_transient + t.ddp_buckets;
  double step = p.persistent + t.grads + t.opt_temp + t.ddp_buckets;
  p.allocated = std::max(fwd_bwd, step);
  p.backward = fwd_bwd >= step;
  return p;
}

// Reserved memory (docs, "Allocator and CUDA context"): the 12% rule on the
// memory churned within the step, except the loss tensors, a few large blocks
// whose reuse can be followed exactly. With the fp32 upcast the backward pass
// asks for fp32 blocks (4 B per logit) while the only blocks freed by then are
// the 16-bit logits and their shifted copy (c each); blocks over 1 MB are
// carved from their own cudaMalloc segments and never merged, so those 2c per
// logit stay reserved beside the 12 B the loss holds. Returns reserved - allocated.
double FragmentationBytes(const Shape& s, const TrainSetup& st, const StepTerms& t, const Peak& p) {
  const double c = ComputeBytes(st.precision);
  const double tokens = static_cast<double>(st.batch_size_per_device) * st.seq_len;
  const double blocks = kLossUnreusableTensors + (st.logits_shift_copy ? kLossShiftCopyTensors : 0);
  double loss_slack = (st.cross_entropy == CrossEntropy::kFp32Upcast && c == 2) ? blocks * c * tokens * s.head_out : 0;
  double loss_alloc = p.persistent + t.act.cast_copies + p.phase_loss + t.quant_transient + t.ddp_buckets;
  double reserved_loss = loss_alloc + kAllocatorFragmentation * (loss_alloc - p.persistent - t.logits) + loss_slack;
  double dynamic = p.allocated - p.persistent - (p.loss_at_peak() ? t.logits : 0);
  double reserved = std::max(p.allocated + kAllocatorFragmentation * dynamic, reserved_loss);
  return reserved - p.allocated;
}

// The breakdown at the peak moment, adding up to the allocated peak.
void FillBreakdown(const StepTerms& t, const Peak& p, double frag, MemoryBreakdown* b) {
  b->weights_gb = t.weights / kGB;
  b->adapters_gb = t.adapters / kGB;
  if (p.backward) {
    bool at_end = std::max({p.phase_loss, p.phase_layer, p.phase_end}) == p.phase_end;
    b->gradients_gb = (at_end ? t.grads : p.g_live + t.head_grad) / kGB;
    b->optimizer_gb = t.opt / kGB;
    b->activations_gb =
        (t.act.saved + t.act.work + t.act.cast_copies + t.quant_transient + t.ddp_buckets) / kGB;
    b->logits_gb = t.logits / kGB;
    FitBackwardBreakdown(p.allocated / kGB, b);
  } else {
    b->gradients_gb = (t.grads + t.ddp_buckets) / kGB;
    b->optimizer_gb = (t.opt + t.opt_temp) / kGB;
    b->activations_gb = 0;
    b->logits_gb = 0;
  }
  b->overhead_gb = (frag / kGB) + kCudaContextGB;
}

// Merge peak: base weights in 16-bit (a quantized base is reloaded in 16-bit
// to merge) + adapters + one dense delta (B @ A) in fp32.
double MergePeakGb(const Shape& s, const TrainSetup& st, const StepTerms& t) {
  if (!IsAdapter(st.method)) return 0;
  return (s.loaded_params() * 2.0 + t.lora_params * t.adapter_bytes + s.largest_linear * 4.0) / kGB +
         kCudaContextGB;
}

}  // namespace

MemoryEstimate EstimateMemory(const ModelArch& arch, const TrainSetup& in) {
  MemoryEstimate est;
  auto& notes = est.notes;
  TrainSetup st = NormalizedSetup(in, &notes);
  Shape s = ResolveShape(arch, &notes);
  if (st.num_labels > 0) UseClassificationHead(st.num_labels, &s);
  if (s.traits.eager_only) st.flash_attention = false;  // no SDPA path for this layer in transformers
  const double base_bytes = StorageBytes(st);

  StepTerms t;
  t.weights = BaseWeightBytes(s, st, &t.quantized_head, &notes);
  TrainableTerms(s, st, base_bytes, &t);
  est.trainable_params_b = t.trainable / 1e9;
  OptimizerTerms(s, st, &t, &notes);
  ShardingTerms(s, st, &t, &notes);
  t.act = ActivationTerms(s, st, base_bytes, &notes);
  const double tokens = static_cast<double>(st.batch_size_per_device) * st.seq_len;
  est.activations_per_token_mb = (t.act.saved + t.act.work) / tokens / 1e6;
  est.layer_activation_bytes_per_token = t.act.layer_per_token;
  est.checkpoint_bytes_per_token = t.act.checkpoint_per_token;
  LossTerms(s, st, &t);

  const Peak peak = PeakOfStep(st, t);
  est.peak_phase = peak.backward ? "backward" : "optimizer_step";
  const double frag = FragmentationBytes(s, st, t, peak);
  est.max_allocated_gb = peak.allocated / kGB;
  est.reserved_gb = (peak.allocated + frag) / kGB;
  est.fragmentation_gb = frag / kGB;
  est.cuda_context_gb = kCudaContextGB;
  est.peak_gb = est.reserved_gb + kCudaContextGB;
  FillBreakdown(t, peak, frag, &est.breakdown);
  est.eval_peak_gb = EvalPeakGb(s, st, peak.persistent);
  est.merge_peak_gb = MergePeakGb(s, st, t);
  AddSetupNotes(s, st, &notes);
  return est;
}

}  // namespace ftconfig
