#pragma once
// The gloo TCP device a world and all its splits share (one event-loop thread).

#include <gloo/transport/device.h>

#include <memory>
#include <string>

namespace ringtail::coll::gloo_backend {

// `where` is an interface name ("eth0", "lo"), an address or a host name; empty
// means this host's name, or 127.0.0.1 when that name does not resolve to an
// address gloo can bind. Throws ErrorKind::invalid_argument naming `where` and
// RINGTAIL_GLOO_IFACE when the device cannot be made.
std::shared_ptr<::gloo::transport::Device> make_tcp_device(const std::string& where);

}  // namespace ringtail::coll::gloo_backend
