// The value of a track_file (vrrp_track_file, and the checkers' FILE_CHECK): the rule for
// turning its contents into a number, as keepalived reads it. Pure.
#ifndef VIGIL_MODEL_TRACK_FILE_H_
#define VIGIL_MODEL_TRACK_FILE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace vigil::model {

// The most of a track file that is read (keepalived reads 127 bytes).
inline constexpr size_t kTrackFileReadLimit = 127;

// Returns the value of a track file holding `text`: its first kTrackFileReadLimit bytes as
// one C integer (strtol base 0: leading blanks, a sign, 0x for hex, a leading 0 for octal;
// anything after the number ignored), 0 when there is no number (empty, a word). nullopt
// when the number is below INT32_MIN or above INT32_MAX + 1: the value then stays what it
// was (a tracker) or the check fails (FILE_CHECK).
std::optional<int64_t> ParseTrackFileValue(std::string_view text);

}  // namespace vigil::model

#endif  // VIGIL_MODEL_TRACK_FILE_H_
