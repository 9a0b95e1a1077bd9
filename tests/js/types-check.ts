// Compile-time check of the hand-written declarations (wasm/ftconfig.d.ts) as
// the package exports them: `tsc -p tests/js` in scripts/test.sh. Never run.
import createEngineDefault, {
  createEngine,
  Engine,
  FtconfigError,
  type CatalogModel,
  type EstimateResult,
  type ExportedFile,
  type PlanResponse,
  type Request,
  type Response,
  type Status,
} from 'ftconfig';

async function main(): Promise<void> {
  const engine: Engine = await createEngine({ wasmUrl: 'ftconfig-wasm.wasm', dataUrl: new URL('https://example.org/ftconfig-data.json') });
  const other: Engine = await createEngineDefault();
  const withPlanner: Engine = await createEngine({ planWasmUrl: new URL('https://example.org/ftconfig-plan.wasm') });
  const request: Request = { platform: 'colab', plan: 'free', model: 'llama2-7b', adapter_type: 'qlora', dataset_size: 1000 };
  const r: Response = engine.recommend(request);
  const text: string = engine.recommendJson(JSON.stringify(request));
  const fits: boolean = r.fits;
  const margin: number = r.vram.margin_gb;
  const why: string | undefined = r.why['learning_rate'];
  const hours: number = r.time.hours;
  const cost: number | null = r.time.cost_usd;
  const level: string = r.confidence.level;
  const pins: Record<string, string> | undefined = r.dependencies?.packages;
  const smallest = r.does_not_fit?.smallest_fitting?.name;
  const candidates = r.candidates?.map((c) => c.rank);
  const withEvidence: Request = { ...request, evidence: { strategies: { hybrid: { feedback: 5, ratings: 5, mean_rating: 4.2, oom: 1, success: 3 } } } };
  const decision = engine.recommend(withEvidence).strategy_decision;
  const chosen: 'deterministic' | 'hybrid' | 'hybrid_ml' | undefined = decision?.chosen;
  const signals: number | undefined = decision?.evidence?.hybrid.signals;
  // @ts-expect-error: only the three strategies carry evidence
  const badEvidence: Request = { evidence: { strategies: { magic: {} } } };
  const planned: PlanResponse = await engine.plan({ model: 'meta-llama/Llama-3.1-8B', adapter_type: 'qlora', dataset_size: 50000, constraints: { budget_usd: 20, objective: 'cost' } });
  const frontIds: string[] = planned.options.filter((o) => o.on_front).map((o) => o.id);
  const bestId: string | null = planned.best.id;
  // @ts-expect-error: a plan chooses the platform itself
  void engine.plan({ model: 'llama2-7b', platform: 'colab' });
  console.log(frontIds, bestId);
  const e: EstimateResult = engine.estimate({ model_name: 'llama2-7b', gpu: 'T4', zero_stage: 2, lora_target: ['q_proj', 'v_proj'] });
  const peak: number = e.peak_vram_gb;
  const models: CatalogModel[] = engine.models('qwen', 5);
  const status: Status = engine.status();
  const file: ExportedFile = await engine.exportConfig(request, 'notebook');
  const formats = await engine.exportFormats();
  const gpuIds: string[] = engine.gpus().map((g) => g.id);
  const plans: string[] = engine.platforms().flatMap((p) => p.plans.map((pl) => pl.id));
  const tasks: string[] = engine.tasks().map((t) => t.id);
  try {
    engine.recommend('{');
  } catch (err) {
    if (err instanceof FtconfigError) {
      const code: string = err.code;
      const field: string = err.field;
      console.log(code, field);
    }
  }
  // @ts-expect-error: recommend needs a request
  engine.recommend();
  // @ts-expect-error: num_gpus is a number
  engine.recommend({ gpu: 'T4', num_gpus: 'two' });
  // @ts-expect-error: errors are read-only
  new FtconfigError('x', 'y', 'z').code = 'other';
  console.log(chosen, signals, badEvidence, text, fits, margin, why, hours, cost, level, pins, smallest, candidates, peak, models, status, file.text, formats, gpuIds, plans, tasks);
  engine.dispose();
  other.dispose();
  withPlanner.dispose();
}

void main();
