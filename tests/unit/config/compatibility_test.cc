#include "config/compatibility.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "config/schema.h"

namespace vigil::config {
namespace {

using namespace schema_internal;

constexpr KeywordSpec kInnerKeywords[] = {Kw("inner"), Kw("inner_later", kNotYet)};
constexpr BlockSchema kInnerBlock("outer", kInnerKeywords);
constexpr KeywordSpec kRootKeywords[] = {
    Kw("alpha"),
    Alias("old_alpha", "alpha"),
    Kw("beta", Differs("acts once | twice")),
    Kw("snmp", NotPlanned("use the metrics")),
    Block("bfd", kInnerBlock, NotYet("no BFD engine")),
    Block("outer", kInnerBlock),
    Kw("vigil_thing"),
};
constexpr BlockSchema kRoot("root", kRootKeywords);

TEST(CompatibilityTest, RendersEachSupportWithItsNoteAndBlock) {
  EXPECT_EQ(CompatibilityTable(kRoot),
            "# keepalived.conf keywords in vigil\n"
            "\n"
            "<!-- Generated from the schema (src/config/schema*.cc) by `make compat-doc`. Do "
            "not edit: a unit test fails when this page and the schema differ. -->\n"
            "\n"
            "vigil reads keepalived's configuration unchanged. Every keyword keepalived knows "
            "is accepted (a keyword it does not know is an error, as in keepalived); this page "
            "says what vigil does with each one:\n"
            "\n"
            "- **acts**: as in keepalived.\n"
            "- **differs**: acts, but not exactly as in keepalived; the note says how.\n"
            "- **not planned**: accepted without effect on purpose; the note says why and what "
            "vigil offers instead. `vigild -t` warns.\n"
            "- **not yet**: accepted without effect for now. `vigild -t` warns.\n"
            "\n"
            "A keyword that opens a block (`{…}`) stands for its whole block when it has no "
            "effect. Keywords are counted once per block they may appear in.\n"
            "\n"
            "| acts | differs | not planned | not yet | vigil's own | total |\n"
            "|---|---|---|---|---|---|\n"
            "| 4 | 1 | 1 | 2 | 1 | 9 |\n"
            "\n"
            "## Differs (1)\n"
            "\n"
            "These keywords act, but not exactly as in keepalived.\n"
            "\n"
            "| keyword | block | how |\n"
            "|---|---|---|\n"
            "| `beta` | top level | acts once \\| twice |\n"
            "\n"
            "## Not planned (1)\n"
            "\n"
            "These keywords are accepted and deliberately have no effect in vigil.\n"
            "\n"
            "| keyword | block | why |\n"
            "|---|---|---|\n"
            "| `snmp` | top level | use the metrics |\n"
            "\n"
            "## Not yet (2)\n"
            "\n"
            "These keywords are accepted but have no effect in vigil yet.\n"
            "\n"
            "| keyword | block | what is missing |\n"
            "|---|---|---|\n"
            "| `bfd` {…} | top level | no BFD engine |\n"
            "| `inner_later` | outer |  |\n"
            "\n"
            "## Acts as in keepalived (4)\n"
            "\n"
            "**top level**: `alpha`, `old_alpha` (= `alpha`), `outer` {…}\n"
            "\n"
            "**outer**: `inner`\n"
            "\n"
            "## vigil's own keywords (1)\n"
            "\n"
            "keepalived does not know these; see vigil.conf(5).\n"
            "\n"
            "**top level**: `vigil_thing`\n");
}

// docs/compatibility.md is generated from the schema; this fails when someone changes a
// keyword's support (or adds a keyword) without regenerating it.
TEST(CompatibilityTest, CommittedPageMatchesTheSchema) {
  const std::string path = std::string(VIGIL_SOURCE_DIR) + "/docs/compatibility.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot read " << path;
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_TRUE(text.str() == CompatibilityTable(RootSchema()))
      << path << " differs from the schema: run `make compat-doc` and commit the result";
}

}  // namespace
}  // namespace vigil::config
