#include "config/compatibility.h"

#include <array>
#include <string_view>
#include <vector>

namespace vigil::config {
namespace {

struct Row {
  std::string block;  // "" for the top level
  const KeywordSpec* spec;
};

// The rows of one walk: keywords that act (by block, in order) and the rest by support.
struct Rows {
  std::vector<Row> acts;
  std::vector<Row> own;
  std::array<std::vector<Row>, 4> by_support;  // indexed by Support
  size_t total = 0;
};

void Collect(const BlockSchema& schema, const std::string& path, Rows& rows) {
  for (const KeywordSpec& spec : schema.keywords()) {
    ++rows.total;
    if (spec.vigil_only())
      rows.own.push_back({path, &spec});
    else if (spec.support == Support::kActive)
      rows.acts.push_back({path, &spec});
    else
      rows.by_support[static_cast<size_t>(spec.support)].push_back({path, &spec});
    // The rows of an inert keyword's block stand for it: its keywords are not listed.
    if (spec.block != nullptr && Acts(spec.support))
      Collect(*spec.block, path.empty() ? std::string(spec.name)
                                        : path + "/" + std::string(spec.name),
              rows);
  }
}

std::string Cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string Name(const KeywordSpec& spec) {
  std::string out = "`" + std::string(spec.name) + "`";
  if (spec.opens_block()) out += " {…}";
  if (spec.is_deprecated_alias()) out += " (= `" + std::string(spec.alias_of) + "`)";
  return out;
}

std::string BlockLabel(const std::string& path) { return path.empty() ? "top level" : path; }

void Table(std::string& out, std::string_view heading, std::string_view intro,
           std::string_view note_header, const std::vector<Row>& rows) {
  out += "\n## " + std::string(heading) + " (" + std::to_string(rows.size()) + ")\n\n";
  out += std::string(intro) + "\n\n";
  if (rows.empty()) {
    out += "None.\n";
    return;
  }
  out += "| keyword | block | " + std::string(note_header) + " |\n|---|---|---|\n";
  for (const Row& r : rows)
    out += "| " + Name(*r.spec) + " | " + BlockLabel(r.block) + " | " + Cell(r.spec->note) + " |\n";
}

// Lists `rows` as one paragraph per block, in the order the blocks first appear.
void Lists(std::string& out, const std::vector<Row>& rows) {
  std::vector<std::string> order;
  for (const Row& r : rows) {
    bool seen = false;
    for (const std::string& b : order) seen = seen || b == r.block;
    if (!seen) order.push_back(r.block);
  }
  for (const std::string& b : order) {
    out += "\n**" + BlockLabel(b) + "**: ";
    bool first = true;
    for (const Row& r : rows) {
      if (r.block != b) continue;
      if (!first) out += ", ";
      out += Name(*r.spec);
      first = false;
    }
    out += "\n";
  }
}

}  // namespace

std::string CompatibilityTable(const BlockSchema& root) {
  Rows rows;
  Collect(root, "", rows);
  const auto& differs = rows.by_support[static_cast<size_t>(Support::kDiffers)];
  const auto& not_planned = rows.by_support[static_cast<size_t>(Support::kNotPlanned)];
  const auto& not_yet = rows.by_support[static_cast<size_t>(Support::kNotYet)];

  std::string out =
      "# keepalived.conf keywords in vigil\n"
      "\n"
      "<!-- Generated from the schema (src/config/schema*.cc) by `make compat-doc`. "
      "Do not edit: a unit test fails when this page and the schema differ. -->\n"
      "\n"
      "vigil reads keepalived's configuration unchanged. Every keyword keepalived knows is "
      "accepted (a keyword it does not know is an error, as in keepalived); this page says "
      "what vigil does with each one:\n"
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
      "|---|---|---|---|---|---|\n";
  out += "| " + std::to_string(rows.acts.size()) + " | " + std::to_string(differs.size()) +
         " | " + std::to_string(not_planned.size()) + " | " + std::to_string(not_yet.size()) +
         " | " + std::to_string(rows.own.size()) + " | " + std::to_string(rows.total) + " |\n";
  Table(out, "Differs", "These keywords act, but not exactly as in keepalived.", "how",
        differs);
  Table(out, "Not planned",
        "These keywords are accepted and deliberately have no effect in vigil.", "why",
        not_planned);
  Table(out, "Not yet", "These keywords are accepted but have no effect in vigil yet.",
        "what is missing", not_yet);
  out += "\n## Acts as in keepalived (" + std::to_string(rows.acts.size()) + ")\n";
  Lists(out, rows.acts);
  out += "\n## vigil's own keywords (" + std::to_string(rows.own.size()) + ")\n\n";
  out += "keepalived does not know these; see vigil.conf(5).\n";
  Lists(out, rows.own);
  return out;
}

}  // namespace vigil::config
