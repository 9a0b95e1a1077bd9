// LoRA module names per architecture (ftconfig/lora_modules.h). The names are
// facts of the model code of the transformers release the exports pin
// (data/catalog/stacks.json: 4.55.2; modeling_<arch>.py of each model);
// tests/py/check_lora_modules.py proves every one against a tiny model built
// from each catalog model's architecture, in that release.
#include "ftconfig/lora_modules.h"

#include <algorithm>
#include <cctype>

namespace ftconfig {

namespace {

using Names = std::vector<std::string>;

struct Layout {
  const char* id;
  Names qv, attention, mlp, embedding, head;
};

// One row per module-name layout. "x.y" names are dotted suffixes (PEFT matches
// a target against the end of a module's path), used where one short name
// would also hit another layer (GPT-2's c_proj is in attention and MLP alike).
const Layout kLayouts[] = {
    {"llama", {"q_proj", "v_proj"}, {"q_proj", "k_proj", "v_proj", "o_proj"}, {"gate_proj", "up_proj", "down_proj"},
     {"embed_tokens", "lm_head"}, {"score"}},
    // Mixtral's experts are nn.Linear w1/w3 (gate, up) and w2 (down) per
    // expert in 4.55 (MixtralBlockSparseTop2MLP); the router "gate" is left out.
    {"mixtral", {"q_proj", "v_proj"}, {"q_proj", "k_proj", "v_proj", "o_proj"}, {"w1", "w2", "w3"},
     {"embed_tokens", "lm_head"}, {"score"}},
    // Qwen3-MoE: every expert an MLP of gate_proj/up_proj/down_proj nn.Linear
    // (Qwen3MoeSparseMoeBlock.experts, 4.55); the router "gate" is left out.
    {"qwen3_moe", {"q_proj", "v_proj"}, {"q_proj", "k_proj", "v_proj", "o_proj"},
     {"gate_proj", "up_proj", "down_proj"}, {"embed_tokens", "lm_head"}, {"score"}},
    // gpt-oss: the experts are 3-D parameters (GptOssExperts.gate_up_proj,
    // down_proj) and the router a parameter too: the attention projections are
    // the only nn.Linear layers of a block.
    {"gpt_oss", {"q_proj", "v_proj"}, {"q_proj", "k_proj", "v_proj", "o_proj"}, {}, {"embed_tokens", "lm_head"},
     {"score"}},
    {"phi3", {"qkv_proj"}, {"qkv_proj", "o_proj"}, {"gate_up_proj", "down_proj"}, {"embed_tokens", "lm_head"},
     {"score"}},
    {"phi", {"q_proj", "v_proj"}, {"q_proj", "k_proj", "v_proj", "dense"}, {"fc1", "fc2"},
     {"embed_tokens", "lm_head"}, {"score"}},
    {"gpt2", {"c_attn"}, {"c_attn", "attn.c_proj"}, {"c_fc", "mlp.c_proj"}, {"wte", "lm_head"}, {"score"}},
    // The output head is "embed_out" in 4.55 ("lm_head" from transformers 5).
    {"gpt_neox", {"query_key_value"}, {"query_key_value", "attention.dense"}, {"dense_h_to_4h", "dense_4h_to_h"},
     {"embed_in", "embed_out"}, {"score"}},
    {"falcon", {"query_key_value"}, {"query_key_value", "self_attention.dense"}, {"dense_h_to_4h", "dense_4h_to_h"},
     {"word_embeddings", "lm_head"}, {"score"}},
    {"opt", {"q_proj", "v_proj"}, {"q_proj", "k_proj", "v_proj", "out_proj"}, {"fc1", "fc2"},
     {"embed_tokens", "lm_head"}, {"score"}},
    {"starcoder2", {"q_proj", "v_proj"}, {"q_proj", "k_proj", "v_proj", "o_proj"}, {"c_fc", "c_proj"},
     {"embed_tokens", "lm_head"}, {"score"}},
    {"t5", {"q", "v"}, {"q", "k", "v", "o"}, {"wi", "wo"}, {"shared", "lm_head"}, {"classification_head"}},
    {"t5_gated", {"q", "v"}, {"q", "k", "v", "o"}, {"wi_0", "wi_1", "wo"}, {"shared", "lm_head"},
     {"classification_head"}},
    {"bert", {"query", "value"}, {"query", "key", "value", "attention.output.dense"},
     {"intermediate.dense", "output.dense"}, {"word_embeddings"}, {"classifier"}},
    {"deberta_v2", {"query_proj", "value_proj"}, {"query_proj", "key_proj", "value_proj", "attention.output.dense"},
     {"intermediate.dense", "output.dense"}, {"word_embeddings"}, {"pooler", "classifier"}},
    {"distilbert", {"q_lin", "v_lin"}, {"q_lin", "k_lin", "v_lin", "out_lin"}, {"lin1", "lin2"},
     {"word_embeddings"}, {"pre_classifier", "classifier"}},
};

std::string Lower(const std::string& s) {
  std::string out = s;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool Has(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

std::string LayoutOfFamily(const std::string& family, const std::string& id) {
  if (family == "llama" || family == "mistral" || family == "qwen" || family == "gemma" || family == "olmo" ||
      family == "smollm" || family == "deepseek")
    return "llama";
  if (family == "mixtral") return "mixtral";
  if (family == "qwen3_moe") return "qwen3_moe";
  if (family == "gpt_oss") return "gpt_oss";
  if (family == "phi") return Has(id, "phi-1") || Has(id, "phi-2") || Has(id, "phi_1") ? "phi" : "phi3";
  if (family == "gpt2") return "gpt2";
  if (family == "pythia" || family == "gpt-neox" || family == "gpt_neox") return "gpt_neox";
  if (family == "falcon") return "falcon";
  if (family == "opt") return "opt";
  if (family == "starcoder") return Has(id, "starcoder2") ? "starcoder2" : "gpt2";
  if (family == "t5") return Has(id, "flan-t5") || Has(id, "t5-v1_1") || Has(id, "t5-v1.1") ? "t5_gated" : "t5";
  if (family == "bert" || family == "roberta") return "bert";
  if (family == "deberta") return "deberta_v2";
  if (family == "distilbert") return "distilbert";
  return "";
}

std::string LayoutOfId(const std::string& id) {
  if (Has(id, "mixtral")) return "mixtral";
  if (Has(id, "gpt-oss") || Has(id, "gpt_oss")) return "gpt_oss";
  // Qwen3's sparse checkpoints name their active size: Qwen3-30B-A3B, Qwen3-235B-A22B.
  if (Has(id, "qwen3-") && (Has(id, "-a3b") || Has(id, "-a22b"))) return "qwen3_moe";
  if (Has(id, "phi-1") || Has(id, "phi-2") || Has(id, "phi_1")) return "phi";
  if (Has(id, "phi-3") || Has(id, "phi-4") || Has(id, "phi3") || Has(id, "phi4")) return "phi3";
  if (Has(id, "distilbert")) return "distilbert";
  if (Has(id, "deberta")) return "deberta_v2";
  if (Has(id, "bert")) return "bert";  // BERT, RoBERTa
  if (Has(id, "flan-t5") || Has(id, "t5-v1_1") || Has(id, "t5-v1.1")) return "t5_gated";
  if (Has(id, "t5-") || Has(id, "/t5")) return "t5";
  if (Has(id, "pythia") || Has(id, "neox") || Has(id, "stablelm-base-alpha") || Has(id, "stablelm-tuned-alpha"))
    return "gpt_neox";  // StableLM-Alpha is GPT-NeoX; StableLM 2 is not
  if (Has(id, "falcon")) return "falcon";
  if (Has(id, "/opt-")) return "opt";
  if (Has(id, "starcoder2")) return "starcoder2";
  if (Has(id, "starcoder") || Has(id, "santacoder") || Has(id, "gpt2") || Has(id, "gpt-2")) return "gpt2";
  static const char* const kLlamaLike[] = {"llama", "mistral", "qwen", "gemma", "olmo", "smollm", "deepseek", "yi-"};
  for (const char* name : kLlamaLike)
    if (Has(id, name)) return "llama";
  return "";  // unknown: the callers fall back to the Llama layout
}

const Layout& LayoutFor(const std::string& family, const std::string& model_id) {
  const std::string name = LoraArchitecture(family, model_id);
  for (const Layout& l : kLayouts)
    if (name == l.id) return l;
  return kLayouts[0];
}

Names Concat(const Names& a, const Names& b) {
  Names out = a;
  for (const auto& n : b)
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  return out;
}

// The module names of a lora_target list, split at anything that cannot be
// part of a name ("q_proj,v_proj", "['q_proj', 'v_proj']").
Names SplitNames(const std::string& s) {
  Names out;
  std::string cur;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-') {
      cur.push_back(c);
    } else if (!cur.empty()) {
      out.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// The last dotted component ("attn.c_proj" -> "c_proj").
std::string Leaf(const std::string& name) {
  size_t dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

bool IsMlpName(const std::string& leaf) {
  static const char* const kMlp[] = {"gate_proj", "up_proj", "down_proj", "gate_up_proj", "fc1", "fc2", "c_fc",
                                     "w1", "w2", "w3", "wi", "wi_0", "wi_1", "wo", "dense_h_to_4h",
                                     "dense_4h_to_h", "lin1", "lin2", "mlp", "intermediate", "gate"};
  for (const char* m : kMlp)
    if (leaf == m) return true;
  return false;
}

bool IsQueryOrValueName(const std::string& leaf) {
  static const char* const kQv[] = {"q_proj", "v_proj", "q", "v", "query", "value", "query_proj", "value_proj",
                                    "q_lin", "v_lin", "c_attn", "query_key_value", "qkv_proj", "wqkv", "qkv"};
  for (const char* m : kQv)
    if (leaf == m) return true;
  return false;
}

bool IsEmbeddingName(const std::string& leaf) {
  return leaf == "embed_tokens" || leaf == "lm_head" || leaf == "wte" || leaf == "embed_in" || leaf == "embed_out" ||
         leaf == "word_embeddings" || leaf == "shared";
}

}  // namespace

bool IsLoraTargetClass(const std::string& c) { return c == "all_linear" || c == "attention" || c == "qv"; }

std::string LoraArchitecture(const std::string& family, const std::string& model_id) {
  const std::string id = Lower(model_id);
  std::string name = LayoutOfFamily(Lower(family), id);
  return name.empty() ? LayoutOfId(id) : name;
}

std::vector<std::string> LoraTargetModules(const std::string& family, const std::string& model_id,
                                           const std::string& target_class) {
  const Layout& l = LayoutFor(family, model_id);
  if (target_class == "qv") return l.qv;
  if (target_class == "attention") return l.attention;
  if (target_class == "all_linear") return Concat(l.attention, l.mlp);
  return {};
}

std::vector<std::string> LoraEmbeddingModules(const std::string& family, const std::string& model_id) {
  return LayoutFor(family, model_id).embedding;
}

std::vector<std::string> ClassifierHeadModules(const std::string& family, const std::string& model_id) {
  if (!SequenceClassificationAvailable(family, model_id)) return {};
  return LayoutFor(family, model_id).head;
}

bool SequenceClassificationAvailable(const std::string& family, const std::string& model_id) {
  const std::string id = Lower(model_id), fam = Lower(family);
  if (fam == "gpt_oss" || Has(id, "gpt-oss")) return false;
  if (fam == "olmo" || Has(id, "/olmo-")) return false;
  return !(Has(id, "gemma-3-1b") || Has(id, "gemma-3-270m"));
}

std::string LoraTargetClassOf(const std::string& lora_target) {
  const std::string s = Lower(lora_target);
  if (IsLoraTargetClass(s)) return s;
  if ((Has(s, "all") && Has(s, "linear")) || s == "all") return "all_linear";
  bool any = false, mlp = false, other_attention = false;
  for (const auto& name : SplitNames(s)) {
    const std::string leaf = Leaf(name);
    if (IsEmbeddingName(leaf)) continue;
    any = true;
    if (IsMlpName(leaf)) mlp = true;
    else if (!IsQueryOrValueName(leaf)) other_attention = true;
  }
  if (!any || mlp) return "all_linear";
  return other_attention ? "attention" : "qv";
}

bool LoraTargetTrainsEmbeddings(const std::string& lora_target) {
  for (const auto& name : SplitNames(Lower(lora_target)))
    if (IsEmbeddingName(Leaf(name))) return true;
  return false;
}

}  // namespace ftconfig
