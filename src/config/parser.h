// The block parser: logical lines → the block tree, checked against the schema.
#ifndef VIGIL_CONFIG_PARSER_H_
#define VIGIL_CONFIG_PARSER_H_

#include <functional>
#include <vector>

#include "config/diagnostics.h"
#include "config/schema.h"
#include "config/token.h"
#include "config/tree.h"

namespace vigil::config {

// Groups `lines` into statements and blocks the way keepalived 2.2.7 reads them, and
// checks each keyword against `schema` (the root table unless given).
//
// Statements: every unquoted `{` and `}` token stands alone, so the words between two
// braces, or between a brace and the end of a line, form one statement whose first word
// is the keyword and the rest its arguments. Thus `track_interface { eth0 }` and
// `} virtual_server ...` work, and a `{` may sit on the line after its keyword.
//
// Diagnostics (message text is exact):
//  - error `unknown keyword 'KW'` at the keyword, with `; did you mean 'NEAR'?` when a
//    keyword of that block is close (BlockSchema::Closest); the statement, and its
//    `{ ... }` block if one follows, are left out of the tree (as keepalived, whose -t
//    counts it an error).
//  - warning `'KW' is accepted but not yet supported by vigil; it has no effect` for a
//    Support::kNotYet keyword, and `'KW' has no effect in vigil: NOTE` for a
//    Support::kNotPlanned one (neither repeated inside its block); it stays in the tree.
//  - error `missing '{' after 'KW'`: a block keyword not followed by `{`. As in
//    keepalived, the statements after it, up to the next `}`, still form its block
//    (the node's block_loc is then the keyword's location). At end of input, the
//    keyword is kept with an empty block.
//  - error `unexpected '{'`: a `{` after a keyword that takes no block, or alone, or
//    inside a list block; the braced text is skipped.
//  - error `unmatched '}'`: a `}` at the top level; it is ignored.
//  - error `missing '}' for block 'KW' opened here` at the `{` of each block still open
//    at end of input (outermost first); the blocks are closed there.
//  - error `blocks nested too deeply (more than N levels)` once per run of skipped text
//    whose braces nest deeper than kMaxNesting; parsing continues.
//
// In a list block (BlockKind::kList) every statement becomes a child Node kept verbatim
// (first word as `keyword`), without schema checks.
Tree ParseTree(const std::vector<Line>& lines, Diagnostics& diags);
// The same, taking the lines' tokens into the tree and freeing each line once it is read.
Tree ParseTree(std::vector<Line>&& lines, Diagnostics& diags);
Tree ParseTree(const std::vector<Line>& lines, const BlockSchema& schema, Diagnostics& diags);

// Moves the next line into its argument (which may hold an empty line whose room the
// callee may keep for later lines); returns false at the end of the input.
using NextLine = std::function<bool(Line&)>;
// The same, reading the lines from `next` as the parse needs them (one statement ahead, or
// to the end of a block it skips) and freeing each once read: with LineReader's lines, a
// large configuration's lines are never all in memory, nor beside the whole tree.
Tree ParseTree(const NextLine& next, Diagnostics& diags);
Tree ParseTree(const NextLine& next, const BlockSchema& schema, Diagnostics& diags);

// Takes each top-level block as it closes.
using OnRoot = std::function<void(Node&&)>;
// The same as ParseTree(next, diags), handing each top-level block to `on_root` as soon as
// it closes instead of keeping it in a tree (with RootBuilder: the whole tree is never in
// memory).
void ParseRoots(const NextLine& next, Diagnostics& diags, const OnRoot& on_root);

// The deepest brace nesting accepted inside skipped text.
inline constexpr size_t kMaxNesting = 64;

}  // namespace vigil::config

#endif  // VIGIL_CONFIG_PARSER_H_
