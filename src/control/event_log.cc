#include "control/event_log.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <random>

#include <nlohmann/json.hpp>

namespace vigil::control {
namespace {

using nlohmann::ordered_json;

// Returns `j` as compact JSON; names may hold any byte, so an invalid UTF-8 sequence becomes
// U+FFFD instead of throwing.
std::string Dump(const ordered_json& j) {
  return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace

std::string EventBody(std::string_view type, const std::vector<EventField>& fields) {
  ordered_json j;
  j["type"] = std::string(type);
  for (const EventField& f : fields) {
    std::visit([&](const auto& v) { j[f.key] = v; }, f.value);
  }
  return Dump(j);
}

std::string EventTime(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(when.time_since_epoch()).count();
  const time_t secs = static_cast<time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
  const int milli = static_cast<int>(((ms % 1000) + 1000) % 1000);
  tm utc{};
  gmtime_r(&secs, &utc);
  char text[80];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, milli);
  return text;
}

std::string NewRunId() {
  std::random_device source;
  const uint64_t id = (uint64_t{source()} << 32) | source();
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(id));
  return text;
}

EventLog::EventLog(size_t capacity, std::string run)
    : capacity_(capacity == 0 ? 1 : capacity), run_(std::move(run)) {}

uint64_t EventLog::Append(std::string_view body, std::chrono::system_clock::time_point when) {
  ordered_json in = ordered_json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (in.is_discarded() || !in.is_object()) return 0;
  auto type = in.find("type");
  if (type == in.end() || !type->is_string()) return 0;
  const uint64_t seq = next_seq_++;
  ordered_json line;
  line["seq"] = seq;
  if (!run_.empty()) line["run"] = run_;
  line["time"] = EventTime(when);
  for (auto it = in.begin(); it != in.end(); ++it) {
    if (it.key() != "seq" && it.key() != "run" && it.key() != "time")
      line[it.key()] = it.value();
  }
  ring_.push_back(Dump(line) + "\n");
  if (ring_.size() > capacity_) ring_.pop_front();
  // A subscriber may unsubscribe (or another) while woken: wake a copy of the list.
  std::vector<std::function<void()>> wake;
  for (const auto& [id, w] : subscribers_) wake.push_back(w);
  for (auto& w : wake) w();
  return seq;
}

EventLog::Batch EventLog::Read(uint64_t from, size_t max_bytes) const {
  Batch b;
  if (from == 0) from = 1;
  const uint64_t first = first_seq();
  if (from < first) b.lost = first - from;
  uint64_t seq = std::max(from, first);
  while (seq < next_seq_) {
    const std::string& line = ring_[seq - first];
    if (!b.text.empty() && b.text.size() + line.size() > max_bytes) break;
    b.text += line;
    ++seq;
  }
  b.next = seq;
  return b;
}

uint64_t EventLog::Subscribe(std::function<void()> wake) {
  const uint64_t id = next_subscriber_++;
  subscribers_[id] = std::move(wake);
  return id;
}

void EventLog::Unsubscribe(uint64_t id) { subscribers_.erase(id); }

Result<WatchRequest> WatchRequestFromJson(const std::string& line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Fail(ErrorCode::kInvalidArgument,
                                                      "request is not a JSON object");
  WatchRequest r;
  auto it = j.find("from");
  if (it == j.end()) return r;
  if (!it->is_number_unsigned())
    return Fail(ErrorCode::kInvalidArgument,
                "watch's \"from\" must be a sequence number (0 or more)");
  r.from = it->get<uint64_t>();
  auto run = j.find("run");
  if (run != j.end()) {
    if (!run->is_string() || run->get<std::string>().empty())
      return Fail(ErrorCode::kInvalidArgument,
                  "watch's \"run\" must be the run named in the events' lines");
    r.run = run->get<std::string>();
  }
  return r;
}

uint64_t WatchStart(const EventLog& log, const WatchRequest& request, bool* restarted) {
  *restarted = request.from && request.run && *request.run != log.run();
  if (*restarted) return 1;
  const uint64_t from = request.from.value_or(log.last_seq() + 1);
  return from == 0 ? 1 : from;
}

std::string WatchAnswer(const EventLog& log, uint64_t from, bool* ok) {
  if (from == 0) from = 1;
  nlohmann::ordered_json j;
  *ok = from <= log.last_seq() + 1;
  j["ok"] = *ok;
  if (!*ok) {
    j["error"] = "no event " + std::to_string(from) + " yet: the last is " +
                 std::to_string(log.last_seq()) +
                 " (a number from an earlier run of vigild?); watch from 0 for every event kept";
    return Dump(j);
  }
  j["from"] = from;
  j["last_seq"] = log.last_seq();
  j["capacity"] = log.capacity();
  if (!log.run().empty()) j["run"] = log.run();
  return Dump(j);
}

std::string WatchLostLine(uint64_t from, uint64_t lost, size_t capacity) {
  ordered_json j;
  j["type"] = "lost";
  j["from"] = from;
  j["lost"] = lost;
  j["message"] = std::to_string(lost) + " event(s) from " + std::to_string(from) +
                 " fell out of the ring (the last " + std::to_string(capacity) +
                 " are kept) before this watch read them";
  return Dump(j);
}

std::string WatchRestartedLine(const std::string& previous_run, uint64_t from,
                               const std::string& run) {
  ordered_json j;
  j["type"] = "restarted";
  j["previous_run"] = previous_run;
  j["from"] = from;
  j["run"] = run;
  j["message"] = "vigild has restarted since run " + previous_run + ": its events from " +
                 std::to_string(from) + " on are gone; run " + run +
                 "'s follow from its first one kept";
  return Dump(j);
}

std::string WatchOverflowLine(uint64_t resume_from, size_t capacity, const std::string& run) {
  ordered_json j;
  j["type"] = "overflow";
  j["resume_from"] = resume_from;
  if (!run.empty()) j["run"] = run;
  j["message"] = "this watch fell " + std::to_string(capacity) +
                 " events behind and is closed; resume with --from " +
                 std::to_string(resume_from) + (run.empty() ? "" : " --run " + run);
  return Dump(j);
}

}  // namespace vigil::control
