// The served telemetry calibration for one request (docs/retraining.md,
// "Calibration"): the calibration keys its scales by context (model family x
// framework x GPU class); the CLI resolves a request's context from the
// catalog and hands the engine the calibration narrowed to it.
#ifndef FTCONFIG_COMPANION_SERVED_CALIBRATION_H_
#define FTCONFIG_COMPANION_SERVED_CALIBRATION_H_

#include <string>

#include "ftconfig/calibration.h"
#include "ftconfig/catalog.h"
#include "ftconfig/recommend.h"

namespace ftconfig::cli {

// The request's context: the catalog family of its model, "unknown" for the
// framework (requests do not name one yet), the class of the GPU it runs on
// (gpu_override, else the platform plan's GPU). Unknown parts are "unknown".
CalibrationContext RequestCalibrationContext(const Request& req, const Catalog& catalog);

// The calibration artifact narrowed to one context: the same version with
// the context's scales and guard as its global ones and no contexts. An
// empty artifact stays empty; a malformed one is returned as it is (the
// engine reports it).
std::string NarrowCalibration(const std::string& artifact, const CalibrationContext& context);

}  // namespace ftconfig::cli

#endif  // FTCONFIG_COMPANION_SERVED_CALIBRATION_H_
