// Tokens and logical lines: what the preprocessor hands to the block parser.
#ifndef VIGIL_CONFIG_TOKEN_H_
#define VIGIL_CONFIG_TOKEN_H_

#include <string>
#include <vector>

#include "config/source.h"

namespace vigil::config {

// One word of configuration text after comments, quoting, includes and expansions.
// `{` and `}` outside quotes are always tokens of their own. `loc` is where the token
// (or, for text produced by a $NAME expansion or a ~SEQ loop, the construct that
// produced it) starts in its file.
struct Token {
  std::string text;
  SourceLoc loc;
  bool quoted = false;  // some part came from a quoted string ("{" quoted is not a brace)

  // (Length and byte, not text == "{": a strlen and a compare call, for every token.)
  bool IsOpen() const { return !quoted && text.size() == 1 && text[0] == '{'; }
  bool IsClose() const { return !quoted && text.size() == 1 && text[0] == '}'; }
};

// One logical line of configuration: never empty.
using Line = std::vector<Token>;

}  // namespace vigil::config

#endif  // VIGIL_CONFIG_TOKEN_H_
