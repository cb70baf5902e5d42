// The Core ML models of a conversion, one per package: functions, descriptions (inputs, outputs,
// states, enumerated shapes) and the Core ML metadata ANEMLL's tools read.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "convert/plan.h"
#include "convert/weights.h"
#include "mil/ir.h"

namespace anemll::convert {

// Version strings written into metadata.
constexpr const char* kAnemllLayoutVersion = "0.3.5";  // the ANEMLL release whose layout we emit
constexpr const char* kConverterVersion = "0.1.0";     // this converter

Result<mil::Model> BuildEmbeddingsModel(const ConversionPlan& plan, WeightCache& weights);
Result<mil::Model> BuildLmHeadModel(const ConversionPlan& plan, WeightCache& weights);
// FFN chunk `chunk` (0-based): infer + prefill (+ rotate functions unless split); with
// `rotate_file` the `_rot` package of --split-rotate (infer_rotate + prefill_rotate).
Result<mil::Model> BuildChunkModel(const ConversionPlan& plan, WeightCache& weights, int chunk, bool rotate_file);
Result<mil::Model> BuildMonolithicModel(const ConversionPlan& plan, WeightCache& weights);

// A function's description from its MIL inputs and the types of its block outputs.
mil::FunctionDescription DescribeFunction(const std::string& name, const mil::Function& function);

}  // namespace anemll::convert
