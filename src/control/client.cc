#include "control/client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <optional>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/fd.h"
#include "base/unique_fd.h"
#include "control/protocol.h"

namespace vigil::control {

namespace {

// Returns a socket connected to `path` that has sent `request_line`.
Result<UniqueFd> Send(const std::string& path, const std::string& request_line) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path))
    return Fail(ErrorCode::kInvalidArgument, "control socket path too long: " + path);
  UniqueFd fd = fd::Socket(AF_UNIX, SOCK_STREAM, 0);
  if (!fd) return FailErrno("socket");
  addr.sun_family = AF_UNIX;
  std::copy(path.begin(), path.end(), addr.sun_path);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    return FailErrno("cannot connect to control socket '" + path + "' (is vigild running?)");
  std::string out = request_line + "\n";
  size_t sent = 0;
  while (sent < out.size()) {
    // MSG_NOSIGNAL: a daemon that answered and closed (a refusal) is read, not a SIGPIPE.
    ssize_t n = send(fd.get(), out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EPIPE) break;
    if (n <= 0) return FailErrno("write to control socket");
    sent += n;
  }
  return fd;
}

// Reads from `fd` into `in` until it holds a whole line; returns false at the end of the
// stream. `deadline` (if set) bounds the wait.
Result<bool> ReadLine(int fd, std::string& in,
                      std::optional<std::chrono::steady_clock::time_point> deadline) {
  char buf[65536];
  while (in.find('\n') == std::string::npos) {
    int wait = -1;
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return Fail(ErrorCode::kTimeout, "no answer from vigild");
      wait = static_cast<int>(left.count());
    }
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, wait);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return FailErrno("poll");
    if (r == 0) return Fail(ErrorCode::kTimeout, "no answer from vigild");
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return FailErrno("read from control socket");
    if (n == 0) return false;
    in.append(buf, n);
  }
  return true;
}

}  // namespace

Result<std::string> Request(const std::string& path, const std::string& request_line,
                            int timeout_ms) {
  auto fd = Send(path, request_line);
  if (!fd) return std::unexpected(fd.error());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string in;
  auto got = ReadLine(fd->get(), in, deadline);
  if (!got) return std::unexpected(got.error());
  if (!*got) return Fail(ErrorCode::kIo, "vigild closed the connection");
  return in.substr(0, in.find('\n'));
}

Result<void> Watch(const std::string& path, const std::string& request_line, int timeout_ms,
                   const std::function<void(const std::string&)>& on_line) {
  auto fd = Send(path, request_line);
  if (!fd) return std::unexpected(fd.error());
  std::optional<std::chrono::steady_clock::time_point> deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string in;
  bool answered = false;
  for (;;) {
    auto got = ReadLine(fd->get(), in, answered ? std::nullopt : deadline);
    if (!got) return std::unexpected(got.error());
    if (!*got) {
      if (!answered) return Fail(ErrorCode::kIo, "vigild closed the connection");
      return {};
    }
    size_t end;
    while ((end = in.find('\n')) != std::string::npos) {
      on_line(in.substr(0, end));
      in.erase(0, end + 1);
      answered = true;
    }
  }
}

namespace {

using nlohmann::json;

// A left-aligned text table.
std::string Table(const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
  for (const auto& r : rows)
    for (size_t c = 0; c < r.size() && c < width.size(); ++c)
      width[c] = std::max(width[c], r[c].size());
  std::ostringstream out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s;
    for (size_t c = 0; c < header.size(); ++c) {
      std::string cell = c < cells.size() ? cells[c] : "";
      s += cell;
      if (c + 1 < header.size()) s += std::string(width[c] - cell.size() + 2, ' ');
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    out << s << '\n';
  };
  line(header);
  for (const auto& r : rows) line(r);
  return out.str();
}

std::string Str(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_null()) return "";
  return j.dump();
}

std::string Join(const json& arr) {
  std::string s;
  if (!arr.is_array()) return s;
  for (const auto& v : arr) s += (s.empty() ? "" : ",") + Str(v);
  return s;
}

std::string InstancesTable(const json& instances) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& i : instances) {
    // Runtime state an operator set: "BACKUP/maintenance", "BACKUP/failover"; "150/100(set 150)".
    std::string state = Str(i.value("state", json()));
    const std::string hold = i.value("hold", std::string());
    if (!hold.empty()) state += "/" + hold;
    std::string prio = Str(i.value("effective_priority", json())) + "/" +
                       Str(i.value("base_priority", json()));
    if (i.value("runtime_priority", 0) > 0)
      prio += "(set " + Str(i.value("runtime_priority", json())) + ")";
    rows.push_back({Str(i.value("name", json())), state,
                    Str(i.value("interface", json())), Str(i.value("vrid", json())), prio,
                    Str(i.value("master_address", json())), Join(i.value("vips", json()))});
  }
  std::string out =
      Table({"INSTANCE", "STATE", "INTERFACE", "VRID", "PRIO", "MASTER", "VIPS"}, rows);
  // Why those in FAULT are, under the table (a reason is too long for a column).
  for (const auto& i : instances) {
    const std::string why = i.value("fault_reason", std::string());
    if (!why.empty()) out += Str(i.value("name", json())) + " in FAULT: " + why + "\n";
  }
  return out;
}

// Returns how long a check in flight has run, "1.5s", or "-" when none is.
std::string RunningFor(double seconds) {
  if (seconds <= 0) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.1fs", seconds);
  return text;
}

std::string ServersTable(const json& vss) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& v : vss) {
    std::string vs = Str(v.value("name", json()));
    std::string quorum = v.value("quorum_up", true) ? "quorum" : "NO QUORUM";
    if (v.value("sorry_server_active", false)) quorum += " (sorry server)";
    if (v.value("checkers_suspended", false)) quorum += " (checks suspended)";
    for (const auto& r : v.value("real_servers", json::array())) {
      // Runtime state an operator set: "UP/disabled", "DOWN/draining"; "40(set)".
      std::string health = r.value("up", false) ? "UP" : "DOWN";
      const std::string admin = r.value("admin", std::string("enabled"));
      if (admin != "enabled") health += "/" + admin;
      std::string weight = Str(r.value("weight", json()));
      if (r.value("admin_weight", -1) >= 0) weight += "(set)";
      rows.push_back({vs, Str(r.value("address", json())), health, weight,
                      Str(r.value("checks_ok", json())) + "/" +
                          Str(r.value("checks_failed", json())),
                      RunningFor(r.value("check_running_s", 0.0)), quorum});
    }
    if (v.value("real_servers", json::array()).empty()) {
      rows.push_back({vs, "", "", "", "", "", quorum});
    }
  }
  return Table({"VIRTUAL SERVER", "REAL SERVER", "HEALTH", "WEIGHT", "OK/FAILED", "RUNNING", "POOL"},
               rows);
}

// Returns seconds as milliseconds with up to 3 decimals ("300", "3.312"), "-" for 0.
std::string Millis(double seconds) {
  if (seconds <= 0) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", seconds * 1000);
  std::string t = text;
  t.erase(t.find_last_not_of('0') + 1);
  if (t.back() == '.') t.pop_back();
  return t;
}

std::string BfdTable(const json& sessions) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& b : sessions) {
    std::string peer = Str(b.value("neighbor", json()));
    if (!Str(b.value("source", json())).empty()) peer += " from " + Str(b.value("source", json()));
    if (b.value("multihop", false)) peer += " (multihop)";
    rows.push_back({Str(b.value("name", json())), peer, Str(b.value("state", json())),
                    Str(b.value("remote_state", json())), Str(b.value("diag", json())),
                    Millis(b.value("tx_interval_s", 0.0)), Millis(b.value("detection_time_s", 0.0)),
                    Str(b.value("packets_sent", json())) + "/" +
                        Str(b.value("packets_received", json()))});
  }
  return Table({"BFD", "NEIGHBOR", "STATE", "REMOTE", "DIAG", "TX MS", "DETECT MS", "SENT/RECEIVED"},
               rows);
}

// The announce table's addresses (vigil_announce_table): announced, or held and why.
std::string AnnounceTable(const json& a) {
  std::vector<std::vector<std::string>> rows;
  const std::string table = Str(a.value("table", json()));
  const bool frr = a.value("frr", false);
  const json peers = a.value("frr_peers", json::array());
  // The peers FRR advertises the address's host route to.
  auto to_whom = [&](const std::string& addr) {
    const std::string prefix = addr + (addr.find(':') == std::string::npos ? "/32" : "/128");
    std::string who;
    for (const auto& p : peers)
      for (const auto& adv : p.value("advertised", json::array()))
        if (Str(adv) == prefix) who += (who.empty() ? "" : ",") + Str(p.value("address", json()));
    return who.empty() ? std::string("-") : who;
  };
  for (const auto& addr : a.value("announced", json::array())) {
    rows.push_back({Str(addr), table, "yes"});
    if (frr) rows.back().push_back(to_whom(Str(addr)));
  }
  const json held = a.value("held", json::object());
  for (auto it = held.begin(); it != held.end(); ++it) {
    rows.push_back({it.key(), table, "no (" + Str(it.value()) + ")"});
    if (frr) rows.back().push_back(to_whom(it.key()));
  }
  std::string out = frr ? Table({"ANNOUNCE", "TABLE", "ANNOUNCED", "ADVERTISED TO"}, rows)
                        : Table({"ANNOUNCE", "TABLE", "ANNOUNCED"}, rows);
  if (!Str(a.value("error", json())).empty())
    out += "announce error: " + Str(a.value("error", json())) + "\n";
  if (frr) {
    std::vector<std::vector<std::string>> prows;
    for (const auto& p : peers) {
      const std::string bfd = Str(p.value("bfd", json()));
      prows.push_back({Str(p.value("address", json())), Str(p.value("remote_as", json())),
                       Str(p.value("state", json())), bfd.empty() ? "-" : bfd,
                       std::to_string(p.value("advertised", json::array()).size())});
    }
    out += "\n" + Table({"BGP PEER", "AS", "STATE", "BFD", "ADVERTISED"}, prows);
  }
  return out;
}

// "engines: vrrp pid 12, check NOT RUNNING (why; retry in 2 s)", one line.
std::string EnginesLine(const json& engines) {
  if (!engines.is_array() || engines.empty()) return "";
  std::string line = "engines:";
  bool first = true;
  for (const auto& e : engines) {
    line += first ? " " : ", ";
    first = false;
    line += Str(e.value("name", json()));
    if (e.value("running", false)) {
      line += " pid " + Str(e.value("pid", json()));
      continue;
    }
    line += " NOT RUNNING";
    std::string why = Str(e.value("last_error", json()));
    double retry = e.value("retry_in_s", -1.0);
    std::string detail = why;
    if (retry >= 0) {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.1f", retry);
      detail += (detail.empty() ? "" : "; ") + std::string("retry in ") + buf + " s";
    }
    if (!detail.empty()) line += " (" + detail + ")";
  }
  return line + "\n";
}

}  // namespace

std::string RenderEvent(const std::string& line) {
  // In the line's own order (seq, time, type, then the event's fields).
  using ordered = nlohmann::ordered_json;
  ordered e = ordered::parse(line, nullptr, false);
  if (e.is_discarded() || !e.is_object()) return line;
  auto text = [](const ordered& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
  if (!e.contains("seq")) return "-- " + (e.contains("message") ? text(e["message"]) : line);
  std::string out;
  for (auto it = e.begin(); it != e.end(); ++it) {
    if (it.key() == "run") continue;  // in --json only: the text is for reading
    if (!out.empty()) out += ' ';
    if (it.key() == "seq" || it.key() == "time" || it.key() == "type") out += text(it.value());
    else out += it.key() + "=" + text(it.value());
  }
  return out;
}

Rendered RenderResponse(const std::string& command, const std::string& response_line) {
  json r = json::parse(response_line, nullptr, false);
  if (r.is_discarded() || !r.is_object()) return {"vigild sent an unreadable answer\n", false};
  if (!r.value("ok", false)) return {"error: " + Str(r.value("error", json("unknown"))) + "\n", false};
  if (command == "reload") return {Str(r.value("message", json("reloaded"))) + "\n", true};
  if (IsOperation(command)) return {Str(r.value("message", json("done"))) + "\n", true};
  if (command == "instances") return {InstancesTable(r["instances"]), true};
  if (command == "servers") return {ServersTable(r["virtual_servers"]), true};
  if (command == "stats") {
    std::vector<std::vector<std::string>> rows;
    for (const auto& i : r["stats"]["instances"]) {
      std::string rejected;
      for (auto it = i["rejected"].begin(); it != i["rejected"].end(); ++it)
        rejected += (rejected.empty() ? "" : ",") + it.key() + "=" + Str(it.value());
      rows.push_back({Str(i["instance"]), Str(i["adverts_sent"]), Str(i["adverts_received"]),
                      Str(i["transitions"]), rejected.empty() ? "-" : rejected});
    }
    return {Table({"INSTANCE", "SENT", "RECEIVED", "TRANSITIONS", "REJECTED"}, rows) +
                "reloads: " + Str(r["stats"]["reloads"]) + " (failed " +
                Str(r["stats"]["reload_failures"]) + ")\n",
            true};
  }
  const json& s = r["status"];
  std::ostringstream out;
  out << "vigild " << Str(s.value("version", json())) << ", pid " << Str(s.value("pid", json()))
      << ", up " << static_cast<long long>(s.value("uptime_s", 0.0)) << " s, config "
      << Str(s.value("config_file", json())) << "\n";
  out << "reloads: " << Str(s.value("reloads", json(0))) << " (failed "
      << Str(s.value("reload_failures", json(0))) << ")";
  if (s.value("maintenance", false)) out << ", MAINTENANCE (no instance becomes master)";
  if (!Str(s.value("lb_backend", json())).empty())
    out << ", load balancer: " << Str(s.value("lb_backend", json()));
  out << "\n" << EnginesLine(s.value("engines", json::array()));
  out << "\n" << InstancesTable(s.value("instances", json::array()));
  if (!s.value("virtual_servers", json::array()).empty())
    out << "\n" << ServersTable(s["virtual_servers"]);
  if (!s.value("bfd_sessions", json::array()).empty())
    out << "\n" << BfdTable(s["bfd_sessions"]);
  if (s.contains("announce") && s["announce"].value("table", 0) != 0)
    out << "\n" << AnnounceTable(s["announce"]);
  return {out.str(), true};
}

}  // namespace vigil::control
