// Typed value parsers for configuration arguments. Each reads one token, returns the
// value or nullopt, and on failure reports one diagnostic at the token, worded as
//   <what>: '<value>' is not a valid <type>
//   <what> <value> is out of range <min>..<max>
// where <what> is usually the keyword. Pure: no system access.
#ifndef VIGIL_CONFIG_VALUES_H_
#define VIGIL_CONFIG_VALUES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.h"
#include "config/token.h"
#include "config/tree.h"
#include "model/address.h"
#include "model/config.h"

namespace vigil::config {

// --- Text-only parsers (no diagnostics) ---

// Parses an optionally signed decimal integer ("-12", "+3", "42"); nullopt otherwise
// (including overflow of int64).
std::optional<int64_t> ParseIntegerText(std::string_view s);
// Parses on|off|true|false|yes|no (case-insensitive).
std::optional<bool> ParseBoolText(std::string_view s);
// Parses decimal seconds with up to 6 fractional digits ("1", "0.5", "2.000001");
// nullopt for signs, exponents, more digits or overflow.
std::optional<model::Duration> ParseSecondsText(std::string_view s);
// Formats `d` as decimal seconds without trailing zeros ("1", "0.01", "40.95").
std::string FormatSeconds(model::Duration d);

// --- Token parsers (one diagnostic on failure, with `severity`) ---

// Returns the integer in [min, max].
std::optional<int64_t> ParseInteger(const Token& tok, std::string_view what, int64_t min,
                                    int64_t max, Diagnostics& diags,
                                    Severity severity = Severity::kError);
// Returns the boolean (on|off|true|false|yes|no).
std::optional<bool> ParseBool(const Token& tok, std::string_view what, Diagnostics& diags,
                              Severity severity = Severity::kError);
// Returns a TIMER (decimal seconds, µs resolution) in [min, max].
std::optional<model::Duration> ParseTimer(const Token& tok, std::string_view what,
                                          model::Duration min, model::Duration max,
                                          Diagnostics& diags,
                                          Severity severity = Severity::kError);
// Returns an IPv4/IPv6 address.
std::optional<model::IpAddress> ParseAddress(const Token& tok, std::string_view what,
                                             Diagnostics& diags,
                                             Severity severity = Severity::kError);
// Returns an address with optional "/LEN".
std::optional<model::IpPrefix> ParsePrefix(const Token& tok, std::string_view what,
                                           Diagnostics& diags,
                                           Severity severity = Severity::kError);
// Returns a port 0..65535.
std::optional<uint16_t> ParsePort(const Token& tok, std::string_view what, Diagnostics& diags,
                                  Severity severity = Severity::kError);

// --- Node helpers ---

// Returns argument `i` of `n` (0 = first word after the keyword), or nullptr.
const Token* Arg(const Node& n, size_t i);
// Returns argument `i`, reporting "<keyword>: missing value" at the keyword when absent.
const Token* RequireArg(const Node& n, size_t i, Diagnostics& diags,
                        Severity severity = Severity::kError);
// Returns the keyword's boolean: bare keyword = true, else its first argument parsed
// as a BOOL; nullopt (and an error) when that argument is not a BOOL.
std::optional<bool> NodeBool(const Node& n, Diagnostics& diags);
// Returns the arguments of `n` joined with single spaces.
std::string JoinArgs(const Node& n, size_t from = 0);
// Returns the texts of the arguments of `n` from `from`.
std::vector<std::string> ArgTexts(const Node& n, size_t from = 0);
// Converts a configuration location to the model's.
model::SourceRef ToRef(const SourceLoc& loc);
// Returns the location of `n`'s keyword, as a model SourceRef.
inline model::SourceRef RefOf(const Node& n) { return ToRef(n.keyword.loc); }

}  // namespace vigil::config

#endif  // VIGIL_CONFIG_VALUES_H_
