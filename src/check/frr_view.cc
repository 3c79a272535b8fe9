#include "check/frr_view.h"

#include <algorithm>
#include <map>
#include <utility>

#include <nlohmann/json.hpp>

namespace vigil::check {
namespace {

using Json = nlohmann::json;

std::optional<Json> ParseJson(std::string_view text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

}  // namespace

std::optional<std::vector<control::FrrPeerStatus>> ParseBgpSummary(std::string_view text) {
  auto j = ParseJson(text);
  if (!j || !j->is_object()) return std::nullopt;
  std::map<std::string, control::FrrPeerStatus> peers;
  bool any_family = false;
  for (const char* family : {"ipv4Unicast", "ipv6Unicast"}) {
    auto f = j->find(family);
    if (f == j->end() || !f->is_object()) continue;
    any_family = true;
    auto ps = f->find("peers");
    if (ps == f->end() || !ps->is_object()) continue;
    for (auto it = ps->begin(); it != ps->end(); ++it) {
      if (!it->is_object()) continue;
      control::FrrPeerStatus& p = peers[it.key()];
      p.address = it.key();
      p.state = it->value("state", std::string());
      if (auto as = it->find("remoteAs"); as != it->end() && as->is_number_integer())
        p.remote_as = as->get<int64_t>();
      if (auto n = it->find("pfxRcd"); n != it->end() && n->is_number_unsigned())
        p.prefixes_received += n->get<uint64_t>();
    }
  }
  // An empty object is bgpd's answer without any BGP instance.
  if (!any_family && !j->empty()) return std::nullopt;
  std::vector<control::FrrPeerStatus> out;
  for (auto& [address, p] : peers) out.push_back(std::move(p));
  return out;
}

std::vector<std::string> ParseAdvertised(std::string_view text) {
  std::vector<std::string> out;
  auto j = ParseJson(text);
  if (!j || !j->is_object()) return out;
  auto routes = j->find("advertisedRoutes");
  if (routes == j->end() || !routes->is_object()) return out;
  // Only what this node originates (an empty AS path): a route learned from the peer is
  // also "advertised" back to it (the peer drops it, its AS being in the path).
  for (auto it = routes->begin(); it != routes->end(); ++it)
    if (it->is_object() && it->value("path", std::string("?")).empty()) out.push_back(it.key());
  std::sort(out.begin(), out.end());
  return out;
}

void ApplyBfdPeers(std::string_view text, std::vector<control::FrrPeerStatus>& peers) {
  auto j = ParseJson(text);
  if (!j || !j->is_array()) return;
  for (const Json& b : *j) {
    if (!b.is_object()) continue;
    const std::string peer = b.value("peer", std::string());
    for (auto& p : peers)
      if (p.address == peer) p.bfd = b.value("status", std::string());
  }
}

FrrPoller::FrrPoller(Runner run, std::string vtysh, std::optional<std::string> vty_dir,
                     std::size_t max_peers)
    : run_(std::move(run)), vtysh_(std::move(vtysh)), vty_dir_(std::move(vty_dir)),
      max_peers_(max_peers) {}

std::vector<std::string> FrrPoller::Command(const std::string& daemon,
                                            const std::string& command) const {
  std::vector<std::string> argv = {vtysh_};
  if (vty_dir_) {
    argv.push_back("--vty_socket");
    argv.push_back(*vty_dir_);
  }
  for (const std::string& a : {std::string("-d"), daemon, std::string("-c"), command})
    argv.push_back(a);
  return argv;
}

void FrrPoller::Poll(std::function<void(std::optional<std::vector<control::FrrPeerStatus>>)> done) {
  if (polling_) return;
  polling_ = true;
  done_ = std::move(done);
  run_(Command("bgpd", "show bgp summary json"), [this](bool ok, std::string out) {
    auto peers = ok ? ParseBgpSummary(out) : std::nullopt;
    if (!peers) return Finish(std::nullopt);
    peers_ = std::move(*peers);
    AskAdvertised(0);
  });
}

void FrrPoller::AskAdvertised(std::size_t i) {
  while (i < peers_.size() && i < max_peers_ && peers_[i].state != "Established") ++i;
  if (i >= peers_.size() || i >= max_peers_) {
    // The BFD sessions last: bfdd absent or silent leaves `bfd` empty, never an error.
    run_(Command("bfdd", "show bfd peers json"), [this](bool ok, std::string out) {
      if (ok) ApplyBfdPeers(out, peers_);
      Finish(std::move(peers_));
    });
    return;
  }
  const bool v6 = peers_[i].address.find(':') != std::string::npos;
  run_(Command("bgpd", std::string(v6 ? "show bgp ipv6 unicast" : "show ip bgp") + " neighbors " +
                           peers_[i].address + " advertised-routes json"),
       [this, i](bool ok, std::string out) {
         if (ok) peers_[i].advertised = ParseAdvertised(out);
         AskAdvertised(i + 1);
       });
}

void FrrPoller::Finish(std::optional<std::vector<control::FrrPeerStatus>> view) {
  polling_ = false;
  peers_.clear();
  auto done = std::move(done_);
  done_ = nullptr;
  if (done) done(std::move(view));
}

}  // namespace vigil::check
