// The block tree: logical lines grouped into statements and their `{ ... }` blocks,
// checked against the schema (unknown keywords reported and skipped).
#ifndef VIGIL_CONFIG_TREE_H_
#define VIGIL_CONFIG_TREE_H_

#include <string>
#include <string_view>
#include <vector>

#include "config/token.h"

namespace vigil::config {

// One statement: a keyword, its arguments, and the statements of its block if it has one.
// In list blocks (virtual_ipaddress, unicast_peer, track_interface, ...) each line is a
// Node whose `keyword` is the line's first word (an address, an interface, ...).
struct Node {
  Token keyword;
  std::vector<Token> args;
  std::vector<Node> children;
  bool has_block = false;
  SourceLoc block_loc;  // where `{` was

  const std::string& name() const { return keyword.text; }
  // Returns the first child named `kw`, or nullptr.
  const Node* Find(std::string_view kw) const;
  // Returns every child named `kw`, in order.
  std::vector<const Node*> FindAll(std::string_view kw) const;
};

struct Tree {
  std::vector<Node> roots;
};

}  // namespace vigil::config

#endif  // VIGIL_CONFIG_TREE_H_
