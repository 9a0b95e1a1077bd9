// Type declarations for the ftconfig ES module (api.js). Hand-written; kept
// honest by `tsc --noEmit` over tests/js/types-check.ts in `npm test`.
// The JSON shapes are documented in docs/api.md; fields the engine may add
// later are allowed through index signatures.

/** Stable error codes (ErrorCode in engine/include/ftconfig/result.h). */
export type ErrorCode =
  | 'invalid_json'
  | 'invalid_type'
  | 'invalid_value'
  | 'missing_field'
  | 'unknown_field'
  | 'unknown_platform'
  | 'unknown_plan'
  | 'unknown_gpu'
  | 'unknown_model'
  | 'unknown_task'
  | 'data_error'
  | 'unsupported'
  | 'internal';

/** Thrown by every failing call. */
export class FtconfigError extends Error {
  constructor(code: ErrorCode | string, field: string, message: string);
  readonly name: 'FtconfigError';
  /** snake_case code, e.g. "unknown_gpu". */
  readonly code: ErrorCode | string;
  /** The request field concerned ("" when none), e.g. "gpu_override" or "architecture.hidden_size". */
  readonly field: string;
}

export type AdapterType = 'none' | 'lora' | 'qlora';
export type Strategy = 'auto' | 'deterministic' | 'hybrid' | 'hybrid_ml';

/** Custom model architecture (any subset; hidden_size and num_layers are required when given). */
export interface Architecture {
  hidden_size?: number;
  intermediate_size?: number;
  num_layers?: number;
  num_attention_heads?: number;
  num_kv_heads?: number;
  head_dim?: number;
  vocab_size?: number;
  max_position_embeddings?: number;
  tie_word_embeddings?: boolean;
  is_moe?: boolean;
  num_experts?: number;
  experts_per_token?: number;
  /** false: MoE experts stored as 3-D parameters (gpt-oss): not 4-bit quantized, not LoRA targets. */
  experts_linear?: boolean;
  gated_mlp?: boolean;
  architecture?: 'decoder' | 'encoder' | 'encoder-decoder';
}

/** What a log says about one strategy in one context (the learning brain's input, docs/api.md). */
export interface StrategyEvidence {
  recommendations?: number;
  feedback?: number;
  /** Feedback events with a rating; mean_rating (1-5) is required when > 0. */
  ratings?: number;
  mean_rating?: number | null;
  /** Interactions (used, saved, dismissed); mean_label (0-1) is required when > 0. */
  interactions?: number;
  mean_label?: number | null;
  success?: number;
  failed?: number;
  oom?: number;
  mean_confidence?: number | null;
  mean_vram_utilization?: number | null;
}

export type BrainStrategy = 'deterministic' | 'hybrid' | 'hybrid_ml';

/** The request's `evidence`: feedback aggregated for the request's (task, adapter, size bucket) context. */
export interface Evidence {
  context?: { task_type?: string; adapter_type?: string; model_size_bucket?: 'small' | 'medium' | 'large' };
  strategies: Partial<Record<BrainStrategy, StrategyEvidence>>;
}

/** One strategy's row of `strategy_decision.evidence`. */
export interface StrategyEvidenceScored {
  recommendations: number;
  feedback: number;
  ratings: number;
  mean_rating: number | null;
  interactions: number;
  mean_label: number | null;
  success: number;
  failed: number;
  oom: number;
  mean_confidence: number | null;
  mean_vram_utilization: number | null;
  /** feedback + interactions */
  signals: number;
  available: boolean;
  /** signals >= min_evidence and available */
  eligible: boolean;
  score: number | null;
  terms: { rating: number; success: number; confidence: number; vram_risk: number; oom_rate: number };
}

/** The learning brain's decision (strategy "auto" only). */
export interface StrategyDecision {
  applied: boolean;
  chosen: BrainStrategy;
  plain_auto: BrainStrategy;
  reason: string;
  min_evidence: number;
  context: { task_type: string; adapter_type: string; model_size_bucket: string };
  /** null when the request carried no evidence. */
  evidence: Record<BrainStrategy, StrategyEvidenceScored> | null;
}

/** A recommendation request. Give platform + plan, or a GPU (gpu / gpu_override). */
export interface Request {
  platform?: string;
  plan?: string;
  gpu?: string;
  gpu_override?: string;
  num_gpus?: number;
  /** Catalog id or alias; any Hub id with model_params_b. */
  model?: string;
  model_params_b?: number;
  architecture?: Architecture;
  model_size_bucket?: 'small' | 'medium' | 'large';
  task_type?: string;
  task?: string;
  adapter_type?: AdapterType | 'full';
  adapter?: AdapterType | 'full';
  strategy?: Strategy;
  dataset_size?: number;
  dataset_name?: string;
  max_seq_length?: number;
  /** Token counts of the training examples (at least one; ordered p50 <= p95 <= max). */
  data_tokens?: DataTokens;
  allow_qlora?: boolean;
  /** The trainer the memory figures are for (hf-trainer, unsloth, axolotl, llama-factory, torchtune, litgpt, pytorch). */
  framework?: string;
  output_dir?: string;
  notes?: string;
  /** Integer 0..4294967295: asks for `exploration` (an alternative learning rate with probability 0.1). */
  exploration_seed?: number;
  /** Feedback for strategy "auto" to learn from (the site passes its IndexedDB log's). */
  evidence?: Evidence | null;
}

/** Token counts of the training examples, each 1..1,048,576. */
export interface DataTokens {
  p50?: number;
  p95?: number;
  max?: number;
}

/** How several GPUs share the work (none on one GPU). */
export type Distribution = 'none' | 'ddp' | 'zero2' | 'zero3' | 'zero3_offload';

/** One step of the memory plan. */
export interface MemoryPlanStep {
  field: string;
  step: string;
}

/** What would fit when the request does not: merge request_patch into the request (null removes a field). */
export interface FitOption {
  kind: 'gpu' | 'adapter' | 'num_gpus' | 'max_seq_length' | string;
  label: string;
  estimated_gb: number;
  request_patch: Record<string, string | number | boolean | null>;
}

export interface VramBreakdown {
  weights: number;
  adapters: number;
  gradients: number;
  optimizer: number;
  activations: number;
  logits: number;
  overhead: number;
  [component: string]: number;
}

export interface Confidence {
  level: 'high' | 'medium' | 'low' | 'none' | string;
  /** Estimated chance that a practitioner starts from the same learning rate, sequence and rank (within 2x). */
  score: number;
  reasons: string[];
  /** The score's inputs (absent when nothing fits). */
  features?: Record<string, number>;
}

/** One alternative configuration, best first (present once the engine ranks candidates). */
export interface Candidate {
  rank?: number;
  score?: number;
  hyperparameters?: Record<string, unknown>;
  vram?: { per_gpu_gb?: number; [key: string]: unknown };
  [key: string]: unknown;
}

/** The engine's answer (docs/api.md). */
export interface Response {
  engine_version: string;
  fits: boolean;
  request: {
    /** Catalog id the answer is for. */
    model: string;
    /** The name as given, when it is not the catalog id (the exports load it when it is a Hub repo id). */
    model_name?: string;
    model_params_b: number;
    model_source: string;
    task_type: string;
    adapter_type: string;
    strategy: string;
    platform?: string;
    plan?: string;
    [key: string]: unknown;
  };
  gpu: {
    id: string;
    name: string;
    count: number;
    vram_gb: number;
    usable_gb: number;
    compute_capability: number;
    bf16: boolean;
    flash_attention2: boolean;
    [key: string]: unknown;
  };
  hyperparameters: Record<string, string | number | boolean | null>;
  /** One line per hyperparameter: why this value. */
  why: Record<string, string>;
  /** The memory plan's steps, in order; empty when the starting point fits. */
  memory_plan: MemoryPlanStep[];
  /** Per hyperparameter: request | data | rule | pool | gpu | clamp | plan. */
  provenance: Record<string, string>;
  vram: {
    per_gpu_gb: number;
    usable_gb: number;
    limit_gb: number;
    fit_fraction: number;
    margin_gb: number;
    margin_fraction: number;
    eval_peak_gb: number;
    merge_peak_gb: number;
    trainable_params_b: number;
    breakdown: VramBreakdown;
    notes: string[];
    [key: string]: unknown;
  };
  time: {
    hours: number;
    tokens_per_sec: number;
    total_tokens: number;
    dataset_size: number;
    epochs: number;
    mfu_assumed: number;
    cost_usd: number | null;
    price_per_gpu_hour_usd?: number | null;
    session_limit_hours: number | null;
    fits_session: boolean | null;
    [key: string]: unknown;
  };
  confidence: Confidence;
  dependencies: ({
    id: string;
    label: string;
    python?: string;
    cuda?: string;
    torch_index_url?: string;
    packages?: Record<string, string>;
    notes?: string;
    [key: string]: unknown;
  }) | null;
  diagnostics: {
    clamps: string[];
    assumptions: string[];
    ood_task: boolean;
    task_in_corpus: boolean;
    [key: string]: unknown;
  };
  warnings: string[];
  profile: { group: string; fallback_level: string; pool_size: number; [key: string]: unknown };
  strategy: {
    requested: string;
    used: string;
    why: string;
    reranker: { status: string; version: string | null };
    [key: string]: unknown;
  };
  does_not_fit?: {
    message: string;
    smallest_fitting: {
      gpu: string;
      name: string;
      estimated_gb: number;
      usable_gb: number;
      platform?: string;
      plan?: string;
      price_per_gpu_hour_usd?: number | null;
    } | null;
    options: FitOption[];
  };
  candidates?: Candidate[];
  /** Only with exploration_seed: the exploring alternative, when drawn (never the answer, never its memory). */
  exploration?: {
    probability: number;
    drawn: boolean;
    alternative: {
      marked: 'exploration';
      learning_rate: number;
      changes: { learning_rate: { from: number; to: number } };
      tried_nearby: number;
      memory: string;
      why: string;
    } | null;
  };
  /** strategy "auto": the learning brain's decision and the evidence behind it. */
  strategy_decision?: StrategyDecision;
  [key: string]: unknown;
}

/** Constraints of plan() (docs/planning.md). Lists hold platform ids or aliases, at most 64 entries. */
export interface PlanConstraints {
  /** US dollars, 0–1e7. */
  budget_usd?: number | null;
  /** Calendar hours, 0.01–1e5. */
  deadline_hours?: number | null;
  platforms?: string[];
  exclude_platforms?: string[];
  /** 1–1024, default 1 / 8. */
  min_gpus?: number;
  max_gpus?: number;
  /** Default: the request's adapter. */
  adapters?: Array<'none' | 'lora' | 'qlora'>;
  /** Default: the request's framework. */
  frameworks?: string[];
  objective?: 'balanced' | 'cost' | 'time' | 'risk';
}

/** A plan request: a recommendation request without platform, plan, gpu or num_gpus, plus constraints. */
export type PlanRequest = Omit<Request, 'platform' | 'plan' | 'gpu' | 'gpu_override' | 'num_gpus'> & {
  constraints?: PlanConstraints;
};

export interface PlanTrap {
  id: 'hosted_notebook' | 'sessions' | 'weekly_quota' | 'old_gpu' | 'fp16' | 'cpu_offload' | 'multi_gpu';
  text: string;
}

export interface PlanOption {
  /** platform/plan/<count>x/adapter[/framework] */
  id: string;
  platform: { id: string; name: string; kind: 'notebook' | 'cloud' | 'local' };
  plan: { id: string; name: string };
  gpu: { id: string; name: string; count: number };
  adapter_requested: 'none' | 'lora' | 'qlora';
  framework: string | null;
  price: { per_gpu_hour_usd: number; date: string | null; source: string | null } | null;
  /** Merge into the plan's request (without constraints) to get this option's full recommendation. */
  request_patch: Partial<Request>;
  fits: boolean;
  /** Empty when the option meets every constraint. */
  excluded_because: Array<{ code: 'does_not_fit' | 'price_unknown' | 'over_budget' | 'past_deadline' | 'error'; message: string }>;
  on_front: boolean;
  /** The rest only when fits. */
  configuration?: Record<string, number | string | boolean>;
  memory?: { per_gpu_gb: number; usable_gb: number; margin_fraction: number };
  confidence?: number;
  hours?: number;
  sessions?: number;
  session_limit_hours?: number | null;
  weekly_quota_hours?: number | null;
  total_hours?: number;
  calendar_hours?: number;
  cost_usd?: number | null;
  risk?: { score: number; level: 'low' | 'medium' | 'high'; memory: number; confidence: number; platform: number; traps: PlanTrap[] };
  gives_up?: string[];
}

export interface PlanResponse {
  engine_version: string;
  request: Record<string, unknown>;
  constraints: Required<PlanConstraints>;
  summary: { options: number; fit: number; qualify: number; on_front: number };
  /** id null when nothing qualifies; the reason says why. */
  best: { id: string | null; objective: string; reason: string; cheapest_fastest_safest?: [string, string, string] };
  /** The front first (cheapest first), then the other qualifying options, then the rest. */
  options: PlanOption[];
  not_considered: Array<{ platform: string; plan: string; why: string }>;
  managed_apis: { included: boolean; why: string };
}

/** Input of estimate(): the keys of `ftconfig estimate` (docs/memory-model.md). */
export interface EstimateInput {
  id?: unknown;
  model_name?: string;
  model?: string;
  params_b?: number;
  model_params_b?: number;
  method?: 'full' | 'lora' | 'qlora' | 'dora' | 'freeze' | string;
  precision?: string;
  weight_quant?: string;
  optimizer?: string;
  batch_size_per_device?: number;
  gradient_accumulation_steps?: number;
  seq_len?: number;
  max_seq_length?: number;
  gradient_checkpointing?: boolean;
  flash_attention?: boolean;
  packing?: boolean;
  lora_r?: number;
  lora_target?: string | string[];
  lora_dropout?: number;
  num_gpus?: number;
  gpu?: string;
  zero_stage?: 0 | 1 | 2 | 3 | string;
  sharding?: string;
  cpu_offload?: boolean;
  activation_offload?: boolean;
  eval_batch_size?: number;
  eval_seq_len?: number;
  eval_max_new_tokens?: number;
  cross_entropy?: 'fp32' | 'native' | 'chunked' | 'fused_chunks' | string;
  /** The trainer whose defaults fill what is not given (docs/memory-model.md, "Frameworks"). */
  framework?: 'hf-trainer' | 'unsloth' | 'axolotl' | 'llama-factory' | 'torchtune' | 'litgpt' | 'pytorch' | 'other' | string;
  /** Mean tokens per sequence for the time model (default: seq_len). */
  avg_seq_len?: number;
  double_quant?: boolean;
  /** Quantize the output head too (litgpt quantizes every Linear). */
  quantize_lm_head?: boolean;
  fused_optimizer?: boolean;
  /** The model code copies the shifted logits before the loss (transformers < 4.46, Qwen(1) remote code). */
  logits_shift_copy?: boolean;
  /** A sequence-classification head of this many outputs instead of the LM head (AutoModelForSequenceClassification). */
  num_labels?: number;
  adapter_dtype?: string;
  hidden_size?: number;
  num_layers?: number;
  num_hidden_layers?: number;
  intermediate_size?: number;
  num_attention_heads?: number;
  num_kv_heads?: number;
  num_key_value_heads?: number;
  head_dim?: number;
  vocab_size?: number;
  tie_word_embeddings?: boolean;
  is_moe?: boolean;
  num_experts?: number;
  experts_per_token?: number;
  /** false: MoE experts stored as 3-D parameters (gpt-oss): not 4-bit quantized, not LoRA targets. */
  experts_linear?: boolean;
  gated_mlp?: boolean;
  /** The decoder layer's shape beyond Llama's (catalog models get it from their id). */
  layer_type?: '' | 'qwen3' | 'gemma2' | 'gemma3' | 'olmo' | 'phi3' | 'gpt_oss' | 'gpt2' | 'gpt_neox' | 'falcon' | 'falcon_new' | 'phi' | 'opt' | 'starcoder2' | 'bert' | 'distilbert' | 'deberta' | 't5';
}

export interface EstimateResult {
  id?: unknown;
  model: { source: 'catalog' | 'params_b' | 'architecture'; id?: string; params_b: number };
  setup: Record<string, string | number | boolean>;
  peak_vram_gb: number;
  max_allocated_gb: number;
  reserved_gb: number;
  eval_peak_gb: number;
  merge_peak_gb: number | null;
  breakdown: Record<string, number>;
  peak_phase: string;
  trainable_params_b: number;
  /** Bytes per token one decoder layer keeps for backward, and each layer's checkpoint (0 without checkpointing). */
  activation_bytes_per_token: { layer: number; checkpoint_per_layer: number };
  tokens_per_sec: number | null;
  flops_per_token?: number;
  mfu_assumed?: number;
  gpu?: { id: string; name: string; usable_vram_gb: number };
  usable_vram_gb?: number;
  /** What must fit: the allocator's reserved peak (training or evaluation, whichever is larger). */
  required_gb?: number;
  /** null when no GPU was named. */
  fits: boolean | null;
  margin_gb?: number;
  confidence: Confidence;
  assumptions: string[];
  /** The telemetry calibration applied to memory and throughput (the same as recommend()'s), when the engine has one. */
  calibration?: string;
}

export type ExportFormat = 'notebook' | 'ipynb' | 'axolotl' | 'llamafactory' | 'llama-factory' | 'trl' | 'script';

export interface ExportedFile {
  format: string;
  filename: string;
  text: string;
}

export interface CatalogGpu {
  id: string;
  name: string;
  vendor: string;
  architecture: string;
  compute_capability: number;
  vram_gb: number;
  usable_vram_gb: number;
  bf16: boolean;
  flash_attention2: boolean;
  bnb_4bit: boolean;
  cuda: boolean;
  tier: string;
}

export interface CatalogPlan {
  id: string;
  name: string;
  /** GPU id; "" for bring-your-own plans. */
  gpu: string;
  gpu_count: number;
  session_limit_hours: number | null;
  price_per_gpu_hour_usd: number | null;
  price_date: string;
  notes: string;
}

export interface CatalogPlatform {
  id: string;
  name: string;
  kind: 'notebook' | 'cloud' | 'local' | string;
  plans: CatalogPlan[];
}

export interface CatalogTask {
  id: string;
  label: string;
  corpus_supported: boolean;
}

export interface CatalogModel {
  id: string;
  name: string;
  family: string;
  params_b: number;
  architecture: string;
  is_moe: boolean;
  num_experts: number;
  experts_per_token: number;
  experts_linear: boolean;
  num_layers: number;
  hidden_size: number;
  max_position_embeddings: number;
  match: 'exact' | 'prefix' | 'substring' | 'variant' | 'closest' | 'all';
}

export interface ModelStatus {
  status: 'loaded' | 'missing';
  version: string | null;
  format_version?: number;
  kind?: string;
}

export interface Status {
  engine_version: string;
  loaded: boolean;
  catalog?: { gpus: number; platforms: number; models: number; stacks: number; tasks: number };
  corpus?: { files_loaded: number; rows_read: number; rows_accepted: number; rows_rejected: number; rows_duplicate: number };
  profiles?: { groups: number };
  /** Learned artifacts bundled with the data (the engine falls back to the deterministic strategy without them). */
  models?: { reranker: ModelStatus; hp_predictor: ModelStatus };
  /** Provenance of the bundled data (ftconfig-data.json "snapshot"). */
  snapshot: Record<string, unknown> | null;
  /** How long createEngine took: fetching and compiling, building the engine from the data, in all. */
  timings: { fetch_and_compile_ms: number; load_ms: number; total_ms: number };
}

/** The bundled data snapshot (ftconfig-data.json). */
export interface DataSnapshot {
  format?: string;
  format_version?: number;
  snapshot?: Record<string, unknown>;
  catalog: {
    gpus: string;
    platforms: string;
    models: string;
    stacks: string;
    tasks: string;
    datasets?: string;
  };
  /** The corpus JSONL files, in the order the native CLI reads them; or, instead, */
  corpus?: { name: string; text: string }[];
  /** the normalized corpus made by `ftconfig corpus snapshot` (JSON text), which loads faster. */
  corpus_snapshot?: string;
  /** Trained artifacts (JSON texts), when the snapshot has them. */
  models?: { reranker?: string; hp_predictor?: string };
}

export interface CreateEngineOptions {
  /** Where ftconfig-wasm.wasm lives (default: next to api.js). Paths are relative to the page, or to the working directory in Node. */
  wasmUrl?: string | URL;
  /** Where ftconfig-data.json lives (default: next to api.js). */
  dataUrl?: string | URL;
  /** The module's bytes, instead of wasmUrl. */
  wasmBinary?: Uint8Array | ArrayBuffer;
  /** The module already compiled (WebAssembly.compileStreaming of ftconfig-wasm.wasm), instead of wasmUrl / wasmBinary. */
  wasmModule?: WebAssembly.Module;
  /** The data snapshot itself, instead of dataUrl. */
  data?: DataSnapshot;
  /** Where ftconfig-export.wasm lives (default: next to api.js); loaded by the first exportConfig call. */
  exportWasmUrl?: string | URL;
  /** The export module's bytes, instead of exportWasmUrl. */
  exportWasmBinary?: Uint8Array | ArrayBuffer;
  /** Where ftconfig-plan.wasm lives (default: next to api.js); loaded by the first plan() call. */
  planWasmUrl?: string | URL;
  /** The planning module's bytes, instead of planWasmUrl. */
  planWasmBinary?: Uint8Array | ArrayBuffer;
}

/** exportConfig's optional tags (each a string, or null to leave it out). */
export interface ExportTags {
  /** UUID of the logged recommendation event (8-4-4-4-12 hex digits). */
  recommendation_event_id?: string | null;
  /** "production" or "canary" (letters, digits, . _ : + -; at most 64). */
  model_slot?: string | null;
  /** The served model version (at most 128 characters). */
  model_version?: string | null;
}

export class Engine {
  private constructor();
  /** Engine version, e.g. "0.1.0". */
  readonly version: string;
  recommend(request: Request | string): Response;
  /** The response as the engine's JSON text (canonical key order), e.g. for byte-exact comparisons. */
  recommendJson(request: Request | string): string;
  /**
   * Every option under the constraints, the Pareto front and the best option (docs/planning.md). The first call
   * loads the planning module (ftconfig-plan.wasm) and builds its engine from this engine's data.
   */
  plan(request: PlanRequest | string): Promise<PlanResponse>;
  estimate(input: EstimateInput | string): EstimateResult;
  /** The recommendation rendered as a notebook or config file; the first call loads the export module. */
  /**
   * `tags` go into the notebook's and script's telemetry: the recommendation event the run follows (its outcome then
   * counts for the learning brain) and the model slot and version that served it (canary health).
   */
  exportConfig(request: Request | string, format: ExportFormat | string, tags?: ExportTags): Promise<ExportedFile>;
  /** Formats the export module offers ([] when this build has none). */
  exportFormats(): Promise<{ format: string; filename: string }[]>;
  gpus(): CatalogGpu[];
  platforms(): CatalogPlatform[];
  tasks(): CatalogTask[];
  /** Models matching query (id, name or alias), best first; the whole catalog for "". */
  models(query?: string, limit?: number): CatalogModel[];
  status(): Status;
  dispose(): void;
}

export function createEngine(options?: CreateEngineOptions): Promise<Engine>;
export default createEngine;
