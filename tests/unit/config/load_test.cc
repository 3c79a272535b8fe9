// LoadConfig builds the model block by block as the parser closes each top-level block
// (RootBuilder): the same model and diagnostics as building the whole tree, without the
// whole tree in memory.
#include "config/load.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/build.h"
#include "config/file_system.h"
#include "config/parser.h"
#include "config/preprocessor.h"
#include "model/json.h"

namespace vigil::config {
namespace {

constexpr char kPath[] = "/etc/keepalived/keepalived.conf";

// What LoadConfig made before RootBuilder: the whole tree, then the model.
std::string WholeTree(MemoryFileSystem& fs) {
  SourceFiles files;
  Diagnostics diags, parse_diags;
  PreprocessOptions options;
  Tree tree;
  {
    LineReader reader(kPath, fs, options, files, diags);
    tree = ParseTree([&](Line& line) { return reader.Next(line); }, parse_diags);
  }
  for (const Diagnostic& d : parse_diags.all()) diags.Add(d);
  model::Config cfg = Build(std::move(tree), diags);
  return diags.FormatAll(files) + model::ToJsonText(cfg);
}

std::string ByBlock(MemoryFileSystem& fs) {
  Loaded l = LoadConfig(kPath, PreprocessOptions{}, fs, nullptr, SystemPass::kNone);
  return l.diags.FormatAll(l.files) + model::ToJsonText(l.config);
}

const model::CheckSpec& FirstCheck(const model::Config& cfg, size_t vs) {
  return cfg.virtual_servers.at(vs).real_servers.at(0).checks.at(0);
}

constexpr char kVirtualServers[] = R"(
virtual_server 10.0.0.1 80 {
  protocol TCP
  real_server 10.0.1.1 80 {
    TCP_CHECK {
      connect_timeout 3
    }
  }
}
virtual_server 10.0.0.2 80 {
  protocol TCP
  no_such_keyword 1
  real_server 10.0.1.2 80 {
    weight 0x
    TCP_CHECK {
    }
  }
}
)";

TEST(LoadTest, BlocksBeforeGlobalDefsWaitForIt) {
  MemoryFileSystem fs;
  fs.Add(kPath, std::string(kVirtualServers) + "global_defs {\n  checker_log_all_failures\n}\n" +
                    "virtual_server 10.0.0.1 80 {\n  protocol TCP\n}\n");
  Loaded l = LoadConfig(kPath, PreprocessOptions{}, fs, nullptr, SystemPass::kNone);
  ASSERT_EQ(l.config.virtual_servers.size(), 2u);
  EXPECT_TRUE(FirstCheck(l.config, 0).log_all_failures);  // global_defs read first
  EXPECT_TRUE(FirstCheck(l.config, 1).log_all_failures);
  EXPECT_EQ(ByBlock(fs), WholeTree(fs));
  EXPECT_NE(ByBlock(fs).find("unknown keyword 'no_such_keyword'"), std::string::npos);
}

TEST(LoadTest, AGlobalDefsAfterBuiltBlocksReadsTheWholeTree) {
  MemoryFileSystem fs;
  fs.Add(kPath, "global_defs {\n  router_id a\n}\n" + std::string(kVirtualServers) +
                    "global_defs {\n  checker_log_all_failures\n}\n");
  Loaded l = LoadConfig(kPath, PreprocessOptions{}, fs, nullptr, SystemPass::kNone);
  ASSERT_EQ(l.config.virtual_servers.size(), 2u);
  EXPECT_TRUE(FirstCheck(l.config, 0).log_all_failures);  // the later global_defs applies
  EXPECT_EQ(l.config.global.router_id, "a");
  EXPECT_EQ(ByBlock(fs), WholeTree(fs));
}

TEST(LoadTest, RootBuilderSaysWhenAGlobalDefsComesTooLate) {
  Diagnostics diags;
  RootBuilder early(diags);
  Node vs, global;
  vs.keyword.text = "virtual_server";
  global.keyword.text = "global_defs";
  early.Add(Node(vs));  // waits: no global_defs yet
  early.Add(Node(global));
  early.Add(Node(global));
  EXPECT_FALSE(early.late_global_defs());
  RootBuilder late(diags);
  late.Add(Node(global));
  late.Add(Node(vs));  // built
  late.Add(Node(global));
  EXPECT_TRUE(late.late_global_defs());
}

TEST(LoadTest, ParseRootsHandsEachBlockOverWhenItCloses) {
  MemoryFileSystem fs;
  fs.Add(kPath, "global_defs {\n  router_id a\n}\n" + std::string(kVirtualServers));
  SourceFiles files;
  Diagnostics diags;
  PreprocessOptions options;
  LineReader reader(kPath, fs, options, files, diags);
  size_t lines = 0;
  std::vector<size_t> read_when_handed;  // lines read when each block was handed over
  ParseRoots([&](Line& line) { return reader.Next(line) && ++lines; }, diags,
             [&](Node&& root) { read_when_handed.push_back(lines); (void)root; });
  // Each block as soon as the line of its '}' is read (the preprocessor gives each brace a
  // line of its own): global_defs's 4th line, the first virtual server's 11th after it.
  EXPECT_EQ(read_when_handed, (std::vector<size_t>{4, 15, 27}));
  EXPECT_EQ(lines, 27u);
}

}  // namespace
}  // namespace vigil::config
