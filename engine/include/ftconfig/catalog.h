// Catalogs of GPUs, platforms and plans, models, dependency stacks, task
// types and known datasets. Built from the JSON files in data/catalog/ (see
// data/README.md for their schema); the engine is handed their contents and
// never opens files itself.
#ifndef FTCONFIG_CATALOG_H_
#define FTCONFIG_CATALOG_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ftconfig/result.h"

namespace ftconfig {

using json = nlohmann::json;

struct Gpu {
  std::string id;    // short slug, e.g. "t4", "a100-80gb"
  std::string name;  // display name, e.g. "NVIDIA T4"
  std::vector<std::string> aliases;
  std::string vendor;
  std::string architecture;
  double compute_capability = 0;  // e.g. 7.5; 0 for non-CUDA devices
  double vram_gb = 0;             // nominal, decimal GB
  double usable_vram_gb = 0;      // what one process can allocate, decimal GB
  bool bf16 = false;
  bool flash_attention2 = false;
  bool bnb_4bit = false;
  bool cuda = true;
  std::optional<double> peak_tflops_fp16;  // dense tensor TFLOP/s
  std::optional<double> peak_tflops_bf16;
  std::optional<double> peak_tflops_fp32;
  std::optional<double> bandwidth_gbps;    // GB/s
  std::string tier;
  json source;  // provenance, as in the data file
};

struct Plan {
  std::string id;
  std::string name;
  std::vector<std::string> aliases;
  std::string gpu;  // gpu id; empty for "bring your own" (local)
  int gpu_count = 1;
  std::optional<double> session_limit_hours;
  std::optional<double> price_per_gpu_hour_usd;
  std::string price_date;
  std::string price_source;                    // where the price comes from (planning cites it)
  std::optional<double> weekly_quota_hours;    // free GPU hours per week (Kaggle: 30)
  std::string notes;
};

struct Platform {
  std::string id;
  std::string name;
  std::string kind;  // notebook | cloud | local
  std::vector<std::string> aliases;
  std::vector<Plan> plans;
};

// Architecture facts needed by the memory and time model.
struct ModelArch {
  double params_b = 0;  // total parameters, billions (all experts for MoE)
  // A multimodal checkpoint's vision encoder and projector, billions: loaded
  // with the model and frozen (text data leaves it idle), not in params_b.
  double vision_params_b = 0;
  int hidden_size = 0;
  int intermediate_size = 0;
  int num_layers = 0;
  int num_attention_heads = 0;
  int num_kv_heads = 0;
  int head_dim = 0;
  int vocab_size = 0;
  int max_position_embeddings = 0;
  bool tie_word_embeddings = false;
  bool is_moe = false;
  int num_experts = 0;
  int experts_per_token = 0;
  // MoE experts as nn.Linear modules in the pinned transformers (bitsandbytes
  // quantizes them, LoRA targets them by name); false: 3-D parameters
  // (gpt-oss), which neither touches.
  bool experts_linear = true;
  bool gated_mlp = true;
  std::string architecture = "decoder";  // decoder | encoder | encoder-decoder
  // The decoder layer's shape where it differs from Llama's, for the
  // activation terms: "" or one of ftconfig/memory.h kLayerTypes (LayerTypeOf).
  // Set from the id when the catalog loads.
  std::string layer_type;
};

struct Model {
  std::string id;  // Hub id, e.g. "meta-llama/Llama-3.1-8B"
  std::string name;
  std::string family;
  std::vector<std::string> aliases;
  ModelArch arch;
};

struct Stack {
  std::string id;
  std::string label;
  double min_cc = 0;
  std::optional<double> max_cc;
  std::vector<std::string> platforms;  // empty: any platform
  bool requires_flash_attention2 = false;
  json pins;  // the whole entry (python, cuda, packages, index url, source)
};

struct TaskType {
  std::string id;
  std::string label;
  bool corpus_supported = true;
};

struct DatasetInfo {
  std::string name;
  std::vector<std::string> aliases;
  std::optional<double> num_examples;
  std::optional<double> avg_tokens;
};

// The raw contents of the catalog files (JSON text each).
struct CatalogFiles {
  std::string gpus, platforms, models, stacks, tasks, datasets;
};

// How a model name matched the catalog (Catalog::MatchModel).
struct ModelMatch {
  const Model* model = nullptr;
  std::vector<std::string> dropped;  // variant / packaging words dropped to match, as written
  bool prequantized = false;         // the dropped words name a quantized checkpoint (bnb-4bit, GPTQ, AWQ, GGUF)
  // One sentence for a variant match ("" for a direct one or no match).
  std::string Note(const std::string& name) const;
};

// The parameter count (billions) a model name states, for a model outside the
// catalog: "Qwen/Qwen3.5-9B" 9, "LFM2.5-1.2B" 1.2, "SmolLM-360M" 0.36, a
// sparse "Qwen3-30B-A3B" its total 30. Nothing when the name states no total:
// no size, "8x22B" (shared attention: the total is not the product), an
// active size ("Llama-4-Scout-17B-16E", "A3B"), an effective one ("E2B").
std::optional<double> NominalParamsFromName(const std::string& name);

// Real parameter counts over nominal ones reach 1.31 in the catalog (Gemma 2
// 2B: 2.61B; Gemma 7B: 8.54B; Llama 3.2 1B: 1.24B): a model sized from its
// name is sized at this multiple, so the estimate does not fall short.
inline constexpr double kNominalParamsFactor = 1.31;

class Catalog {
 public:
  // Parses and validates all catalog files. Errors: kInvalidJson, kDataError
  // (field names the file and entry).
  static Result<Catalog> Load(const CatalogFiles& files);

  const std::vector<Gpu>& gpus() const { return gpus_; }
  const std::vector<Platform>& platforms() const { return platforms_; }
  const std::vector<Model>& models() const { return models_; }
  const std::vector<Stack>& stacks() const { return stacks_; }
  const std::vector<TaskType>& tasks() const { return tasks_; }

  // Lenient lookup: "T4", "Tesla T4", "nvidia-t4", "A100 80GB", "4090" all
  // resolve, and so do names as people write them: vendor prefixes ("NVIDIA
  // A100 80GB PCIe"), instance or remarks in parentheses ("NVIDIA A10G 24GB
  // (g5.2xlarge)"), a memory size the catalog has no card for ("H100 96GB":
  // the catalog's smaller card of that name). A name without its memory size
  // ("A100") resolves to the smaller card; `note`, when given, then receives
  // the assumption in one sentence (else it is cleared). kUnknownGpu lists
  // the closest names.
  Result<const Gpu*> FindGpu(const std::string& name, const std::string& field = "gpu",
                             std::string* note = nullptr) const;
  const Gpu* GpuById(const std::string& id) const;
  Result<const Platform*> FindPlatform(const std::string& name) const;
  Result<const Plan*> FindPlan(const Platform& platform, const std::string& name) const;
  // By id or alias, case-insensitive; nullptr when unknown. Also matches a
  // variant name (MatchModel): "unsloth/Meta-Llama-3.1-8B-Instruct-bnb-4bit"
  // is meta-llama/Llama-3.1-8B.
  const Model* FindModel(const std::string& name) const;
  // FindModel with how the name matched: a name the catalog lacks matches the
  // model it names once trailing variant and packaging words are dropped
  // (instruct, chat, it, base, hf, a release date such as 2407, bnb-4bit,
  // GPTQ-Int4, AWQ, GGUF, ...). Such words name a fine-tune or a re-packaging
  // of the same architecture, never another size.
  ModelMatch MatchModel(const std::string& name) const;
  // Canonical task id for an id or alias; empty when unknown.
  std::string CanonicalTask(const std::string& name) const;
  const TaskType* TaskById(const std::string& id) const;
  const DatasetInfo* FindDataset(const std::string& name) const;
  // First stack whose compute-capability range (and platform, when listed)
  // matches; nullptr for non-CUDA GPUs.
  const Stack* SelectStack(const Gpu& gpu, const std::string& platform_id) const;
  // Dataset size bucket thresholds (examples): small < small_max <= medium < medium_max <= large.
  double dataset_small_max() const { return small_max_; }
  double dataset_medium_max() const { return medium_max_; }

  // Up to `n` known names closest to `query` (edit distance on normalized keys).
  std::vector<std::string> ClosestGpuNames(const std::string& query, size_t n = 3) const;
  std::vector<std::string> ClosestModelNames(const std::string& query, size_t n = 3) const;

 private:
  // Load's stages, one per file (the error names the file and entry).
  std::optional<Error> LoadGpus(const std::string& text);
  std::optional<Error> LoadPlatforms(const std::string& text);
  std::optional<Error> LoadModels(const std::string& text);
  std::optional<Error> LoadStacks(const std::string& text);
  std::optional<Error> LoadTasks(const std::string& text);
  std::optional<Error> LoadDatasets(const std::string& text);
  const Gpu* LookupGpuKey(const std::string& raw_key) const;
  const Gpu* LargerGpuOfSameName(const Gpu& g, const std::string& sizeless_key) const;
  std::vector<Gpu> gpus_;
  std::vector<Platform> platforms_;
  std::vector<Model> models_;
  std::vector<Stack> stacks_;
  std::vector<TaskType> tasks_;
  std::vector<DatasetInfo> datasets_;
  std::map<std::string, size_t> gpu_index_;       // normalized key -> gpus_ index
  std::map<std::string, size_t> platform_index_;
  std::map<std::string, size_t> model_index_;
  std::map<std::string, std::string> task_alias_;  // normalized alias -> id
  std::map<std::string, size_t> dataset_index_;
  double small_max_ = 10000, medium_max_ = 100000;
};

// Lowercases and maps runs of spaces, '_', '-' and '/' to nothing, so that
// "A100 80GB", "a100-80gb" and "A100_80GB" compare equal.
std::string NormalizeKey(const std::string& s);

}  // namespace ftconfig

#endif  // FTCONFIG_CATALOG_H_
