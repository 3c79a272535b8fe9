// auth_hmac keys: the text of a `key ID VALUE` as keepalived decodes it, and the system
// pass that reads `file:PATH` keys with keepalived's rules for files that hold a secret.
#ifndef VIGIL_CONFIG_HMAC_KEYS_H_
#define VIGIL_CONFIG_HMAC_KEYS_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "config/diagnostics.h"
#include "model/config.h"

namespace vigil::config {

class SystemInfo;

inline constexpr size_t kHmacKeyMinBytes = 32;
inline constexpr size_t kHmacKeyMaxBytes = 64;
// keepalived reads a key file into 4 + 2 * 64 + 8 bytes, one kept for the terminator:
// a file of this many bytes or more is too large.
inline constexpr size_t kHmacKeyFileTooLarge = 139;

// Returns the key bytes of `text`: after a `hex:` prefix, octets of one or two hex
// digits (spaces and tabs skip between octets; a digit followed by a space or the end is
// an octet alone), empty if a character is not a hex digit; else the text itself up to
// its first NUL.
std::vector<uint8_t> DecodeHmacKey(std::string_view text);

// Reads every `file:` key of every auth_hmac in `config` through `system`, as keepalived:
//   cannot be opened                 error; key dropped
//   group or others have any access  security error (-t exit 6); key used
//   139 bytes or more                error; key dropped
// then trailing CR/LF are dropped and the text decoded as an inline value; a length
// outside 32..64 drops the key (error). An instance whose active key is dropped runs
// without auth_hmac (error), as keepalived disables the extension then.
void LoadHmacKeyFiles(model::Config& config, const SystemInfo& system, Diagnostics& diags);

}  // namespace vigil::config

#endif  // VIGIL_CONFIG_HMAC_KEYS_H_
