// Stage 4 of the recommendation: the memory plan. Techniques that keep the
// training the practitioner asked for are tried before anything that changes
// what the model learns from: the sequence the data needs is shortened last,
// and never below its floor. See docs/recommendation.md, "Memory plan".
#include <algorithm>
#include <cstdio>
#include <functional>

#include "outline.h"
#include "recommend_internal.h"

FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN

namespace ftconfig {
namespace internal {

namespace {

LoraTarget ModelTarget(const std::string& canonical) {
  if (canonical == "qv") return LoraTarget::kQV;
  if (canonical == "attention") return LoraTarget::kAttention;
  if (canonical == "all_linear_embed") return LoraTarget::kAllLinearPlusEmbed;
  return LoraTarget::kAllLinear;
}

Sharding ModelSharding(const std::string& distribution, int num_gpus) {
  if (distribution == "zero2") return Sharding::kZero2;
  if (distribution == "zero3" || distribution == "zero3_offload") return Sharding::kZero3;
  return num_gpus > 1 ? Sharding::kDdp : Sharding::kNone;
}

// One technique of the plan: whether it applies to a candidate, and what it
// changes. `field` names the hyperparameter it sets.
struct Technique {
  const char* field;
  std::function<bool(const Candidate&)> applies;
  std::function<void(Candidate*)> apply;
  std::function<std::string(const Candidate&)> describe;
};

// ZeRO-Offload keeps fp32 master weights, gradients and Adam's two states in
// CPU memory: 16 bytes per trainable parameter across the node.
std::string OffloadStep(const Candidate& c, const Context& ctx) {
  std::string text = "ZeRO-3 with gradients and optimizer states offloaded to CPU memory (much slower)";
  if (c.adapter != "none") return text;
  char ram[96];
  std::snprintf(ram, sizeof ram, "; needs about %.0f GB of CPU RAM", ctx.arch.params_b * 16);
  return text + ram;
}

// In order of cost (docs/recommendation.md, "Memory plan"): gradient
// checkpointing costs ~30% speed and nothing in quality; on several GPUs,
// sharding weights, gradients and optimizer states (ZeRO-3 / FSDP full
// shard, what full fine-tuning recipes on several GPUs use) costs only
// communication; an 8-bit optimizer nothing measurable in quality (Dettmers
// et al. 2022); QLoRA a little quality and speed; CPU offload much speed;
// pure bf16 some quality (no fp32 master weights). Then the sequence down to
// the data's floor, and last smaller adapters (ShrinkAdapters).
std::vector<Technique> Techniques(const Context& ctx, bool allow_qlora) {
  const Gpu& gpu = *ctx.gpu;
  const bool multi = ctx.num_gpus > 1;
  std::vector<Technique> t;
  t.push_back({"gradient_checkpointing", [](const Candidate& c) { return !c.grad_ckpt; },
               [](Candidate* c) { c->grad_ckpt = true; },
               [](const Candidate&) { return std::string("gradient checkpointing on (recomputes activations: ~30% slower)"); }});
  t.push_back({"distribution", [multi](const Candidate& c) { return multi && (c.distribution == "ddp" || c.distribution == "none"); },
               [](Candidate* c) { c->distribution = "zero3"; },
               [](const Candidate&) { return std::string("ZeRO-3 (FSDP full shard): weights, gradients and optimizer states sharded across the GPUs"); }});
  t.push_back({"optimizer", [&gpu](const Candidate& c) { return c.adapter == "none" && !Is8bit(c.optimizer) && gpu.bnb_4bit; },
               [](Candidate* c) { c->optimizer = "paged_adamw_8bit"; },
               [](const Candidate&) { return std::string("8-bit paged AdamW: optimizer states in 8 bits"); }});
  const bool qlora = allow_qlora && QloraPossible(gpu, ctx.arch, ctx.framework);
  t.push_back({"adapter_type", [qlora](const Candidate& c) { return c.adapter == "lora" && qlora; },
               [](Candidate* c) {
                 c->adapter = "qlora";
                 if (c->optimizer == "adamw") c->optimizer = "paged_adamw_8bit";
               },
               [](const Candidate&) { return std::string("QLoRA: base weights in 4-bit NF4"); }});
  t.push_back({"distribution", [multi](const Candidate& c) { return multi && c.distribution == "zero3"; },
               [](Candidate* c) {
                 c->distribution = "zero3_offload";
                 // The step runs on the CPU (DeepSpeed's CPU Adam): an 8-bit GPU
                 // optimizer chosen earlier in the plan no longer saves GPU memory.
                 if (c->adapter == "none" && Is8bit(c->optimizer)) c->optimizer = "adamw";
               },
               [&ctx](const Candidate& c) { return OffloadStep(c, ctx); }});
  t.push_back({"precision", [&gpu](const Candidate& c) { return c.adapter == "none" && gpu.bf16 && !c.pure_bf16 && !c.fp32; },
               [](Candidate* c) { c->pure_bf16 = true; },
               [](const Candidate&) { return std::string("pure bf16: weights and optimizer math in bf16, no fp32 master copy"); }});
  return t;
}

// The largest power-of-two micro-batch, at most `max_batch`, that fits; the
// accumulation keeps `target` examples per device and step. False when even
// 1 does not fit.
bool FitBatch(Candidate* c, int max_batch, int target, const Context& ctx, FitResult* fit) {
  int largest = 1;
  while (largest * 2 <= std::min(max_batch, target)) largest *= 2;
  for (int b = largest; b >= 1; b /= 2) {
    Candidate t = *c;
    t.batch = b;
    t.accum = std::max(1, target / b);
    FitResult f = Check(t, ctx);
    if (f.fits) {
      *c = t;
      *fit = f;
      return true;
    }
  }
  return false;
}

void NoteBatch(const Candidate& before_target, const Candidate& c, std::vector<PlanStep>* steps) {
  if (c.batch >= before_target.batch) return;
  steps->push_back({"batch_size_per_device", "batch_size_per_device " + std::to_string(c.batch) +
                                                  " with gradient_accumulation_steps " + std::to_string(c.accum) +
                                                  " (the effective batch is kept)"});
}

// Applies the next technique that lowers the peak at micro-batch 1; false
// when none is left. A technique that does not help is not kept, except as
// the step to the next one of its chain (ZeRO-2 before ZeRO-3).
bool ApplyNextTechnique(Candidate* c, const Context& ctx, const std::vector<Technique>& techniques,
                        std::vector<PlanStep>* steps) {
  auto peak_at_one = [&ctx](Candidate x) {
    x.batch = 1;
    return Check(x, ctx).peak_gb;
  };
  const double before = peak_at_one(*c);
  Candidate trial = *c;
  for (const Technique& t : techniques) {
    if (!t.applies(trial)) continue;
    t.apply(&trial);
    double after = peak_at_one(trial);
    if (after < before * 0.99) {
      steps->push_back({t.field, t.describe(trial) + ": " + Gb(before) + " -> " + Gb(after) + " at micro-batch 1"});
      *c = trial;
      return true;
    }
  }
  return false;
}

}  // namespace

bool Is8bit(const std::string& optimizer) {
  return optimizer == "adamw_8bit" || optimizer == "paged_adamw_8bit";
}

Context MakeContext(const Gpu& gpu, int num_gpus, const ModelArch& arch, const std::string& task) {
  Context ctx;
  ctx.gpu = &gpu;
  ctx.num_gpus = std::max(1, num_gpus);
  ctx.arch = arch;
  ctx.task = task;
  ctx.sequences_per_example = SequencesPerExample(task);
  return ctx;
}

TrainSetup ToSetup(const Candidate& c, const Context& ctx) {
  TrainSetup s;
  s.method = c.adapter == "none" ? Method::kFull : c.adapter == "qlora" ? Method::kQlora : Method::kLora;
  s.weight_quant = c.adapter == "qlora" ? WeightQuant::kNf4 : WeightQuant::kNone;
  s.precision = c.fp32 ? Precision::kFp32
                : c.pure_bf16 ? Precision::kBf16Pure
                : c.bf16 ? Precision::kBf16Mixed : Precision::kFp16Mixed;
  // The trainer's techniques (loss, checkpointing flavour, 4-bit backend, ...);
  // the candidate's own choices below override its defaults.
  if (ctx.framework) ApplyFramework(*ctx.framework, &s);
  s.optimizer = ModelOptimizer(c.optimizer);
  s.batch_size_per_device = c.batch;
  s.gradient_accumulation_steps = c.accum;
  s.seq_len = c.seq;
  s.gradient_checkpointing = c.grad_ckpt;
  s.activation_offload = s.activation_offload && c.grad_ckpt;
  // PyTorch SDPA picks a memory-efficient kernel on every CUDA GPU the stacks
  // support; FlashAttention 2 where the card has it. Both keep attention
  // memory linear in the sequence.
  s.flash_attention = true;
  s.lora_r = c.lora_r;
  s.lora_target = ModelTarget(c.lora_target);
  s.num_gpus = ctx.num_gpus;
  s.sharding = ModelSharding(c.distribution, ctx.num_gpus);
  s.cpu_offload = c.distribution == "zero3_offload";
  s.eval_batch_size = c.batch;
  s.nf4_double_quant = c.adapter == "qlora";  // the response sets bnb_4bit_use_double_quant
  s.fused_optimizer = s.fused_optimizer && s.optimizer == Optimizer::kAdamW;
  ApplyTaskMemoryTerms(ctx.task, &s);
  return s;
}

FTCONFIG_NOINLINE FitResult Check(const Candidate& c, const Context& ctx) {
  FitResult r;
  r.estimate = EstimateMemory(ctx.arch, ToSetup(c, ctx));
  if (ctx.calibration) ctx.calibration->ApplyMemory(&r.estimate);
  r.limit_gb = ctx.gpu->usable_vram_gb * Engine::kFitFraction;
  r.peak_gb = std::max(r.estimate.peak_gb, r.estimate.eval_peak_gb);
  r.fits = r.peak_gb <= r.limit_gb;
  // Seed 004's memory guard: where runs of this context were observed, 1.2 x
  // their p95 measured/estimated ratio must fit the usable memory too.
  if (ctx.calibration && ctx.calibration->GuardPeakGb(r.estimate) > ctx.gpu->usable_vram_gb) r.fits = false;
  return r;
}

// The smallest rank the plan gives all linear layers before it narrows them.
constexpr int kMinPlanRank = 4;

// At the floor, adapters shrink before they narrow: a smaller rank on every
// linear layer (down to 4), then the attention projections only at the
// chosen rank. Adapting the MLP layers matters more than the rank (Schulman et
// al. 2025, "LoRA Without Regret", Thinking Machines Lab: attention-only LoRA
// underperforms all-layer LoRA even at a matched parameter count, and small
// ranks keep most of the quality on small and medium datasets).
bool ShrinkAdapters(const Candidate& c, const Candidate& start, int target, const Context& ctx, PlanOutcome* out) {
  if (c.adapter == "none" || c.lora_target != "all_linear") return false;
  const std::string at = " at " + std::to_string(c.seq) + " tokens";
  for (Candidate smaller = c; smaller.lora_r / 2 >= kMinPlanRank;) {
    smaller.lora_r /= 2;
    if (FitBatch(&smaller, start.batch, target, ctx, &out->fit)) {
      out->steps.push_back({"lora_r", "lora_r " + std::to_string(c.lora_r) + " -> " + std::to_string(smaller.lora_r) +
                                          " on all linear layers: rank " + std::to_string(c.lora_r) +
                                          " does not fit" + at + " (the layers adapted matter more than the rank)"});
      NoteBatch(start, smaller, &out->steps);
      out->cand = smaller;
      return true;
    }
  }
  Candidate narrow = c;
  narrow.lora_target = "attention";
  if (!FitBatch(&narrow, start.batch, target, ctx, &out->fit)) return false;
  out->steps.push_back({"lora_target", "LoRA on the attention projections only: all linear layers do not fit" + at +
                                          ", even at rank " + std::to_string(kMinPlanRank)});
  NoteBatch(start, narrow, &out->steps);
  out->cand = narrow;
  return true;
}

FTCONFIG_NOINLINE PlanOutcome PlanMemory(Candidate c, const Context& ctx, bool allow_qlora, int seq_floor) {
  PlanOutcome out;
  const Candidate start = c;
  const int target = std::max(1, c.batch * c.accum);
  const auto techniques = Techniques(ctx, allow_qlora);
  // Techniques first, each followed by the largest micro-batch that fits.
  for (;;) {
    if (FitBatch(&c, start.batch, target, ctx, &out.fit)) {
      NoteBatch(start, c, &out.steps);
      out.cand = c;
      return out;
    }
    if (!ApplyNextTechnique(&c, ctx, techniques, &out.steps)) break;
  }
  // Then the sequence, down to the floor the data sets.
  while (c.seq > seq_floor) {
    int shorter = std::max(seq_floor, c.seq / 2);
    out.steps.push_back({"max_seq_length", "max_seq_length " + std::to_string(c.seq) + " -> " +
                                               std::to_string(shorter) + ": every other technique was not enough"});
    c.seq = shorter;
    if (FitBatch(&c, start.batch, target, ctx, &out.fit)) {
      NoteBatch(start, c, &out.steps);
      out.cand = c;
      return out;
    }
  }
  // Last, smaller adapters at the floor.
  if (ShrinkAdapters(c, start, target, ctx, &out)) return out;
  c.batch = 1;
  c.accum = target;
  out.cand = c;
  out.fit = Check(c, ctx);
  return out;  // does not fit at the length the data needs
}

FTCONFIG_NOINLINE Candidate FromRecord(const ConfigRecord& r, const std::string& adapter, const Gpu& gpu,
                                       int num_gpus) {
  Candidate c;
  c.adapter = adapter;
  c.batch = r.batch_size_per_device;
  c.accum = r.gradient_accumulation_steps;
  c.seq = r.max_seq_length.value_or(1024);
  c.grad_ckpt = r.gradient_checkpointing.value_or(true);
  c.lora_r = r.lora_r.value_or(16);
  c.lora_target = r.lora_target.empty() ? "all_linear" : r.lora_target;
  c.optimizer = r.optimizer.empty() ? "adamw" : r.optimizer;
  c.bf16 = gpu.bf16;
  c.distribution = num_gpus > 1 ? "ddp" : "none";
  return c;
}

FTCONFIG_NOINLINE double Headroom(const Candidate& c, const Context& ctx) {
  FitResult f = Check(c, ctx);
  return (f.limit_gb - f.peak_gb) / ctx.gpu->usable_vram_gb;
}

}  // namespace internal

double ConfigHeadroom(const ConfigRecord& config, const ModelArch& arch, const Gpu& gpu, int num_gpus,
                      const std::string& task_type, const std::string& adapter_type) {
  internal::Context ctx = internal::MakeContext(gpu, num_gpus, arch, task_type);
  return internal::Headroom(internal::FromRecord(config, adapter_type, gpu, ctx.num_gpus), ctx);
}

}  // namespace ftconfig

FTCONFIG_OPTIMIZE_FOR_SIZE_END
