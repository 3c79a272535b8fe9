#include "bfd/session.h"

#include <algorithm>
#include <utility>

namespace vigil::bfd {

Session::Session(const SessionParams& params, uint32_t local_discriminator, RandomBetween random)
    : params_(params),
      random_(std::move(random)),
      local_discr_(local_discriminator),
      active_min_tx_(params.idle_tx),
      active_min_rx_(params.required_min_rx) {}

Micros Session::AdvertisedMinTx() const {
  return state_ == State::kUp ? params_.desired_min_tx : params_.idle_tx;
}

Micros Session::tx_interval() const { return std::max(active_min_tx_, remote_min_rx_); }

Micros Session::detection_time() const {
  return remote_mult_ * std::max(active_min_rx_, remote_min_tx_);
}

std::optional<TimePoint> Session::detection_deadline() const {
  if ((state_ != State::kInit && state_ != State::kUp) || !last_rx_ || remote_mult_ == 0)
    return std::nullopt;
  return *last_rx_ + detection_time();
}

std::optional<TimePoint> Session::NextDeadline() const {
  const auto detect = detection_deadline();
  if (!next_tx_) return detect;
  if (!detect) return next_tx_;
  return std::min(*next_tx_, *detect);
}

bool Session::PeriodicTxAllowed() const {
  if (!started_) return false;
  if (params_.passive && remote_discr_ == 0) return false;  // RFC 5880 6.8.7
  if (remote_min_rx_ == Micros{0}) return false;           // the remote asks for silence
  if (remote_demand_ && state_ == State::kUp && remote_state_ == State::kUp && !poll_)
    return false;  // Demand mode active on the remote (6.6)
  if (state_ == State::kAdminDown && admin_down_packets_left_ <= 0) return false;
  return true;
}

void Session::ScheduleTx(TimePoint from) {
  const auto interval = static_cast<uint64_t>(tx_interval().count());
  const uint64_t lo = interval * 3 / 4;
  const uint64_t hi = params_.detect_mult == 1 ? interval * 9 / 10 : interval;
  next_tx_ = from + Micros(static_cast<int64_t>(random_(lo, hi)));
}

ControlPacket Session::MakePacket(bool final) const {
  ControlPacket p;
  p.diag = local_diag_;
  p.state = state_;
  p.poll = poll_ && !final;
  p.final = final;
  p.detect_mult = params_.detect_mult;
  p.my_discriminator = local_discr_;
  p.your_discriminator = remote_discr_;
  p.desired_min_tx_us = static_cast<uint32_t>(AdvertisedMinTx().count());
  p.required_min_rx_us = static_cast<uint32_t>(params_.required_min_rx.count());
  return p;
}

void Session::StartPoll() { poll_ = true; }

void Session::FinishPoll() {
  poll_ = false;
  active_min_tx_ = AdvertisedMinTx();
  active_min_rx_ = params_.required_min_rx;
}

void Session::ChangeState(State to, Diag diag, std::vector<Action>& out) {
  const State from = state_;
  state_ = to;
  local_diag_ = diag;
  if (to == State::kUp) {
    // DesiredMinTx steps from idle_tx to min_tx: a faster rate applies at once, a slower
    // one after the Poll Sequence.
    if (params_.desired_min_tx < active_min_tx_) active_min_tx_ = params_.desired_min_tx;
    if (params_.idle_tx != params_.desired_min_tx) StartPoll();
  } else if (from == State::kUp) {
    poll_ = false;
    active_min_tx_ = params_.idle_tx;
    active_min_rx_ = params_.required_min_rx;
  }
  out.push_back(StateChange{from, to, diag});
}

std::vector<Action> Session::Start(TimePoint now) {
  std::vector<Action> out;
  started_ = true;
  if (PeriodicTxAllowed()) {
    out.push_back(Transmit{MakePacket(false)});
    ScheduleTx(now);
  }
  return out;
}

std::vector<Action> Session::OnPacket(const ControlPacket& p, TimePoint now,
                                      std::optional<TimePoint> received) {
  std::vector<Action> out;
  if (p.your_discriminator != 0 && p.your_discriminator != local_discr_) return out;
  if (state_ == State::kAdminDown) return out;

  remote_discr_ = p.my_discriminator;
  remote_state_ = p.state;
  remote_demand_ = p.demand;
  remote_min_rx_ = Micros(p.required_min_rx_us);
  remote_min_tx_ = Micros(p.desired_min_tx_us);
  remote_mult_ = p.detect_mult;
  if (p.final && poll_) FinishPoll();

  if (remote_state_ == State::kAdminDown) {
    if (state_ != State::kDown) ChangeState(State::kDown, Diag::kNeighborDown, out);
  } else if (state_ == State::kDown) {
    if (remote_state_ == State::kDown) ChangeState(State::kInit, Diag::kNone, out);
    else if (remote_state_ == State::kInit) ChangeState(State::kUp, Diag::kNone, out);
  } else if (state_ == State::kInit) {
    if (remote_state_ == State::kInit || remote_state_ == State::kUp)
      ChangeState(State::kUp, Diag::kNone, out);
  } else if (state_ == State::kUp && remote_state_ == State::kDown) {
    ChangeState(State::kDown, Diag::kNeighborDown, out);
  }
  TimePoint heard = received ? std::min(*received, now) : now;
  if (last_rx_) heard = std::max(heard, *last_rx_);
  last_rx_ = heard;

  // The reply to a Poll goes out at once, whatever the transmit timer says.
  if (p.poll) out.push_back(Transmit{MakePacket(true)});

  if (!PeriodicTxAllowed()) {
    next_tx_.reset();
  } else if (!next_tx_ || *next_tx_ > now + tx_interval()) {
    ScheduleTx(now);
  }
  return out;
}

std::vector<Action> Session::OnTimer(TimePoint now) {
  std::vector<Action> out;
  if (const auto deadline = detection_deadline(); deadline && now >= *deadline) {
    remote_discr_ = 0;  // RFC 5880 6.8.1: forgotten after a Detection Time of silence
    ChangeState(State::kDown, Diag::kDetectionExpired, out);
  }
  if (next_tx_ && now >= *next_tx_) {
    if (PeriodicTxAllowed()) {
      out.push_back(Transmit{MakePacket(false)});
      if (state_ == State::kAdminDown) --admin_down_packets_left_;
      ScheduleTx(now);
    } else {
      next_tx_.reset();
    }
  }
  return out;
}

std::vector<Action> Session::SetAdminDown(bool admin_down, TimePoint now) {
  std::vector<Action> out;
  if (admin_down == (state_ == State::kAdminDown)) return out;
  if (admin_down) {
    ChangeState(State::kAdminDown, Diag::kAdminDown, out);
    admin_down_packets_left_ = params_.detect_mult;
    if (PeriodicTxAllowed()) {
      out.push_back(Transmit{MakePacket(false)});
      --admin_down_packets_left_;
      ScheduleTx(now);
    }
  } else {
    ChangeState(State::kDown, Diag::kNone, out);
    remote_discr_ = 0;
    next_tx_.reset();
    if (PeriodicTxAllowed()) ScheduleTx(now);
  }
  return out;
}

void Session::SetParams(const SessionParams& params, TimePoint now) {
  const SessionParams old = std::exchange(params_, params);
  if (state_ == State::kUp) {
    if (old.desired_min_tx != params.desired_min_tx ||
        old.required_min_rx != params.required_min_rx)
      StartPoll();
    // Faster transmission and a longer detection time are safe at once; the others
    // wait for the Final.
    if (params.desired_min_tx < active_min_tx_) active_min_tx_ = params.desired_min_tx;
    if (params.required_min_rx > active_min_rx_) active_min_rx_ = params.required_min_rx;
  } else {
    active_min_tx_ = params.idle_tx;
    active_min_rx_ = params.required_min_rx;
  }
  if (!PeriodicTxAllowed()) {
    next_tx_.reset();
  } else if (!next_tx_ || *next_tx_ > now + tx_interval()) {
    ScheduleTx(now);
  }
}

}  // namespace vigil::bfd
