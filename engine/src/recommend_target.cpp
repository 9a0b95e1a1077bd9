// Stage 1 of the recommendation: what the request is about — the GPU (from a
// platform plan or named), the model (catalog, architecture, parameter count
// or size bucket), the task and the adapter the GPU can run.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ftconfig/lora_modules.h"
#include "outline.h"
#include "recommend_internal.h"

FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN

namespace ftconfig::internal {

namespace {

std::string QuotedList(const std::vector<std::string>& ids) {
  std::string s;
  for (const auto& id : ids) s += (s.empty() ? "\"" : ", \"") + id + "\"";
  return s;
}

std::string Fixed(double v, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// The platform and plan, when given.
std::optional<Error> ResolvePlan(const Catalog& catalog, const Request& req, Target* t) {
  if (req.platform.empty()) {
    if (!req.plan.empty()) return Error{ErrorCode::kMissingField, "platform", "\"plan\" needs a \"platform\""};
    return std::nullopt;
  }
  auto p = catalog.FindPlatform(req.platform);
  if (!p.ok()) return p.error();
  t->platform = p.value();
  if (!req.plan.empty()) {
    auto pl = catalog.FindPlan(*t->platform, req.plan);
    if (!pl.ok()) return pl.error();
    t->plan = pl.value();
  } else if (t->platform->plans.size() == 1) {
    t->plan = &t->platform->plans[0];
  } else {
    std::vector<std::string> ids;
    for (const auto& pl : t->platform->plans) ids.push_back(pl.id);
    return Error{ErrorCode::kMissingField, "plan",
                 "platform \"" + t->platform->id + "\" has several plans; give \"plan\": one of " + QuotedList(ids)};
  }
  return std::nullopt;
}

// The GPU: named in the request, or the plan's.
std::optional<Error> ResolveGpu(const Catalog& catalog, const Request& req, Target* t) {
  if (!req.gpu_override.empty()) {
    auto g = catalog.FindGpu(req.gpu_override, "gpu_override");
    if (!g.ok()) return g.error();
    t->gpu = g.value();
    if (t->plan && !t->plan->gpu.empty() && t->plan->gpu != t->gpu->id)
      t->warnings.push_back("gpu_override \"" + t->gpu->name + "\" replaces the plan's " + t->plan->gpu +
                            "; price and session limits of the plan may not apply");
  } else if (t->plan && !t->plan->gpu.empty()) {
    t->gpu = catalog.GpuById(t->plan->gpu);
  } else if (t->plan) {
    return Error{ErrorCode::kMissingField, "gpu_override",
                 "platform \"" + t->platform->id + "\" plan \"" + t->plan->id + "\" needs \"gpu_override\" naming your GPU"};
  } else {
    return Error{ErrorCode::kMissingField, "platform",
                 "give \"platform\" and \"plan\" (see ftconfig catalog platforms) or \"gpu_override\""};
  }
  if (!t->gpu->cuda)
    return Error{ErrorCode::kUnsupported, req.gpu_override.empty() ? "plan" : "gpu_override",
                 t->gpu->name + " is not a CUDA GPU; ftconfig's dependency stacks and estimates cover NVIDIA CUDA GPUs only"};
  const bool plan_gpu = t->plan && (req.gpu_override.empty() || t->plan->gpu == t->gpu->id);
  t->num_gpus = req.num_gpus.value_or(plan_gpu ? t->plan->gpu_count : 1);
  return std::nullopt;
}

// Parameters from a given shape: embeddings + per-layer attention and MLP.
double ParamsFromShape(const ModelArch& a) {
  double h = a.hidden_size, kv = static_cast<double>(a.num_kv_heads) * std::max(1, a.head_dim);
  double attn = h * h * 2 + h * kv * 2;
  double mlp = (a.gated_mlp ? 3.0 : 2.0) * h * a.intermediate_size;
  return (a.num_layers * (attn + mlp) + h * a.vocab_size * (a.tie_word_embeddings ? 1 : 2)) / 1e9;
}

// Where the model's shape comes from: the catalog, an architecture, a
// parameter count or a size bucket.
std::optional<Error> ResolveModelSource(const Catalog& catalog, const Request& req, Target* t) {
  t->model_id = req.model;
  if (!req.model.empty()) {
    const ModelMatch match = catalog.MatchModel(req.model);
    if (const Model* m = match.model) {
      if (std::string note = match.Note(req.model); !note.empty()) t->warnings.push_back(note);
      t->model = m;
      t->arch = m->arch;
      t->model_id = m->id;
      t->family = m->family;
      t->model_source = "catalog";
      return std::nullopt;
    }
    if (!req.model_arch && !req.model_params_b) {
      t->params_from_name = NominalParamsFromName(req.model);
      if (!t->params_from_name)
        return Error{ErrorCode::kUnknownModel, "model",
                     "unknown model \"" + req.model + "\"; closest known: " +
                         QuotedList(catalog.ClosestModelNames(req.model)) +
                         ". Give \"model_params_b\" (billions of parameters) to use a model outside the catalog"};
    }
  }
  if (req.model_arch) t->model_source = "architecture";
  else if (req.model_params_b) t->model_source = "params";
  else if (t->params_from_name) t->model_source = "name";
  else if (!req.model_size_bucket.empty()) t->model_source = "size_bucket";
  else
    return Error{ErrorCode::kMissingField, "model",
                 "give \"model\" (a catalog id or alias), or \"model_params_b\", or \"model_size_bucket\""};
  return std::nullopt;
}

// The shape when it is not the catalog's.
void ResolveShape(const Request& req, Target* t) {
  if (t->model_source == "architecture") {
    t->arch = *req.model_arch;
    t->arch.params_b = req.model_params_b ? *req.model_params_b : ParamsFromShape(t->arch);
    t->penalties.push_back({0.05, "model architecture given by hand, not from the catalog"});
  } else if (t->model_source == "params") {
    t->arch = TypicalArchForParams(*req.model_params_b);
    t->penalties.push_back({0.1, "model not in the catalog: a typical architecture for " +
                                     Fixed(*req.model_params_b, 2) + "B parameters was assumed"});
  } else if (t->model_source == "name") {
    const double p = *t->params_from_name * kNominalParamsFactor;
    t->arch = TypicalArchForParams(p);
    t->penalties.push_back({0.2, "model not in the catalog: sized from its name"});
    t->warnings.push_back("\"" + req.model + "\" is not in the catalog: sized from the " +
                          Fixed(*t->params_from_name, 2) + "B its name states, as a typical decoder of " + Fixed(p, 2) +
                          "B (nominal sizes understate real counts by up to " + Fixed(kNominalParamsFactor, 2) +
                          "x in the catalog); give "
                          "\"model_params_b\" or the architecture for an exact answer. The exports load it with "
                          "AutoModelForCausalLM of transformers " + std::string(kPinnedTransformers) +
                          ": an architecture newer than that release, or a vision or audio checkpoint, needs its own "
                          "stack and model class");
  } else if (t->model_source == "size_bucket") {
    // The largest model of the bucket, so the answer is safe for any member.
    double p = req.model_size_bucket == "small" ? 1.0 : req.model_size_bucket == "medium" ? 7.5 : 13.0;
    t->arch = TypicalArchForParams(p);
    t->penalties.push_back({0.25, "only the size bucket is known: sized for a " + Fixed(p, 1) +
                                      "B model, the largest typical of \"" + req.model_size_bucket + "\""});
    if (req.model_size_bucket == "large")
      t->warnings.push_back("\"large\" covers everything above 7B; estimates assume 13B — give the model for a real answer");
  }
  if (t->arch.architecture != "decoder")
    t->penalties.push_back({0.1, "the memory model and the corpus are built for decoder-only models; this is " +
                                     t->arch.architecture});
}

std::optional<Error> ResolveTask(const Catalog& catalog, const Request& req, Target* t) {
  t->task = catalog.CanonicalTask(req.task_type);
  if (t->task.empty()) {
    std::vector<std::string> ids;
    for (const auto& task : catalog.tasks()) ids.push_back(task.id);
    return Error{ErrorCode::kUnknownTask, "task_type",
                 "unknown task \"" + req.task_type + "\"; expected one of " + QuotedList(ids)};
  }
  t->task_info = catalog.TaskById(t->task);
  t->task_family = TaskFamily(t->task);
  if (t->task_family == "classification" && t->arch.architecture == "encoder-decoder")
    t->warnings.push_back("classification with an encoder-decoder model: the exports train it as text-to-text");
  if ((t->task_family == "classification" || t->task_family == "reward") && t->model &&
      !SequenceClassificationAvailable(t->family, t->model_id))
    t->warnings.push_back(t->model_id + " has no sequence-classification model in transformers " +
                          kPinnedTransformers + " (the exports' pinned stack): the figures hold, but the "
                          "classification and reward-model exports are refused; pick a model with one (Llama, "
                          "Qwen, Mistral, Gemma 2) to export");
  if (t->task == "vision_language" && t->model && t->arch.vision_params_b <= 0)
    t->warnings.push_back("vision_language with " + t->model->id + ", a text-only model (no vision encoder): it "
                          "trains on the text of your data only; pick a vision-language model to train on images");
  else if (t->task == "vision_language")
    t->warnings.push_back("vision_language: the memory counts image tokens inside max_seq_length but not the vision "
                          "encoder's activations, and the exports train on the text of your data only (images are not "
                          "loaded); to train on images, use these values in a vision trainer (Unsloth's "
                          "FastVisionModel, TRL's sft_vlm.py example, LLaMA-Factory's multimodal templates)");
  const std::string framework = req.framework.empty() ? "hf-trainer" : req.framework;
  t->framework = FindFramework(framework);
  if (!t->framework)
    return Error{ErrorCode::kInvalidValue, "framework",
                 "unknown framework \"" + req.framework + "\"; expected one of " + FrameworkNames()};
  t->adapter = req.adapter_type;
  if (t->adapter == "qlora" && !t->gpu->bnb_4bit) {
    t->warnings.push_back(t->gpu->name + " has no bitsandbytes 4-bit support: QLoRA replaced by LoRA");
    t->adapter = "lora";
  } else if (t->adapter == "qlora" && !QloraPossible(*t->gpu, t->arch, t->framework)) {
    t->warnings.push_back(std::string(t->framework->label) + ": QLoRA replaced by LoRA on the 16-bit model: the MoE "
                          "experts of " + (t->model_id.empty() ? std::string("this model") : t->model_id) +
                          " are 3-D parameters, which bitsandbytes cannot quantize" +
                          (t->arch.layer_type == "gpt_oss"
                               ? " (the hub checkpoint's MXFP4 has no backward pass: transformers' Mxfp4Config("
                                 "dequantize=True) loads them in bf16); Unsloth (framework \"unsloth\") loads its "
                                 "own checkpoint with NF4 experts"
                               : ""));
    t->adapter = "lora";
  }
  return std::nullopt;
}

}  // namespace

bool FusedExperts(const ModelArch& arch) { return arch.is_moe && arch.num_experts > 1 && !arch.experts_linear; }

bool QloraPossible(const Gpu& gpu, const ModelArch& arch, const FrameworkProfile* framework) {
  if (!gpu.bnb_4bit) return false;
  // Only gpt-oss has such a checkpoint of its own (Unsloth's NF4 upload).
  return !FusedExperts(arch) || (framework && framework->quantizes_fused_experts && arch.layer_type == "gpt_oss");
}

bool IsPreferenceTask(const std::string& task) { return SequencesPerExample(task) == 2; }

std::string TaskFamily(const std::string& task) {
  if (task == "preference_dpo" || task == "preference_orpo" || task == "preference_kto") return "preference";
  if (task == "reward_modeling") return "reward";
  if (task == "classification") return "classification";
  if (task == "continued_pretraining") return "pretraining";
  return "sft";
}

Result<Target> ResolveTarget(const Catalog& catalog, const Request& req) {
  Target t;
  if (auto e = ResolvePlan(catalog, req, &t)) return *e;
  if (auto e = ResolveGpu(catalog, req, &t)) return *e;
  if (auto e = ResolveModelSource(catalog, req, &t)) return *e;
  ResolveShape(req, &t);
  if (auto e = ResolveTask(catalog, req, &t)) return *e;
  return t;
}

}  // namespace ftconfig::internal

FTCONFIG_OPTIMIZE_FOR_SIZE_END
