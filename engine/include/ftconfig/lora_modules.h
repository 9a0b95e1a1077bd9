// LoRA module names per architecture: which nn.Linear (or GPT-2 Conv1D)
// modules a LoRA target class means for a given model. The names are those of
// the transformers model code; tests/py/check_lora_modules.py builds a tiny
// model of every catalog model from its config and fails on a name the model
// lacks. docs/exports.md lists the table.
#ifndef FTCONFIG_LORA_MODULES_H_
#define FTCONFIG_LORA_MODULES_H_

#include <string>
#include <vector>

namespace ftconfig {

// The classes a recommendation chooses from (hyperparameters.lora_target_class).
//   "all_linear": every linear layer of the transformer blocks (attention and MLP)
//   "attention":  the attention projections (query, key, value, output)
//   "qv":         the query and value projections (fused qkv where the model fuses them)
bool IsLoraTargetClass(const std::string& target_class);

// The module-name layout of a model: "llama" (q_proj..down_proj; Llama, Mistral,
// Qwen, Gemma, OLMo, SmolLM, DeepSeek), "mixtral", "phi3" (fused qkv_proj,
// gate_up_proj), "phi" (phi-1/2), "gpt2", "gpt_neox" (Pythia), "falcon", "opt",
// "starcoder2", "t5", "t5_gated" (Flan-T5, wi_0/wi_1), "bert" (BERT, RoBERTa),
// "deberta_v2", "distilbert". From the catalog family when given, else from the
// model id; "" when neither names a known layout (the functions below then use
// the Llama layout, the most common one).
std::string LoraArchitecture(const std::string& family, const std::string& model_id);

// The target_modules for `target_class` ("all_linear" | "attention" | "qv"),
// as PEFT matches them (a name matches a module whose dotted path ends with
// it). Empty for an unknown class.
std::vector<std::string> LoraTargetModules(const std::string& family, const std::string& model_id,
                                           const std::string& target_class);

// The input embedding and output head (modules_to_save when the embeddings
// train in full, e.g. lora_target "all-linear,embed_tokens,lm_head").
std::vector<std::string> LoraEmbeddingModules(const std::string& family, const std::string& model_id);

// The new head of a sequence-classification / reward model (modules_to_save:
// it starts random and must train with the adapter).
std::vector<std::string> ClassifierHeadModules(const std::string& family, const std::string& model_id);

// The transformers release whose model code the tables describe: the one
// data/catalog/stacks.json pins for every GPU before Blackwell.
inline constexpr const char* kPinnedTransformers = "4.55.2";

// Whether the pinned transformers (kPinnedTransformers) has a sequence-classification
// model for this architecture: AutoModelForSequenceClassification, which the
// classification and reward-model exports load. False for gpt-oss, OLMo and
// the text-only Gemma 3 checkpoints (1B, 270M: Gemma3TextConfig); the
// multimodal Gemma 3 checkpoints have Gemma3ForSequenceClassification.
bool SequenceClassificationAvailable(const std::string& family, const std::string& model_id);

// The class of a recommendation's lora_target string: "q_proj,v_proj" -> "qv",
// "q_proj,k_proj,v_proj,o_proj" -> "attention", "all-linear" (with or without
// embeddings) -> "all_linear". A list naming MLP layers is "all_linear"; one
// naming only query and value is "qv"; other attention lists "attention".
std::string LoraTargetClassOf(const std::string& lora_target);

// True when the lora_target string also trains the embeddings in full
// ("all-linear,embed_tokens,lm_head").
bool LoraTargetTrainsEmbeddings(const std::string& lora_target);

}  // namespace ftconfig

#endif  // FTCONFIG_LORA_MODULES_H_
