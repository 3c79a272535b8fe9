#include "daemon/options.h"

#include <signal.h>
#include <syslog.h>

#include <gtest/gtest.h>

namespace vigil::daemon {
namespace {

Options Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "vigild");
  auto r = ParseOptions(args);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().ToString());
  return r.value_or(Options{});
}

std::string ParseError(std::vector<std::string> args) {
  args.insert(args.begin(), "vigild");
  auto r = ParseOptions(args);
  EXPECT_FALSE(r.has_value());
  return r ? "" : r.error().ToString();
}

TEST(OptionsTest, DefaultsMatchKeepalived) {
  Options o = Parse({});
  EXPECT_EQ(o.mode, Mode::kRun);
  EXPECT_EQ(o.config_file, "/etc/keepalived/keepalived.conf");
  EXPECT_FALSE(o.foreground);
  EXPECT_FALSE(o.config_id.has_value());
}

TEST(OptionsTest, ConfigTestWithFileAndId) {
  Options o = Parse({"-t", "-f", "/tmp/k.conf", "-i", "lb1"});
  EXPECT_EQ(o.mode, Mode::kConfigTest);
  EXPECT_EQ(o.config_file, "/tmp/k.conf");
  EXPECT_EQ(o.config_id, "lb1");
  EXPECT_FALSE(o.config_test_log.has_value());
}

TEST(OptionsTest, ConfigTestLongFormTakesAttachedLogFile) {
  Options o = Parse({"--config-test=/tmp/out.log", "--use-file=/x.conf"});
  EXPECT_EQ(o.mode, Mode::kConfigTest);
  EXPECT_EQ(o.config_test_log, "/tmp/out.log");
  EXPECT_EQ(o.config_file, "/x.conf");
}

TEST(OptionsTest, BundledShortFlags) {
  Options o = Parse({"-lnDR", "-P"});
  EXPECT_TRUE(o.log_console);
  EXPECT_TRUE(o.foreground);
  EXPECT_TRUE(o.log_detail);
  EXPECT_TRUE(o.dont_respawn);
  EXPECT_TRUE(o.vrrp_only);
  EXPECT_FALSE(o.check_only);
}

TEST(OptionsTest, PidFilesAndLbRelease) {
  Options o = Parse({"-p", "/run/a.pid", "-r", "/run/b.pid", "-c", "/run/c.pid", "-I", "-C"});
  EXPECT_EQ(o.pid_file, "/run/a.pid");
  EXPECT_EQ(o.vrrp_pid_file, "/run/b.pid");
  EXPECT_EQ(o.check_pid_file, "/run/c.pid");
  EXPECT_TRUE(o.dont_release_lb);
  EXPECT_TRUE(o.check_only);
}

TEST(OptionsTest, LogFacilityForms) {
  EXPECT_EQ(Parse({"-S", "3"}).log_facility, LOG_LOCAL3);
  EXPECT_EQ(Parse({"-S", "local7"}).log_facility, LOG_LOCAL7);
  EXPECT_EQ(Parse({"--log-facility=daemon"}).log_facility, LOG_DAEMON);
  EXPECT_EQ(ParseError({"-S", "9"}), "invalid log facility '9'");
}

TEST(OptionsTest, HelpShowsVigilsPidFilesAndExitCodes) {
  const std::string help = UsageText();
  EXPECT_NE(help.find("main pid file (default /run/vigild.pid)"), std::string::npos) << help;
  EXPECT_NE(help.find("VRRP engine pid file (default /run/vigild_vrrp.pid)"), std::string::npos);
  EXPECT_NE(help.find("checker engine pid file (default /run/vigild_check.pid)"),
            std::string::npos);
  EXPECT_EQ(help.find("keepalived.pid"), std::string::npos);
  EXPECT_NE(help.find("0 fine, 4 cannot run, 5 errors, 6 scripts"), std::string::npos);
}

TEST(OptionsTest, DumpConfigVersionHelp) {
  EXPECT_EQ(Parse({"--dump-config"}).mode, Mode::kDumpConfig);
  EXPECT_EQ(Parse({"-v"}).mode, Mode::kVersion);
  EXPECT_EQ(Parse({"--help"}).mode, Mode::kHelp);
}

TEST(OptionsTest, UnknownAndMissingValues) {
  EXPECT_EQ(ParseError({"-Z"}), "unknown option '-Z'");
  EXPECT_EQ(ParseError({"--bogus"}), "unknown option '--bogus'");
  EXPECT_EQ(ParseError({"-f"}), "option '-f' needs a value");
  EXPECT_EQ(ParseError({"stray"}), "unexpected argument 'stray'");
  EXPECT_EQ(ParseError({"-u", "999"}), "invalid umask '999'");
}

TEST(OptionsTest, UmaskIsANumberInAnyBaseAsKeepalivedReadsIt) {
  EXPECT_EQ(Parse({"-u", "022"}).umask, 022u);
  EXPECT_EQ(Parse({"-u", "18"}).umask, 022u);
  EXPECT_EQ(Parse({"--umask=0x12"}).umask, 022u);
  EXPECT_EQ(Parse({"-u0"}).umask, 0u);
  EXPECT_EQ(ParseError({"-u", "0800"}), "invalid umask '0800'");
  EXPECT_EQ(ParseError({"-u", "512"}), "invalid umask '512'");
  EXPECT_EQ(ParseError({"-u", "-1"}), "invalid umask '-1'");
  EXPECT_EQ(ParseError({"-u", "IRGRP"}), "invalid umask 'IRGRP'");
  EXPECT_FALSE(Parse({}).umask);
}

TEST(OptionsTest, SignumNames) {
  Options o = Parse({"--signum=RELOAD"});
  EXPECT_EQ(o.mode, Mode::kSignum);
  EXPECT_EQ(SignalNumber(o.signum_name), SIGHUP);
  EXPECT_EQ(SignalNumber("STOP"), SIGTERM);
  EXPECT_EQ(SignalNumber("JSON"), SIGRTMIN + 2);
  EXPECT_FALSE(SignalNumber("NOPE").has_value());
}

}  // namespace
}  // namespace vigil::daemon
