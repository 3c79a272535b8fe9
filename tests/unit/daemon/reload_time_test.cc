#include "daemon/reload_time.h"

#include <stdlib.h>

#include <ctime>

#include <gtest/gtest.h>

namespace vigil::daemon {
namespace {

// Runs each test in a known time zone (a POSIX TZ rule: no tz database needed).
class ReloadTimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = getenv("TZ");
    saved_ = tz ? std::optional<std::string>(tz) : std::nullopt;
    Zone("CET-1CEST,M3.5.0,M10.5.0/3");  // UTC+1, UTC+2 in summer
  }
  void TearDown() override {
    if (saved_) setenv("TZ", saved_->c_str(), 1); else unsetenv("TZ");
    tzset();
  }
  static void Zone(const char* tz) {
    setenv("TZ", tz, 1);
    tzset();
  }
  // Returns the time_t of a UTC date and time.
  static std::time_t Utc(int y, int mo, int d, int h, int mi, int s) {
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return timegm(&tm);
  }
  std::optional<std::string> saved_;
};

TEST_F(ReloadTimeTest, ATimeOfDayIsTodayOrTomorrowInLocalTime) {
  const std::time_t now = Utc(2026, 12, 5, 8, 0, 0);  // 09:00 local
  auto t = ParseReloadTime("09:30:00", now);
  ASSERT_TRUE(t) << t.error().ToString();
  EXPECT_EQ(t->at, Utc(2026, 12, 5, 8, 30, 0));
  EXPECT_FALSE(t->date_specified);
  EXPECT_EQ(FormatLocalTime(t->at), "2026-12-05 09:30:00");
  // Past (or now): the same time tomorrow.
  EXPECT_EQ(ParseReloadTime("08:59:59", now)->at, Utc(2026, 12, 6, 7, 59, 59));
  EXPECT_EQ(ParseReloadTime("09:00:00", now)->at, Utc(2026, 12, 6, 8, 0, 0));
}

TEST_F(ReloadTimeTest, ATrailingZMeansUtc) {
  const std::time_t now = Utc(2026, 12, 5, 8, 0, 0);
  EXPECT_EQ(ParseReloadTime("08:30:00Z", now)->at, Utc(2026, 12, 5, 8, 30, 0));
  EXPECT_EQ(ParseReloadTime("07:00:00Z", now)->at, Utc(2026, 12, 6, 7, 0, 0));
  EXPECT_EQ(ParseReloadTime("2026-12-24 18:00:00Z", now)->at, Utc(2026, 12, 24, 18, 0, 0));
}

TEST_F(ReloadTimeTest, DatesInBothFormatsAndNoTomorrowForThem) {
  const std::time_t now = Utc(2026, 12, 5, 8, 0, 0);
  auto t = ParseReloadTime("2027-01-02 03:04:05", now);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->at, Utc(2027, 1, 2, 2, 4, 5));
  EXPECT_TRUE(t->date_specified);
  EXPECT_EQ(ParseReloadTime("27-01-02 03:04:05", now)->at, t->at);
  // Summer time: UTC+2.
  EXPECT_EQ(ParseReloadTime("2027-07-01 12:00:00", now)->at, Utc(2027, 7, 1, 10, 0, 0));
  EXPECT_EQ(ParseReloadTime("2026-12-05 08:59:00", now).error().context(),
            "reload time '2026-12-05 08:59:00' is in the past");
}

TEST_F(ReloadTimeTest, TomorrowFollowsADaylightSavingChange) {
  // 2027-03-27 12:00 local (UTC+1); 11:00:00 tomorrow is after the change (UTC+2).
  const std::time_t now = Utc(2027, 3, 27, 11, 0, 0);
  EXPECT_EQ(ParseReloadTime("11:00:00", now)->at, Utc(2027, 3, 28, 9, 0, 0));
}

TEST_F(ReloadTimeTest, BadTextIsRefusedWithTheReason) {
  const std::time_t now = Utc(2026, 12, 5, 8, 0, 0);
  for (const char* bad : {"9:30:00", "09:30", "", "Z", "09:30:00 ", "2026-12-05T10:00:00",
                          "09:3a:00"})
    EXPECT_EQ(ParseReloadTime(bad, now).error().context(),
              "reload time '" + std::string(bad) + "' is not HH:MM:SS, [YY]YY-MM-DD HH:MM:SS (Z: UTC)")
        << bad;
  EXPECT_EQ(ParseReloadTime("2027-02-30 10:00:00", now).error().context(),
            "reload time '2027-02-30 10:00:00' does not exist");
  // 02:30 local does not exist on the day clocks go forward.
  EXPECT_EQ(ParseReloadTime("2027-03-28 02:30:00", now).error().context(),
            "reload time '2027-03-28 02:30:00' does not exist");
}

TEST_F(ReloadTimeTest, OnlyARepeatedTimeOfDayKeepsItsFile) {
  EXPECT_TRUE(RemoveReloadTimeFileWhenDue({.at = 1, .date_specified = false}, false));
  EXPECT_FALSE(RemoveReloadTimeFileWhenDue({.at = 1, .date_specified = false}, true));
  EXPECT_TRUE(RemoveReloadTimeFileWhenDue({.at = 1, .date_specified = true}, true));
}

}  // namespace
}  // namespace vigil::daemon
