"""Tiny randomly initialised models of each catalog architecture, built from a
config (no download), with a byte-level BPE tokenizer trained on the test's
own text. Shared by check_lora_modules.py and run_exports.py."""
import os

import torch
import transformers

TINY = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "max_position_embeddings": 128}
HEAD_DIM = {"head_dim": 8}

# transformers model_type and tiny config keywords for each catalog model,
# chosen by the first matching substring of the model id (lower case).
ARCHITECTURES = [
    ("mixtral", "mixtral", {"num_local_experts": 4, "num_experts_per_tok": 2, **HEAD_DIM}),
    ("gpt-oss", "gpt_oss", {"num_local_experts": 4, "num_experts_per_tok": 2, **HEAD_DIM}),
    ("-a3b", "qwen3_moe", {"num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 16, **HEAD_DIM}),
    ("phi-2", "phi", {}),
    ("phi-1", "phi", {}),  # phi-1_5
    ("phi-3", "phi3", {}),
    ("phi-4", "phi3", {}),
    ("gpt2", "gpt2", {"n_embd": 32, "n_layer": 2, "n_head": 4, "n_positions": 128}),
    ("pythia", "gpt_neox", {}),
    ("stablelm-base-alpha", "gpt_neox", {}),
    # Falcon-40B / -180B: the "new decoder architecture" (two LayerNorms, grouped KV heads).
    ("falcon-40b", "falcon", {"new_decoder_architecture": True, "num_kv_heads": 2}),
    ("falcon-180b", "falcon", {"new_decoder_architecture": True, "num_kv_heads": 2}),
    ("falcon", "falcon", {"new_decoder_architecture": False, "multi_query": True}),
    ("/opt-", "opt", {"ffn_dim": 64, "word_embed_proj_dim": 32}),
    ("starcoder2", "starcoder2", {}),
    ("flan-t5", "t5", {"d_model": 32, "d_ff": 64, "d_kv": 8, "num_layers": 2, "num_heads": 4,
                       "feed_forward_proj": "gated-gelu"}),
    ("t5-", "t5", {"d_model": 32, "d_ff": 64, "d_kv": 8, "num_layers": 2, "num_heads": 4}),
    ("distilbert", "distilbert", {"dim": 32, "hidden_dim": 64, "n_layers": 2, "n_heads": 4}),
    ("deberta-v3", "deberta-v2", {"relative_attention": True, "position_buckets": 16, "norm_rel_ebd": "layer_norm",
                                  "share_att_key": True, "pos_att_type": ["p2c", "c2p"]}),
    ("roberta", "roberta", {}),
    ("bert", "bert", {}),
    ("olmo", "olmo", {}),
    ("gemma-3", "gemma3_text", HEAD_DIM),
    ("gemma-2", "gemma2", HEAD_DIM),
    ("gemma", "gemma", HEAD_DIM),
    ("qwen3", "qwen3", HEAD_DIM),
    ("qwen", "qwen2", {}),
    ("mistral", "mistral", {}),
]
ENCODERS = {"bert", "roberta", "distilbert", "deberta-v2"}


def architecture_of(model_id):
    low = model_id.lower()
    for part, model_type, extra in ARCHITECTURES:
        if part in low:
            return model_type, extra
    return "llama", {}


def tiny_config(model_type, extra, vocab_size=128, pad_token_id=0):
    config = transformers.AutoConfig.for_model(model_type, **{**TINY, **extra, "vocab_size": vocab_size})
    config.pad_token_id = pad_token_id
    if model_type == "t5":
        config.decoder_start_token_id = pad_token_id
    return config


def tiny_model(model_type, extra, head="lm", vocab_size=128):
    """head "lm": the causal (or, for T5, seq2seq) LM, the bare encoder for BERT-style models; "cls": sequence
    classification with two labels."""
    config = tiny_config(model_type, extra, vocab_size)
    if head == "cls":
        config.num_labels = 2
        return transformers.AutoModelForSequenceClassification.from_config(config)
    if model_type == "t5":
        return transformers.AutoModelForSeq2SeqLM.from_config(config)
    if model_type in ENCODERS:
        return transformers.AutoModel.from_config(config)
    return transformers.AutoModelForCausalLM.from_config(config)


def train_tokenizer(texts, vocab_size=320):
    """A byte-level BPE tokenizer (every string encodes) with <pad>=0, <s>, </s>, <unk>; no chat template, like a
    base model's."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<pad>", "<s>", "</s>", "<unk>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    return transformers.PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>",
                                                unk_token="<unk>", pad_token="<pad>", model_max_length=256)


def save_tiny_model(model_id, directory, texts):
    """A tiny random model of `model_id`'s architecture and a tokenizer trained on `texts`, saved to
    `directory` (a local model directory that from_pretrained loads)."""
    torch.manual_seed(0)
    tokenizer = train_tokenizer(texts)
    model_type, extra = architecture_of(model_id)
    config = tiny_config(model_type, extra, vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id)
    config.bos_token_id = tokenizer.bos_token_id
    config.eos_token_id = tokenizer.eos_token_id
    if model_type == "t5":
        model = transformers.AutoModelForSeq2SeqLM.from_config(config)
    elif model_type in ENCODERS:
        model = transformers.AutoModel.from_config(config)
    else:
        model = transformers.AutoModelForCausalLM.from_config(config)
    os.makedirs(directory, exist_ok=True)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return model_type
