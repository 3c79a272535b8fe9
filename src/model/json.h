// The model as JSON: `vigild --dump-config` and the golden tests' expected output.
// Keys come in declaration order, every field is present (unset optionals are null),
// durations are seconds (numbers), addresses and enums are text.
#ifndef VIGIL_MODEL_JSON_H_
#define VIGIL_MODEL_JSON_H_

#include <string>

#include "model/config.h"

namespace vigil::model {

// Returns `config` as JSON text, pretty-printed with `indent` spaces (-1: one line).
// The same model always gives the same text.
std::string ToJsonText(const Config& config, int indent = 2);

}  // namespace vigil::model

#endif  // VIGIL_MODEL_JSON_H_
