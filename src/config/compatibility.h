// The compatibility table: every keepalived.conf keyword and what vigil does with it, as
// the Markdown page docs/compatibility.md. Generated from the schema, never written by hand
// (`make compat-doc`; a unit test fails when the committed page differs).
#ifndef VIGIL_CONFIG_COMPATIBILITY_H_
#define VIGIL_CONFIG_COMPATIBILITY_H_

#include <string>

#include "config/schema.h"

namespace vigil::config {

// Returns the Markdown page for every keyword reachable from `root`: a summary of the
// counts, then the keywords that differ, are not planned or not yet supported, each with
// its block and note, then the keywords that act as in keepalived, block by block, then
// vigil's own keywords. A keyword inside the block of a keyword without effect is
// covered by that keyword's row and not listed again. Deterministic: table order.
std::string CompatibilityTable(const BlockSchema& root);

}  // namespace vigil::config

#endif  // VIGIL_CONFIG_COMPATIBILITY_H_
