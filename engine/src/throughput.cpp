// Time model: training FLOPs per token from the architecture, the GPU's dense
// tensor peak for the precision in use, a compute efficiency, and three
// per-micro-batch costs that do not scale with tokens (dispatch overhead,
// dequantizing 4-/8-bit weights, the optimizer step). docs/memory-model.md,
// "Time model", documents the calibration.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "ftconfig/memory.h"

namespace ftconfig {
namespace {

// Achieved fraction of the dense tensor peak in the matmuls once a micro-batch
// is large. Fitted on Qwen's A100 LoRA rows (seq 256..8192, 1.8B..14B: 0.54-0.56
// after subtracting the fixed per-micro-batch time); docs/memory-model.md.
constexpr double kComputeEfficiency = 0.55;
// Fixed time per decoder layer per pass (forward, backward, recompute):
// kernel launches and Python dispatch of transformers/PEFT modules. Same fit
// (0.7-1.3 ms; PEFT's L40S LoRA rows give ~1 ms).
constexpr double kLayerPassOverheadS = 1.0e-3;
// Dequantizing a 4/8-bit weight to 16-bit reads the packed weight and writes a
// 16-bit copy that the GEMM reads again: ~0.5 + 2 + 2 bytes per parameter per
// pass (bitsandbytes dequantize_4bit in forward and again in backward).
constexpr double kDequantBytesPerParam = 4.5;
// AdamW step traffic per trainable parameter, in tensor accesses of the
// states' width. torch's multi-tensor (foreach) AdamW runs one kernel per
// operation (lerp, mul, addcmul, sqrt, div, add, addcdiv, weight decay: ~21
// reads+writes) and the grad-norm clip reads and rescales the gradients (3);
// the fused kernel reads p, g, m, v and writes p, m, v once (7) + clip (3).
constexpr double kAdamForeachAccesses = 24.0;
constexpr double kAdamFusedAccesses = 10.0;
// Sustained fraction of the memory bandwidth for streaming kernels.
constexpr double kBandwidthEfficiency = 0.7;
// Fallbacks when the catalog lacks a figure (dense bf16 TFLOP/s, GB/s).
constexpr double kFallbackPeakTflops = 60.0;
constexpr double kFallbackBandwidthGbps = 600.0;

}  // namespace

ThroughputEstimate EstimateThroughput(const ModelArch& arch, const TrainSetup& in, const Gpu& gpu) {
  ThroughputEstimate t;
  TrainSetup st = in;
  if (st.method == Method::kQlora && st.weight_quant == WeightQuant::kNone) st.weight_quant = WeightQuant::kNf4;
  st.batch_size_per_device = std::max(1, st.batch_size_per_device);
  st.gradient_accumulation_steps = std::max(1, st.gradient_accumulation_steps);
  st.seq_len = std::max(1, st.seq_len);
  st.num_gpus = std::max(1, st.num_gpus);

  ModelArch a = arch;
  if (a.hidden_size <= 0 || a.num_layers <= 0) {
    ModelArch typ = TypicalArchForParams(a.params_b > 0 ? a.params_b : 7.0);
    if (a.vocab_size > 0) typ.vocab_size = a.vocab_size;
    a = typ;
    t.notes.push_back("typical architecture assumed for the FLOP count");
  }
  double h = a.hidden_size, L = a.num_layers;
  double heads = a.num_attention_heads > 0 ? a.num_attention_heads : std::max(1.0, h / 128.0);
  double hd = a.head_dim > 0 ? a.head_dim : h / heads;
  double q = heads * hd, kv = (a.num_kv_heads > 0 ? a.num_kv_heads : heads) * hd;
  double inter = a.intermediate_size > 0 ? a.intermediate_size : (a.gated_mlp ? h * 8.0 / 3.0 : 4.0 * h);
  double active = (a.is_moe && a.num_experts > 1) ? std::max(1, a.experts_per_token) : 1;
  double vocab = a.vocab_size > 0 ? a.vocab_size : 128256;
  double per_layer = 2 * h * q + 2 * h * kv + (a.gated_mlp ? 3 : 2) * h * inter * active;
  double S = st.avg_seq_len > 0 ? std::min(st.avg_seq_len, st.seq_len) : st.seq_len;

  // Forward FLOPs per token: 2 per weight of every matmul (Kaplan et al. 2020,
  // C_forward ~ 2N) plus attention scores and values, 2 * 2 * S * q per layer,
  // halved for causal FlashAttention/SDPA, which skip the masked half.
  double causal = st.flash_attention ? 0.5 : 1.0;
  double fwd_linear = 2 * (L * per_layer + vocab * h);
  double fwd_attn = 4 * S * q * L * causal;
  double fwd = fwd_linear + fwd_attn;
  double train = 0;
  const bool full = st.method == Method::kFull;
  if (full) {
    train = 3 * fwd;  // backward = 2x forward: input and weight gradients
  } else if (st.method == Method::kFreeze) {
    double frac = std::min(2.0, L) / L;  // last 2 layers trainable (memory model)
    train = fwd + 2 * fwd * frac;
  } else {
    // Frozen weights: backward needs input gradients only (1x the linear
    // forward); attention backward ~2x its forward (FlashAttention-2 paper);
    // adapters add ~6 FLOPs per adapter parameter per token (negligible).
    train = fwd + fwd_linear + 2 * fwd_attn;
  }
  if (st.gradient_checkpointing) train += fwd;  // recompute
  t.flops_per_token = train;

  // Peak for the precision.
  double peak = 0;
  bool fp32 = st.precision == Precision::kFp32;
  bool bf16 = st.precision == Precision::kBf16Mixed || st.precision == Precision::kBf16Pure;
  if (fp32) peak = gpu.peak_tflops_fp32.value_or(0);
  else if (bf16) peak = gpu.peak_tflops_bf16.value_or(gpu.peak_tflops_fp16.value_or(0));
  else peak = gpu.peak_tflops_fp16.value_or(gpu.peak_tflops_bf16.value_or(0));
  if (peak <= 0) {
    peak = kFallbackPeakTflops;
    t.notes.push_back("no tensor peak in the catalog for this GPU: 60 TFLOP/s assumed");
  }
  t.peak_tflops_used = peak;
  t.efficiency = kComputeEfficiency;
  double bw = gpu.bandwidth_gbps.value_or(kFallbackBandwidthGbps) * 1e9 * kBandwidthEfficiency;

  double tokens_mb = static_cast<double>(st.batch_size_per_device) * S;
  double passes = st.gradient_checkpointing ? 3 : 2;  // forward, backward (+ recompute)
  t.step_overhead_s = kLayerPassOverheadS * L * passes;
  double compute_s = tokens_mb * train / (peak * 1e12 * kComputeEfficiency);
  if (st.weight_quant != WeightQuant::kNone && !full) {
    double quantized = L * per_layer * (a.is_moe && a.num_experts > 1 ? a.num_experts / active : 1.0);
    t.dequant_s = passes * quantized * kDequantBytesPerParam / bw;
  }
  // Optimizer step, amortised over the accumulation steps; only full and
  // freeze tuning have enough trainable parameters for it to matter.
  double trainable = 0;
  if (full) trainable = a.params_b > 0 ? a.params_b * 1e9 : fwd_linear / 2;
  else if (st.method == Method::kFreeze) trainable = std::min(2.0, L) * per_layer;
  double state_bytes = (st.precision == Precision::kBf16Pure || st.precision == Precision::kFp16Pure) ? 2.0 : 4.0;
  if (st.optimizer == Optimizer::kAdamW8bit || st.optimizer == Optimizer::kPagedAdamW8bit) state_bytes = 1.0;
  if (st.cpu_offload) t.notes.push_back("optimizer on CPU: step time not modelled");
  else t.optimizer_s = trainable * (st.fused_optimizer ? kAdamFusedAccesses : kAdamForeachAccesses) * state_bytes / bw /
                       st.gradient_accumulation_steps /
                       std::max(1, st.sharding == Sharding::kNone || st.sharding == Sharding::kDdp ? 1 : st.num_gpus);
  t.seconds_per_microbatch = compute_s + t.step_overhead_s + t.dequant_s + t.optimizer_s;
  double per_gpu = tokens_mb / t.seconds_per_microbatch;
  t.tokens_per_sec = per_gpu * st.num_gpus;
  if (st.num_gpus > 1) t.notes.push_back("multi-GPU: communication overlap assumed perfect");
  return t;
}

}  // namespace ftconfig
