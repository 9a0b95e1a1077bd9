// Time model: training FLOPs per token from the architecture, the GPU's dense
// tensor peak for the precision in use, and an efficiency calibrated on the
// measured tokens/s rows (docs/memory-model.md, "Time model").
#include <algorithm>
#include <cmath>
#include <string>

#include "ftconfig/memory.h"

namespace ftconfig {
namespace {

// Achieved fraction of the dense tensor peak for large micro-batches
// (model-FLOPs utilisation including recompute), by method. Calibrated on the
// single-GPU tokens/s rows of the measurement table (Qwen A100 LoRA/Q-LoRA/
// full, PEFT L40S LoRA/full, LLaMA-Factory A100); docs/memory-model.md lists
// the fit. QLoRA dequantizes every weight twice per step (bitsandbytes
// dequantize_4bit in forward and backward), which costs time, not FLOPs.
constexpr double kEffFull = 0.42;
constexpr double kEffLora = 0.38;
constexpr double kEffQlora = 0.26;
// Fixed time per decoder layer per micro-batch pass (kernel launches and
// Python dispatch of transformers/PEFT modules), seconds. Dominates small
// micro-batches; calibrated on Qwen's seq 256..8192 rows.
constexpr double kLayerPassOverheadS = 0.9e-3;
// Consumer and workstation cards sustain a smaller fraction of their tensor
// peak (clocks under power limits): factor on the efficiency.
constexpr double kConsumerEffFactor = 0.8;
// Used when the catalog has no tensor peak for the card (dense bf16, TFLOP/s).
constexpr double kFallbackPeakTflops = 60.0;

}  // namespace

ThroughputEstimate EstimateThroughput(const ModelArch& arch, const TrainSetup& in, const Gpu& gpu) {
  ThroughputEstimate t;
  TrainSetup st = in;
  if (st.method == Method::kQlora && st.weight_quant == WeightQuant::kNone) st.weight_quant = WeightQuant::kNf4;
  st.batch_size_per_device = std::max(1, st.batch_size_per_device);
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
  double S = st.seq_len;
  // Forward FLOPs per token: 2 per weight of every matmul (Kaplan et al. 2020,
  // "C_forward ~ 2N") plus attention scores and values: 2 * 2 * S * q per
  // layer, halved for causal FlashAttention which skips masked blocks.
  double causal = st.flash_attention ? 0.5 : 1.0;
  double fwd_linear = 2 * (L * per_layer + vocab * h);
  double fwd_attn = 4 * S * q * L * causal;
  double fwd = fwd_linear + fwd_attn;
  double train = 0;
  bool full = st.method == Method::kFull;
  if (full) {
    train = 3 * fwd;  // backward = 2x forward (input and weight gradients)
  } else if (st.method == Method::kFreeze) {
    double frac = std::min(2.0, L) / L;
    train = fwd + fwd * frac * 2;
  } else {
    // Frozen weights: backward computes input gradients only (1x forward for
    // the linears), attention backward ~2x its forward; adapters add ~6 FLOPs
    // per adapter parameter per token (negligible at usual ranks).
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

  double eff = full ? kEffFull : (st.weight_quant != WeightQuant::kNone ? kEffQlora : kEffLora);
  std::string tier = gpu.tier;
  for (auto& ch : tier) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (tier.find("consumer") != std::string::npos || tier.find("workstation") != std::string::npos)
    eff *= kConsumerEffFactor;
  t.efficiency = eff;

  double tokens_mb = static_cast<double>(st.batch_size_per_device) * S;
  double passes = st.gradient_checkpointing ? 3 : 2;  // forward, backward (+ recompute)
  t.step_overhead_s = kLayerPassOverheadS * L * passes;
  double compute_s = tokens_mb * train / (peak * 1e12 * eff);
  double per_gpu = tokens_mb / (compute_s + t.step_overhead_s);
  t.tokens_per_sec = per_gpu * st.num_gpus;
  return t;
}

}  // namespace ftconfig
