// SmtpSender: delivers SMTP alerts (alert/smtp_message.h) from an engine's io_context without
// ever blocking it. keepalived 2.2.7 opens a connection per alert at once, each step bounded
// by smtp_connect_timeout, so a storm of transitions opens as many connections as there are
// events, and the mails may arrive in any order. vigil sends one mail at a time, in the order
// of the events, over a connection of its own bounded by smtp_connect_timeout for the whole
// exchange (resolution, connect, dialogue); the mails waiting are bounded (kMaxQueued: the
// oldest is dropped beyond it). A failure is logged once until a mail gets through again; it
// is never fatal and delays nothing but the next mail.
#ifndef VIGIL_ALERT_SMTP_SENDER_H_
#define VIGIL_ALERT_SMTP_SENDER_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "alert/smtp_message.h"

namespace asio {
class io_context;
}

namespace vigil::alert {

struct SenderState;  // smtp_sender.cc

class SmtpSender {
 public:
  static constexpr size_t kMaxQueued = 64;

  explicit SmtpSender(asio::io_context& io);
  ~SmtpSender();
  SmtpSender(const SmtpSender&) = delete;
  SmtpSender& operator=(const SmtpSender&) = delete;

  // Replaces the settings; the mails already queued go with the new ones.
  void Configure(SmtpSettings settings);
  bool enabled() const;
  // Queues `mail`, dated now; does nothing when mail is off (no server or no recipient).
  void Send(Mail mail);

  struct Counters {
    uint64_t sent = 0;     // accepted by the server (250 after the message)
    uint64_t failed = 0;   // not accepted: no connection, timeout, refused
    uint64_t dropped = 0;  // never tried: the queue was full
    friend bool operator==(const Counters&, const Counters&) = default;
  };
  Counters counters() const;
  // Returns the mails queued or being sent.
  size_t pending() const;

 private:
  std::shared_ptr<SenderState> state_;
};

}  // namespace vigil::alert

#endif  // VIGIL_ALERT_SMTP_SENDER_H_
