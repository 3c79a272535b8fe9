#include "lb/ipvs_backend.h"

#include <linux/netlink.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "base/log.h"
#include "lb/ipvs_message.h"
#include "net/netns.h"

namespace vigil::lb {

Result<std::unique_ptr<IpvsBackend>> IpvsBackend::Open(
    std::unique_ptr<net::NetlinkTransport> transport) {
  std::optional<Result<uint16_t>> id;
  auto r = transport->Transact(ipvs::BuildGetFamily(), [&](const nlmsghdr& reply) {
    if (!id) id = ipvs::ParseFamilyId(reply);
  });
  if (!r) {
    if (r.error().sys_errno() == ENOENT) {
      return Fail(ErrorCode::kNotFound,
                  "ipvs: the kernel has no IPVS generic netlink family (load the ip_vs module, "
                  "or use the nftables backend)",
                  ENOENT);
    }
    return Fail(r.error().code(), "ipvs: resolving the IPVS family: " + r.error().ToString());
  }
  if (!id) return Fail(ErrorCode::kParse, "ipvs: no answer to the IPVS family request");
  if (!*id) return std::unexpected(id->error());
  return std::unique_ptr<IpvsBackend>(new IpvsBackend(std::move(transport), **id));
}

namespace {

// Opens a NETLINK_GENERIC socket in the network namespace of the namespace file
// `netns_path` ("" = the caller's).
Result<std::unique_ptr<net::NetlinkTransport>> OpenGenericSocket(const std::string& netns_path,
                                                                 net::ReceiveBuffer receive_buffer) {
  std::optional<Result<net::NetlinkSocket>> socket;
  auto in = net::InNetns(netns_path, [&] {
    socket = net::NetlinkSocket::Open(NETLINK_GENERIC, {}, receive_buffer);
  });
  if (!in) return Fail(in.error().code(), "ipvs: " + in.error().context(), in.error().sys_errno());
  if (!*socket) return std::unexpected(socket->error());
  return std::make_unique<net::NetlinkSocket>(std::move(**socket));
}

}  // namespace

Result<std::unique_ptr<IpvsBackend>> IpvsBackend::OpenKernel(const std::string& netns_path,
                                                              net::ReceiveBuffer receive_buffer) {
  auto transport = OpenGenericSocket(netns_path, receive_buffer);
  if (!transport) return std::unexpected(transport.error());
  auto backend = Open(std::move(*transport));
  if (!backend) return backend;
  // The audit's own socket, in the same namespace.
  (*backend)->set_audit_transport_factory(
      [netns_path, receive_buffer] { return OpenGenericSocket(netns_path, receive_buffer); });
  return backend;
}

Result<void> IpvsBackend::SetTimeouts(const ipvs::Timeouts& t) {
  if (!original_timeouts_) {
    if (t.empty()) return {};
    std::optional<Result<ipvs::Timeouts>> got;
    auto r = transport_->Transact(ipvs::BuildGetTimeouts(family_id_), [&](const nlmsghdr& m) {
      if (!got) got = ipvs::ParseTimeouts(m);
    });
    if (!r) return Fail(r.error().code(), "ipvs: reading the timeouts: " + r.error().context(),
                        r.error().sys_errno());
    if (!got) return Fail(ErrorCode::kParse, "ipvs: no answer to GET_CONFIG");
    if (!*got) return std::unexpected(got->error());
    original_timeouts_ = **got;
  }
  ipvs::Timeouts want = *original_timeouts_;
  if (t.tcp != 0) want.tcp = t.tcp;
  if (t.tcp_fin != 0) want.tcp_fin = t.tcp_fin;
  if (t.udp != 0) want.udp = t.udp;
  auto r = transport_->Transact(ipvs::BuildSetTimeouts(family_id_, want), nullptr);
  if (!r) return Fail(r.error().code(), "ipvs: setting the timeouts: " + r.error().context(),
                      r.error().sys_errno());
  return {};
}

Result<void> IpvsBackend::ValidateService(const ServiceEntry& entry) const {
  return ipvs::ValidateService(entry);
}

namespace {

// Milliseconds between two steady-clock readings, as "12.3".
std::string Millis(std::chrono::steady_clock::duration d) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", std::chrono::duration<double, std::milli>(d).count());
  return text;
}

// The kernel's whole table, read through `transport`: one dump of the services, then one
// dump of each service's real servers (genetlink has no dump of every destination at
// once). What it cost goes to the debug log (bench/ipvs_audit_uml.py reads it).
Result<State> ReadTable(net::NetlinkTransport& transport, uint16_t family_id) {
  const auto t0 = std::chrono::steady_clock::now();
  State state;
  std::optional<Error> failure;
  auto r = transport.Transact(ipvs::BuildDumpServices(family_id), [&](const nlmsghdr& m) {
    auto s = ipvs::ParseService(m);
    if (!s) {
      if (!failure) failure = s.error();
      return;
    }
    state.Put(*s);
  });
  if (!r) {
    return Fail(r.error().code(), "ipvs: listing services: " + r.error().context(),
                r.error().sys_errno());
  }
  if (failure) return std::unexpected(*failure);
  const auto t1 = std::chrono::steady_clock::now();
  size_t destinations = 0;
  for (auto& [key, entry] : state.services) {
    Family family = KeyFamily(key);
    auto rd =
        transport.Transact(ipvs::BuildDumpDestinations(family_id, key), [&](const nlmsghdr& m) {
          auto d = ipvs::ParseDestination(m, family);
          if (!d) {
            if (!failure) failure = d.error();
            return;
          }
          entry.destinations[d->key] = *d;
        });
    if (!rd) {
      return Fail(rd.error().code(),
                  "ipvs: listing real servers of " + KeyToString(key) + ": " + rd.error().context(),
                  rd.error().sys_errno());
    }
    if (failure) return std::unexpected(*failure);
    destinations += entry.destinations.size();
  }
  const auto t2 = std::chrono::steady_clock::now();
  log::Debug("ipvs: read " + std::to_string(state.services.size()) + " services, " +
             std::to_string(destinations) + " real servers in " + Millis(t2 - t0) +
             " ms (services " + Millis(t1 - t0) + " ms, real servers " + Millis(t2 - t1) +
             " ms)");
  return state;
}

}  // namespace

Result<State> IpvsBackend::Read() { return ReadTable(*transport_, family_id_); }

Backend::AuditJob IpvsBackend::MakeAuditJob(const State& owned) {
  if (!audit_transport_) {
    if (!make_audit_transport_) return {};
    auto made = make_audit_transport_();
    if (!made) {
      log::Debug("ipvs: no socket for the audit beside the loop (" + made.error().ToString() +
                 "); auditing on the loop");
      return {};
    }
    audit_transport_ = std::move(*made);
  }
  return [transport = audit_transport_, family_id = family_id_, owned = owned] {
    return Compare(owned, ReadTable(*transport, family_id));
  };
}

Result<uint64_t> IpvsBackend::Connections(const ServiceKey& service,
                                          const DestinationKey& destination) {
  std::optional<uint64_t> count;
  std::optional<Error> failure;
  const Family family = KeyFamily(service);
  auto r = transport_->Transact(
      ipvs::BuildDumpDestinations(family_id_, service), [&](const nlmsghdr& m) {
        auto d = ipvs::ParseDestinationConnections(m, family);
        if (!d) {
          if (!failure) failure = d.error();
          return;
        }
        if (d->key == destination) count = uint64_t{d->active} + d->inactive;
      });
  if (!r) {
    return Fail(r.error().code(),
                "ipvs: listing real servers of " + KeyToString(service) + ": " + r.error().context(),
                r.error().sys_errno());
  }
  if (count) return *count;
  if (failure) return std::unexpected(*failure);
  return Fail(ErrorCode::kNotFound, "ipvs: " + KeyToString(service) + " has no real server " +
                                        DestinationKeyToString(destination));
}

Result<void> IpvsBackend::Apply(const std::vector<Op>& ops, const State& desired,
                                const State& /*actual*/) {
  // Only the services `ops` touch: the others are as the kernel already holds them.
  std::set<ServiceKey> touched;
  for (const Op& op : ops) {
    if (!touched.insert(op.service.key).second) continue;
    if (const ServiceEntry* e = desired.Find(op.service.key)) {
      if (auto v = ipvs::ValidateService(*e); !v) return v;
    }
  }
  for (const Op& op : ops) {
    CountWrite();
    auto r = transport_->Transact(ipvs::BuildOp(family_id_, op), nullptr);
    if (!r) {
      return Fail(r.error().code(), "ipvs: " + ToString(op) + ": " + r.error().context(),
                  r.error().sys_errno());
    }
  }
  return {};
}

Result<void> IpvsBackend::Flush() {
  CountWrite();
  auto r = transport_->Transact(ipvs::BuildFlush(family_id_), nullptr);
  if (!r)
    return Fail(r.error().code(), "ipvs: flush: " + r.error().context(), r.error().sys_errno());
  return {};
}

Result<void> IpvsBackend::StartSyncDaemon(ipvs::SyncRole role,
                                          const ipvs::SyncDaemonConfig& config) {
  return transport_->Transact(ipvs::BuildStartDaemon(family_id_, role, config), nullptr);
}

Result<void> IpvsBackend::StopSyncDaemon(ipvs::SyncRole role) {
  return transport_->Transact(ipvs::BuildStopDaemon(family_id_, role, 0), nullptr);
}

}  // namespace vigil::lb
