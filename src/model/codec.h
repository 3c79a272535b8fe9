// The model in binary: how the supervisor hands the engines the configuration it checked,
// so that no engine reads the files again. Every field of every model struct is written in
// declaration order (SourceRefs and what the system pass resolved included); integers are
// varints, strings and vectors length-prefixed, behind a magic and a format version. Pure;
// the encoding is for processes of the same build, not a stored format.
#ifndef VIGIL_MODEL_CODEC_H_
#define VIGIL_MODEL_CODEC_H_

#include <string>
#include <string_view>

#include "base/error.h"
#include "model/config.h"

namespace vigil::model {

// Returns `config` encoded. DecodeConfig of the result gives a model equal to `config`
// field by field.
std::string EncodeConfig(const Config& config);

// Returns the model encoded in `bytes`, or kParse when they are not one whole model of this
// format (another magic or version, truncated, trailing bytes, a value out of its type's
// range). Never reads past `bytes`; a length is believed only if that many bytes remain.
Result<Config> DecodeConfig(std::string_view bytes);

}  // namespace vigil::model

#endif  // VIGIL_MODEL_CODEC_H_
