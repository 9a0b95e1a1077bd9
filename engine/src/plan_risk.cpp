// The planner's numbers beside the recommender's: sessions and calendar time,
// risk with the platform's traps, and what an option gives up
// (docs/planning.md, "The model behind each number").
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "json_util.h"
#include "outline.h"
#include "plan_internal.h"

FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN

namespace ftconfig::plan_internal {

using internal::Round3;

Sessions CountSessions(double train_hours, std::optional<double> session_limit, std::optional<double> weekly_quota) {
  Sessions s;
  s.train_hours = std::max(0.0, train_hours);
  const double first = s.train_hours + kStartupHours;
  if (session_limit && *session_limit > 0 && first > *session_limit) {
    // The first session runs for the whole limit; every later one loses kResumeHours to the restart.
    double later = std::max(*session_limit - kResumeHours, *session_limit / 2);
    s.sessions = 1 + static_cast<int>(std::min(1e9, std::ceil((first - *session_limit) / later)));
  }
  s.total_hours = first + (s.sessions - 1) * kResumeHours;
  s.calendar_hours = s.total_hours;
  if (weekly_quota && *weekly_quota > 0 && s.total_hours > *weekly_quota) {
    double weeks = std::ceil(s.total_hours / *weekly_quota);
    s.calendar_hours = (weeks - 1) * 168.0 + (s.total_hours - (weeks - 1) * *weekly_quota);
  }
  return s;
}

namespace {

struct Trap {
  const char* id;
  double weight;
  std::string text;
};

std::string Hours(double h) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f h", h);
  return buf;
}

// Known ways a run on this platform and GPU fails or stalls besides memory.
std::vector<Trap> Traps(const Choice& ch, const json& hp, const Sessions& s) {
  std::vector<Trap> t;
  if (ch.platform->kind == "notebook")
    t.push_back({"hosted_notebook", 0.25, "a hosted notebook: the GPU is not guaranteed and idle sessions disconnect"});
  if (s.sessions > 1)
    t.push_back({"sessions", std::min(0.45, 0.15 * (s.sessions - 1)),
                 std::to_string(s.sessions) + " sessions of at most " + Hours(*ch.plan->session_limit_hours) +
                     ": save checkpoints and resume; a restart may find no free GPU"});
  if (s.calendar_hours > s.total_hours)
    t.push_back({"weekly_quota", 0.2, "more than the weekly quota of " + Hours(*ch.plan->weekly_quota_hours) +
                                          ": the run spreads over several weeks"});
  if (ch.gpu->compute_capability > 0 && ch.gpu->compute_capability < 7.0)
    t.push_back({"old_gpu", 0.3, ch.gpu->name + " (compute capability " + std::to_string(ch.gpu->compute_capability).substr(0, 3) +
                                     "): no Triton kernels, and current PyTorch CUDA 12.8 wheels have no kernels for it; "
                                     "use the pinned stack"});
  if (hp.value("precision", "") == "fp16")
    t.push_back({"fp16", 0.1, "fp16 mixed precision (no bf16 on this GPU): loss overflow is possible on some models"});
  if (hp.value("distribution", "") == "zero3_offload")
    t.push_back({"cpu_offload", 0.1, "optimizer states offloaded to CPU memory: needs host RAM and is much slower"});
  if (ch.num_gpus > 1) t.push_back({"multi_gpu", 0.05, "several GPUs: a distributed launch (accelerate/torchrun)"});
  return t;
}

const char* Level(double risk) { return risk < 0.25 ? "low" : risk < 0.5 ? "medium" : "high"; }

}  // namespace

void Assess(const Choice& ch, const json& rec, Option* o) {
  double margin = rec["vram"].value("margin_fraction", 0.0);
  double memory = std::clamp((0.30 - margin) / 0.18, 0.0, 1.0);
  double confidence = 1.0 - std::clamp(rec["confidence"].value("score", 0.0), 0.0, 1.0);
  double platform = 0;
  json traps = json::array();
  for (const Trap& t : Traps(ch, rec["hyperparameters"], o->sessions)) {
    platform += t.weight;
    traps.push_back({{"id", t.id}, {"text", t.text}});
  }
  platform = std::min(platform, 1.0);
  double risk = Round3(0.45 * memory + 0.25 * confidence + 0.30 * platform);
  o->point.risk = risk;
  o->out["risk"] = {{"score", risk},          {"level", Level(risk)},         {"memory", Round3(memory)},
                    {"confidence", Round3(confidence)}, {"platform", Round3(platform)}, {"traps", traps}};
}

// ---- what an option gives up ---------------------------------------------------------

namespace {

struct Best {
  int seq = 0, rank = 0;
  bool all_linear = false;
};

Best BestReached(const std::vector<Option>& options) {
  Best b;
  for (const Option& o : options) {
    if (!o.fits) continue;
    const json& c = o.out["configuration"];
    b.seq = std::max(b.seq, c.value("max_seq_length", 0));
    b.rank = std::max(b.rank, c.value("lora_r", 0));
    b.all_linear = b.all_linear || c.value("lora_target_class", "") == "all_linear";
  }
  return b;
}

json GivesUp(const Option& o, const Best& best) {
  const json& c = o.out["configuration"];
  json g = json::array();
  const std::string adapter = c.value("adapter_type", "");
  if (adapter == "qlora" && o.choice.adapter == "lora")
    g.push_back("QLoRA instead of LoRA: 4-bit base weights (a little quality, slower steps)");
  int seq = c.value("max_seq_length", 0);
  if (seq < best.seq)
    g.push_back("max_seq_length " + std::to_string(seq) + " instead of " + std::to_string(best.seq) +
                ": longer examples are truncated");
  int rank = c.value("lora_r", 0);
  if (adapter != "none" && rank > 0 && rank < best.rank)
    g.push_back("LoRA rank " + std::to_string(rank) + " instead of " + std::to_string(best.rank));
  if (adapter != "none" && best.all_linear && c.value("lora_target_class", "all_linear") != "all_linear")
    g.push_back("LoRA on the attention projections only, not all linear layers");
  if (c.value("precision", "") == "fp16") g.push_back("fp16 instead of bf16 mixed precision");
  if (c.value("pure_bf16", false)) g.push_back("pure bf16: no fp32 master weights");
  if (c.value("distribution", "") == "zero3_offload") g.push_back("optimizer on the CPU: much slower steps");
  if (o.sessions.sessions > 1)
    g.push_back(std::to_string(o.sessions.sessions) + " sessions with checkpoint and resume instead of one run");
  if (o.sessions.calendar_hours > o.sessions.total_hours)
    g.push_back("waits for the weekly quota: " + Hours(o.sessions.calendar_hours) + " of calendar time");
  return g;
}

}  // namespace

void NoteGivesUp(std::vector<Option>* options) {
  Best best = BestReached(*options);
  for (Option& o : *options)
    if (o.fits) o.out["gives_up"] = GivesUp(o, best);
}

}  // namespace ftconfig::plan_internal

FTCONFIG_OPTIMIZE_FOR_SIZE_END
