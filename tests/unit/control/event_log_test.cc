#include "control/event_log.h"

#include <gtest/gtest.h>

namespace vigil::control {
namespace {

using std::chrono::system_clock;

// 2026-12-05T12:00:00.250Z
const system_clock::time_point kNoon =
    system_clock::time_point(std::chrono::milliseconds(1796472000250LL));

std::string Line(uint64_t seq, const std::string& type) {
  return "{\"seq\":" + std::to_string(seq) + ",\"time\":\"2026-12-05T12:00:00.250Z\",\"type\":\"" +
         type + "\"}\n";
}

TEST(EventLogTest, NumbersEventsFromOneAndStampsThemKeepingTheFieldsOrder) {
  EventLog log;
  EXPECT_EQ(log.last_seq(), 0u);
  EXPECT_EQ(log.first_seq(), 1u);
  EXPECT_EQ(log.Append("vrrp_transition",
                       {{"instance", std::string("VI_1")}, {"from", std::string("BACKUP")},
                        {"to", std::string("MASTER")}, {"reason", std::string("master_down")},
                        {"priority", int64_t{100}}},
                       kNoon),
            1u);
  EXPECT_EQ(log.Append("operation_result", {{"ok", false}}, kNoon + std::chrono::seconds(61)), 2u);
  EventLog::Batch b = log.Read(1, 1 << 20);
  EXPECT_EQ(b.lost, 0u);
  EXPECT_EQ(b.next, 3u);
  EXPECT_EQ(b.text,
            "{\"seq\":1,\"time\":\"2026-12-05T12:00:00.250Z\",\"type\":\"vrrp_transition\","
            "\"instance\":\"VI_1\",\"from\":\"BACKUP\",\"to\":\"MASTER\",\"reason\":"
            "\"master_down\",\"priority\":100}\n"
            "{\"seq\":2,\"time\":\"2026-12-05T12:01:01.250Z\",\"type\":\"operation_result\","
            "\"ok\":false}\n");
}

TEST(EventLogTest, EventBodyIsTheFrameAnEngineSends) {
  EXPECT_EQ(EventBody("quorum", {{"virtual_server", std::string("10.0.0.1:80/tcp")},
                                 {"quorum", std::string("down")},
                                 {"live_weight", int64_t{0}}}),
            R"({"type":"quorum","virtual_server":"10.0.0.1:80/tcp","quorum":"down","live_weight":0})");
  EXPECT_EQ(EventBody("x", {{"name", std::string("bad\xff")}}), "{\"type\":\"x\",\"name\":\"bad\xef\xbf\xbd\"}");
}

TEST(EventLogTest, RefusesBodiesThatAreNotEventsAndStampsItsOwnNumberAndTime) {
  EventLog log;
  EXPECT_EQ(log.Append("[1]", kNoon), 0u);
  EXPECT_EQ(log.Append("{\"x\":1}", kNoon), 0u);
  EXPECT_EQ(log.Append("{\"type\":3}", kNoon), 0u);
  EXPECT_EQ(log.Append("{\"type\":", kNoon), 0u);
  EXPECT_EQ(log.last_seq(), 0u);
  EXPECT_EQ(log.Append(R"({"seq":99,"type":"x","time":"then","a":1})", kNoon), 1u);
  EXPECT_EQ(log.Read(1, 1000).text,
            "{\"seq\":1,\"time\":\"2026-12-05T12:00:00.250Z\",\"type\":\"x\",\"a\":1}\n");
}

TEST(EventLogTest, RingKeepsTheLastCapacityAndCountsWhatAReaderLost) {
  EventLog log(3);
  for (int i = 0; i < 5; ++i) log.Append("e", {}, kNoon);
  EXPECT_EQ(log.first_seq(), 3u);
  EXPECT_EQ(log.last_seq(), 5u);
  EventLog::Batch b = log.Read(1, 1 << 20);
  EXPECT_EQ(b.lost, 2u);
  EXPECT_EQ(b.text, Line(3, "e") + Line(4, "e") + Line(5, "e"));
  EXPECT_EQ(b.next, 6u);
  EXPECT_EQ(log.Read(0, 1 << 20).lost, 2u) << "0 reads from the first event";
  b = log.Read(4, 1 << 20);
  EXPECT_EQ(b.lost, 0u);
  EXPECT_EQ(b.text, Line(4, "e") + Line(5, "e"));
  b = log.Read(6, 1 << 20);
  EXPECT_EQ(b.text, "");
  EXPECT_EQ(b.next, 6u);
}

TEST(EventLogTest, ReadStopsAtItsByteBudgetButGivesAtLeastOneEvent) {
  EventLog log;
  for (int i = 0; i < 3; ++i) log.Append("e", {}, kNoon);
  const size_t one = Line(1, "e").size();
  EventLog::Batch b = log.Read(1, 1);
  EXPECT_EQ(b.text, Line(1, "e"));
  EXPECT_EQ(b.next, 2u);
  b = log.Read(1, 2 * one + 1);
  EXPECT_EQ(b.text, Line(1, "e") + Line(2, "e"));
  EXPECT_EQ(b.next, 3u);
}

TEST(EventLogTest, SubscribersAreWokenAfterEachAppendUntilTheyLeave) {
  EventLog log;
  int woken = 0;
  uint64_t seen = 0;
  uint64_t id = log.Subscribe([&] {
    ++woken;
    seen = log.last_seq();
  });
  log.Append("e", {}, kNoon);
  log.Append("e", {}, kNoon);
  EXPECT_EQ(woken, 2);
  EXPECT_EQ(seen, 2u) << "woken once the event is readable";
  log.Unsubscribe(id);
  log.Append("e", {}, kNoon);
  EXPECT_EQ(woken, 2);
  // One that leaves while woken does not disturb the others.
  int other = 0;
  uint64_t self = 0;
  self = log.Subscribe([&] { log.Unsubscribe(self); });
  log.Subscribe([&] { ++other; });
  log.Append("e", {}, kNoon);
  log.Append("e", {}, kNoon);
  EXPECT_EQ(other, 2);
}

TEST(EventLogTest, WatchRequestsAndAnswers) {
  EXPECT_FALSE(WatchRequestFromJson(R"({"command":"watch"})")->from.has_value());
  EXPECT_EQ(WatchRequestFromJson(R"({"command":"watch","from":7})")->from, 7u);
  EXPECT_EQ(WatchRequestFromJson(R"({"command":"watch","from":-1})").error().context(),
            "watch's \"from\" must be a sequence number (0 or more)");
  EXPECT_EQ(WatchRequestFromJson(R"({"command":"watch","from":"7"})").error().context(),
            "watch's \"from\" must be a sequence number (0 or more)");
  EventLog log(10);
  log.Append("e", {}, kNoon);
  log.Append("e", {}, kNoon);
  bool ok = false;
  EXPECT_EQ(WatchAnswer(log, 3, &ok), R"({"ok":true,"from":3,"last_seq":2,"capacity":10})");
  EXPECT_TRUE(ok);
  EXPECT_EQ(WatchAnswer(log, 0, &ok), R"({"ok":true,"from":1,"last_seq":2,"capacity":10})");
  EXPECT_EQ(WatchAnswer(log, 4, &ok),
            R"({"ok":false,"error":"no event 4 yet: the last is 2 (a number from an earlier run of vigild?); watch from 0 for every event kept"})");
  EXPECT_FALSE(ok);
  EXPECT_EQ(WatchLostLine(1, 2, 10),
            R"({"type":"lost","from":1,"lost":2,"message":"2 event(s) from 1 fell out of the ring (the last 10 are kept) before this watch read them"})");
  EXPECT_EQ(WatchOverflowLine(42, 10, ""),
            R"({"type":"overflow","resume_from":42,"message":"this watch fell 10 events behind and is closed; resume with --from 42"})");
}

TEST(EventLogTest, EveryLineNamesTheRunAndAResumeFromAnotherRunStartsOver) {
  EventLog log(10, "00000000000000ab");
  log.Append("vigild_started", {{"pid", int64_t{7}}}, kNoon);
  log.Append("e", {}, kNoon);
  EXPECT_EQ(log.Read(1, 1 << 20).text,
            "{\"seq\":1,\"run\":\"00000000000000ab\",\"time\":\"2026-12-05T12:00:00.250Z\","
            "\"type\":\"vigild_started\",\"pid\":7}\n"
            "{\"seq\":2,\"run\":\"00000000000000ab\",\"time\":\"2026-12-05T12:00:00.250Z\","
            "\"type\":\"e\"}\n");
  bool ok = false;
  EXPECT_EQ(WatchAnswer(log, 2, &ok),
            R"({"ok":true,"from":2,"last_seq":2,"capacity":10,"run":"00000000000000ab"})");

  auto same = WatchRequestFromJson(R"({"command":"watch","from":2,"run":"00000000000000ab"})");
  ASSERT_TRUE(same);
  EXPECT_EQ(same->run, "00000000000000ab");
  bool restarted = true;
  EXPECT_EQ(WatchStart(log, *same, &restarted), 2u);
  EXPECT_FALSE(restarted);
  // A number from an earlier run, even one this run has reached: every event of this run.
  auto other = WatchRequestFromJson(R"({"command":"watch","from":2,"run":"00000000000000aa"})");
  ASSERT_TRUE(other);
  EXPECT_EQ(WatchStart(log, *other, &restarted), 1u);
  EXPECT_TRUE(restarted);
  EXPECT_EQ(WatchRestartedLine("00000000000000aa", 2, "00000000000000ab"),
            R"({"type":"restarted","previous_run":"00000000000000aa","from":2,"run":"00000000000000ab","message":"vigild has restarted since run 00000000000000aa: its events from 2 on are gone; run 00000000000000ab's follow from its first one kept"})");
  // Without a number the run is not needed; without a run the number is taken as it is.
  auto now = WatchRequestFromJson(R"({"command":"watch","run":"00000000000000aa"})");
  EXPECT_EQ(WatchStart(log, *now, &restarted), 3u);
  EXPECT_FALSE(restarted);
  auto bare = WatchRequestFromJson(R"({"command":"watch","from":0})");
  EXPECT_EQ(WatchStart(log, *bare, &restarted), 1u);
  EXPECT_EQ(WatchRequestFromJson(R"({"command":"watch","from":1,"run":7})").error().context(),
            "watch's \"run\" must be the run named in the events' lines");
  EXPECT_EQ(WatchOverflowLine(3, 10, "00000000000000ab"),
            R"({"type":"overflow","resume_from":3,"run":"00000000000000ab","message":"this watch fell 10 events behind and is closed; resume with --from 3 --run 00000000000000ab"})");
  const std::string a = NewRunId(), b = NewRunId();
  EXPECT_EQ(a.size(), 16u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, b);
}

TEST(EventLogTest, TimesAreUtcWithMilliseconds) {
  EXPECT_EQ(EventTime(kNoon), "2026-12-05T12:00:00.250Z");
  EXPECT_EQ(EventTime(system_clock::time_point()), "1970-01-01T00:00:00.000Z");
}

}  // namespace
}  // namespace vigil::control
