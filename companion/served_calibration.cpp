#include "served_calibration.h"

#include <nlohmann/json.hpp>

namespace ftconfig::cli {

CalibrationContext RequestCalibrationContext(const Request& req, const Catalog& catalog) {
  CalibrationContext c;
  if (const Model* m = req.model.empty() ? nullptr : catalog.FindModel(req.model); m && !m->family.empty())
    c.family = m->family;
  const Gpu* gpu = nullptr;
  if (!req.gpu_override.empty()) {
    auto g = catalog.FindGpu(req.gpu_override, "gpu_override");
    if (g.ok()) gpu = g.value();
  } else if (!req.platform.empty()) {
    auto p = catalog.FindPlatform(req.platform);
    if (p.ok()) {
      const Plan* plan = nullptr;
      if (req.plan.empty() && p.value()->plans.size() == 1) plan = &p.value()->plans[0];
      else if (auto pl = catalog.FindPlan(*p.value(), req.plan); pl.ok()) plan = pl.value();
      if (plan && !plan->gpu.empty()) gpu = catalog.GpuById(plan->gpu);
    }
  }
  if (gpu) c.gpu_class = GpuClass(gpu->tier);
  return c;
}

std::string NarrowCalibration(const std::string& artifact, const CalibrationContext& context) {
  if (artifact.empty()) return artifact;
  auto loaded = Calibration::Load(artifact);
  if (!loaded.ok() || loaded.value().contexts.empty()) return artifact;
  return loaded.value().ForContext(context).ToArtifact();
}

}  // namespace ftconfig::cli
