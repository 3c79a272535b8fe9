#include "config/tree.h"

namespace vigil::config {

const Node* Node::Find(std::string_view kw) const {
  for (const Node& c : children)
    if (c.keyword.text == kw) return &c;
  return nullptr;
}

std::vector<const Node*> Node::FindAll(std::string_view kw) const {
  std::vector<const Node*> out;
  for (const Node& c : children)
    if (c.keyword.text == kw) out.push_back(&c);
  return out;
}

}  // namespace vigil::config
