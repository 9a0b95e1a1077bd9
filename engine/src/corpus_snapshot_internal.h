// What the two corpus snapshots share (corpus_snapshot.cpp: JSON, for the
// browser; corpus_snapshot_binary.cpp: binary, for the native engine): the
// list of record fields and the ranges a record must be in.
// Internal: nothing here is part of the public API.
#ifndef FTCONFIG_CORPUS_SNAPSHOT_INTERNAL_H_
#define FTCONFIG_CORPUS_SNAPSHOT_INTERNAL_H_

#include "ftconfig/corpus.h"

namespace ftconfig::internal {

// One list of every ConfigRecord field, used for both directions so they
// cannot drift apart. Adding a field to ConfigRecord means adding it here and
// bumping both snapshots' format versions.
#define FTCONFIG_RECORD_FIELDS(X)                                                                          \
  X(id) X(source_repo) X(source_path) X(source_file) X(source_line) X(model_name) X(model_family)          \
  X(model_params_b) X(size_bucket) X(task_type) X(adapter_type) X(adapter_original) X(quantization)        \
  X(lora_r) X(lora_alpha) X(lora_dropout) X(lora_target) X(learning_rate) X(batch_size_per_device)         \
  X(gradient_accumulation_steps) X(num_gpus) X(effective_batch_size) X(max_seq_length) X(num_epochs)       \
  X(max_steps) X(optimizer) X(lr_scheduler) X(precision) X(warmup_ratio) X(weight_decay)                   \
  X(gradient_checkpointing) X(flash_attention) X(packing) X(dataset_name) X(dataset_size)                  \
  X(dataset_size_bucket) X(gpu_type) X(peak_vram_gb) X(eval_metric_value) X(eval_metric_name) X(weight)

// The first field outside the ranges Corpus::Build accepts (NormalizeRow), so
// a hand-made snapshot cannot feed the engine values the JSONL path would
// reject; nullptr when every field is in range. `*expected` says the range.
const char* RecordOutOfRange(const ConfigRecord& r, const char** expected);

}  // namespace ftconfig::internal

#endif  // FTCONFIG_CORPUS_SNAPSHOT_INTERNAL_H_
