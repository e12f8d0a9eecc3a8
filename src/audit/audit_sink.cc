#include "audit/audit_sink.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "core/clock.h"

namespace warden::audit {

std::string ShippedEntryLine(const RawEntry& entry) {
  nlohmann::json j = {
      {"type", "entry"}, {"seq", entry.seq}, {"entry", Base64Encode(entry.encoded)}};
  return j.dump() + "\n";
}

std::string ShippedCheckpointLine(const AuditCheckpoint& c, std::string_view public_key) {
  nlohmann::json j = {{"type", "checkpoint"},
                      {"seq", c.seq},
                      {"head", HexEncode(c.head_hash)},
                      {"time", FormatRfc3339(c.time_micros)},
                      {"time_micros", c.time_micros},
                      {"signature", Base64Encode(c.signature)},
                      {"public_key", Base64Encode(public_key)}};
  return j.dump() + "\n";
}

JsonlFileSink::JsonlFileSink(FileSystem& fs, std::string path, bool ship_entries)
    : fs_(fs), path_(std::move(path)), ship_entries_(ship_entries) {}

void JsonlFileSink::ReadBack() {
  if (read_back_) return;
  read_back_ = true;
  if (!fs_.Exists(path_)) return;
  StatusOr<std::string> text = fs_.ReadFile(path_);
  if (!text.ok()) return;
  size_t pos = 0;
  while (pos < text->size()) {
    size_t end = text->find('\n', pos);
    if (end == std::string::npos) break;  // a torn last line is re-shipped
    nlohmann::json j = nlohmann::json::parse(text->begin() + static_cast<ptrdiff_t>(pos),
                                             text->begin() + static_cast<ptrdiff_t>(end), nullptr,
                                             /*allow_exceptions=*/false);
    pos = end + 1;
    if (!j.is_object() || !j.contains("seq") || !j["seq"].is_number_unsigned()) continue;
    const std::string type = j.value("type", "");
    if (type == "entry") {
      last_entry_seq_ = j["seq"].get<uint64_t>();
    } else if (type == "checkpoint") {
      AuditCheckpoint c;
      c.seq = j["seq"].get<uint64_t>();
      c.head_hash = HexDecode(j.value("head", "")).value_or("");
      c.time_micros = j.contains("time_micros") && j["time_micros"].is_number_integer()
                          ? j["time_micros"].get<int64_t>()
                          : 0;
      c.signature = Base64Decode(j.value("signature", "")).value_or("");
      if (!last_checkpoint_ || c.seq >= last_checkpoint_->seq) last_checkpoint_ = std::move(c);
    }
  }
  // A torn line (crash mid-append) is closed so the next line starts clean.
  if (!text->empty() && text->back() != '\n') AppendLines("\n", true).IgnoreError();
}

std::optional<uint64_t> JsonlFileSink::LastShippedSeq() {
  ReadBack();
  return last_entry_seq_;
}

std::optional<AuditCheckpoint> JsonlFileSink::LastShippedCheckpoint() {
  ReadBack();
  return last_checkpoint_;
}

Status JsonlFileSink::AppendLines(std::string_view lines, bool sync) {
  if (file_ == nullptr) {
    ASSIGN_OR_RETURN(file_, fs_.OpenAppendable(path_, 0600));
  }
  Status st = file_->Append(lines);
  if (st.ok() && sync) st = file_->Sync();
  if (!st.ok()) {
    file_->Close().IgnoreError();
    file_.reset();
  }
  return st;
}

Status JsonlFileSink::ShipEntries(std::span<const RawEntry> entries) {
  if (!ship_entries_ || entries.empty()) return Status::Ok();
  std::string lines;
  for (const RawEntry& e : entries) lines += ShippedEntryLine(e);
  return AppendLines(lines, /*sync=*/false);
}

Status JsonlFileSink::ShipCheckpoint(const AuditCheckpoint& c, std::string_view public_key) {
  return AppendLines(ShippedCheckpointLine(c, public_key), /*sync=*/true);
}

SyslogSink::SyslogSink(std::string ident) : ident_(std::move(ident)) {
  ::openlog(ident_.c_str(), LOG_NDELAY | LOG_PID, LOG_AUTHPRIV);
}

Status SyslogSink::ShipCheckpoint(const AuditCheckpoint& c, std::string_view public_key) {
  std::string line = ShippedCheckpointLine(c, public_key);
  line.pop_back();  // syslog frames the message itself
  ::syslog(LOG_AUTHPRIV | LOG_NOTICE, "%s", line.c_str());
  return Status::Ok();
}

RemoteSyslogSink::RemoteSyslogSink(std::string host, uint16_t port, std::string ident,
                                   std::chrono::milliseconds timeout,
                                   std::chrono::milliseconds retry_after)
    : host_(std::move(host)),
      port_(port),
      ident_(std::move(ident)),
      timeout_(timeout),
      retry_after_(retry_after) {}

RemoteSyslogSink::~RemoteSyslogSink() { Disconnect(); }

void RemoteSyslogSink::Disconnect() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status RemoteSyslogSink::Connect() {
  const auto now = std::chrono::steady_clock::now();
  if (last_attempt_ != std::chrono::steady_clock::time_point{} &&
      now - last_attempt_ < retry_after_) {
    return Unavailable("the syslog collector was unreachable moments ago", "sink_unavailable");
  }
  last_attempt_ = now;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(port_);
  if (::getaddrinfo(host_.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) {
    return Unavailable("cannot resolve the syslog collector " + host_, "sink_unavailable");
  }
  Status st = Unavailable("cannot connect to the syslog collector " + host_ + ":" + port,
                          "sink_unavailable");
  for (addrinfo* a = found; a != nullptr && fd_ < 0; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int err = 0;
      socklen_t len = sizeof err;
      rc = ::poll(&p, 1, static_cast<int>(timeout_.count())) == 1 &&
                   ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0
               ? 0
               : -1;
    }
    if (rc != 0) {
      ::close(fd);
      continue;
    }
    // Blocking from here on, but never longer than the timeout per send.
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    timeval tv{static_cast<time_t>(timeout_.count() / 1000),
               static_cast<suseconds_t>((timeout_.count() % 1000) * 1000)};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    fd_ = fd;
    st = Status::Ok();
  }
  ::freeaddrinfo(found);
  return st;
}

Status RemoteSyslogSink::ShipCheckpoint(const AuditCheckpoint& c, std::string_view public_key) {
  if (fd_ < 0) RETURN_IF_ERROR(Connect());
  std::string json = ShippedCheckpointLine(c, public_key);
  json.pop_back();
  // RFC 5424: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG, with
  // PRI = authpriv (10) * 8 + notice (5).
  char host[256] = "-";
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::strcpy(host, "-");
  const std::string message = "<85>1 " + FormatRfc3339(c.time_micros) + " " + host + " " + ident_ +
                              " " + std::to_string(::getpid()) + " checkpoint - " + json;
  const std::string frame = std::to_string(message.size()) + " " + message;
  for (size_t sent = 0; sent < frame.size();) {
    ssize_t n = ::send(fd_, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      Disconnect();
      return Unavailable("sending to the syslog collector failed", "sink_unavailable");
    }
    sent += static_cast<size_t>(n);
  }
  return Status::Ok();
}

StatusOr<std::pair<std::string, uint16_t>> ParseSyslogAddress(std::string_view address) {
  auto invalid = [address] {
    return InvalidArgument(
        "audit syslog collector \"" + std::string(address) + "\": expected tcp://HOST:PORT",
        "tcp_address");
  };
  constexpr std::string_view kScheme = "tcp://";
  if (!address.starts_with(kScheme)) return invalid();
  address.remove_prefix(kScheme.size());
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return invalid();
  std::string_view host = address.substr(0, colon);
  const std::string_view port_text = address.substr(colon + 1);
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535 || host.empty()) {
    return invalid();
  }
  return std::pair<std::string, uint16_t>(std::string(host), static_cast<uint16_t>(port));
}

}  // namespace warden::audit
