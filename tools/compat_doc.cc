// vigil-compat-doc: prints docs/compatibility.md, the compatibility table generated from
// the configuration schema (`make compat-doc` writes it into the tree).
#include <cstdio>

#include "config/compatibility.h"

int main() {
  const std::string page = vigil::config::CompatibilityTable(vigil::config::RootSchema());
  return std::fwrite(page.data(), 1, page.size(), stdout) == page.size() ? 0 : 1;
}
