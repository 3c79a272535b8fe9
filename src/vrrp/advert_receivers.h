// AdvertReceivers: the VRRP engine's advert receive sockets. One socket serves every
// instance of one (family, interface, unicast source or multicast group); the first
// instance to join opens it, and a packet goes to the instance its VRID names. Lives on the
// engine's event loop.
#ifndef VIGIL_VRRP_ADVERT_RECEIVERS_H_
#define VIGIL_VRRP_ADVERT_RECEIVERS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "base/error.h"
#include "net/raw_socket.h"

namespace asio {
class io_context;
}

namespace vigil::vrrp {

class AdvertReceivers {
 public:
  // Called with the instance an advert is for and the packet as read (IPv4: from its IP
  // header on). May not close the socket it was called from.
  using Handler = std::function<void(const std::string& instance, const net::ReceivedPacket&)>;

  AdvertReceivers(asio::io_context& io, Handler on_advert);
  ~AdvertReceivers();
  AdvertReceivers(const AdvertReceivers&) = delete;
  AdvertReceivers& operator=(const AdvertReceivers&) = delete;

  // Joins `instance` (VRID `vrid`) to the socket for `options`, opening it if needed;
  // returns the socket's key. kExists if another instance has `vrid` on that socket.
  // `rx_buf_share` is the instance's share of the socket's receive buffer: when the shares
  // of the instances on it add up to more than 0, the socket asks their sum with SO_RCVBUF
  // (keepalived's vrrp_rx_bufs_policy and kernel_rx_buf_size).
  Result<std::string> Join(const net::VrrpReceiveOptions& options, uint8_t vrid,
                           const std::string& instance, uint64_t rx_buf_share = 0);
  // Sets the share of VRID `vrid` on socket `key` (see Join) and sizes the socket again.
  void SetShare(const std::string& key, uint8_t vrid, uint64_t rx_buf_share);
  // Takes `instance` off socket `key` (nothing if it is not on it). With `close_unused`,
  // a socket no instance is on any more is closed.
  void Leave(const std::string& key, uint8_t vrid, const std::string& instance,
             bool close_unused);
  // Stops reading (engine shutdown).
  void CloseAll();
  // With `on`, an advert for a VRID no instance on its socket has is logged (keepalived's
  // log_unknown_vrids), each one; otherwise it is dropped silently.
  void set_log_unknown_vrids(bool on) { log_unknown_vrids_ = on; }

 private:
  struct Receiver;
  void Watch(const std::string& key);
  static void SizeBuffer(Receiver& r);
  void Drain(const std::string& key);
  static void LogUnknownVrid(uint8_t vrid, const net::ReceivedPacket& p);

  asio::io_context& io_;
  Handler on_advert_;
  std::map<std::string, std::unique_ptr<Receiver>> receivers_;
  bool closed_ = false;
  bool log_unknown_vrids_ = false;
};

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_ADVERT_RECEIVERS_H_
