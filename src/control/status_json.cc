// ToJson: a Status written as JSON text field by field (JsonText), each struct's fields as
// status_fields.h lists them (sorted, as nlohmann::json's tree ordered them).
#include <nlohmann/json.hpp>

#include "control/json_text.h"
#include "control/status.h"
#include "control/status_fields.h"

namespace vigil::control {
namespace {

void Write(JsonText& w, const std::string& v) { w.String(v); }
void Write(JsonText& w, bool v) { w.Bool(v); }
void Write(JsonText& w, double v) { w.Double(v); }
template <std::integral T>
void Write(JsonText& w, T v) {
  w.Number(v);
}
void Write(JsonText& w, const std::vector<std::string>& v) { w.Strings(v); }
void Write(JsonText& w, const std::map<std::string, uint64_t>& m) { w.Numbers(m); }
void Write(JsonText& w, const std::map<std::string, std::string>& m) { w.StringMap(m); }
void Write(JsonText& w, const std::map<std::string, std::map<std::string, uint64_t>>& m) {
  w.NumberMaps(m);
}
template <StatusRecord T>
void Write(JsonText& w, const std::vector<T>& v);

// An object: T's fields in the order listed (sorted).
template <StatusRecord T>
void Write(JsonText& w, const T& x) {
  std::apply(
      [&](const auto& first, const auto&... rest) {
        w.First(first.name);
        Write(w, x.*first.member);
        ((w.Next(rest.name), Write(w, x.*rest.member)), ...);
      },
      FieldsOf<T>::kList);
  w.Put('}');
}

template <StatusRecord T>
void Write(JsonText& w, const std::vector<T>& v) {
  w.Put('[');
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) w.Put(',');
    Write(w, v[i]);
  }
  w.Put(']');
}

// About what one real server takes, so that the text of a large report grows once or twice.
constexpr size_t kBytesPerRealServer = 240;

}  // namespace

size_t RealServerCount(const std::vector<VirtualServerStatus>& virtual_servers) {
  size_t n = 0;
  for (const VirtualServerStatus& v : virtual_servers) n += v.real_servers.size();
  return n;
}

std::string ToJson(const Status& status, int indent) {
  JsonText w;
  w.Reserve(4096 + RealServerCount(status.virtual_servers) * kBytesPerRealServer);
  Write(w, status);
  if (indent < 0) return w.Take();
  return nlohmann::json::parse(w.Take()).dump(indent, ' ', false,
                                              nlohmann::json::error_handler_t::replace);
}

std::string ToJson(const std::vector<InstanceStatus>& instances) {
  JsonText w;
  Write(w, instances);
  return w.Take();
}

std::string ToJson(const std::vector<VirtualServerStatus>& virtual_servers) {
  JsonText w;
  w.Reserve(4096 + RealServerCount(virtual_servers) * kBytesPerRealServer);
  Write(w, virtual_servers);
  return w.Take();
}

}  // namespace vigil::control
