#include "message.h"

#include <algorithm>

#include "ringtail/collectives/error.h"
#include "wire.h"

namespace ringtail::core::detail {
namespace {

void put_signature(WireWriter& w, const Signature& s) {
  w.put<std::uint8_t>(static_cast<std::uint8_t>(s.op));
  w.put<std::uint8_t>(static_cast<std::uint8_t>(s.dtype));
  w.put_i64s(s.shape);
  w.put<std::uint8_t>(static_cast<std::uint8_t>(s.reduce_op));
  w.put<std::int32_t>(s.root);
  w.put<std::uint8_t>(static_cast<std::uint8_t>(s.device.kind));
  w.put<std::int32_t>(s.device.index);
  w.put<double>(s.prescale);
  w.put<double>(s.postscale);
}

template <typename Enum>
Enum get_enum(WireReader& r, std::uint8_t limit, const char* what) {
  const auto v = r.get<std::uint8_t>();
  if (v > limit) {
    throw Error(ErrorKind::backend,
                std::string("corrupt negotiation message: bad ") + what + " " + std::to_string(v));
  }
  return static_cast<Enum>(v);
}

Signature get_signature(WireReader& r) {
  Signature s;
  s.op = get_enum<OpType>(r, static_cast<std::uint8_t>(OpType::shutdown), "operation");
  s.dtype = get_enum<coll::DataType>(r, static_cast<std::uint8_t>(coll::DataType::i64), "dtype");
  s.shape = r.get_i64s();
  s.reduce_op = get_enum<coll::ReduceOp>(r, static_cast<std::uint8_t>(coll::ReduceOp::product),
                                         "reduce op");
  s.root = r.get<std::int32_t>();
  s.device.kind = get_enum<coll::MemoryKind>(r, static_cast<std::uint8_t>(coll::MemoryKind::cuda),
                                             "device");
  s.device.index = r.get<std::int32_t>();
  s.prescale = r.get<double>();
  s.postscale = r.get<double>();
  return s;
}

}  // namespace

bool first_dimension_varies(OpType op) {
  return op == OpType::allgather || op == OpType::alltoall;
}

bool compatible(const Signature& a, const Signature& b) {
  if (a.op != b.op || a.dtype != b.dtype || a.reduce_op != b.reduce_op || a.root != b.root ||
      a.device != b.device || a.prescale != b.prescale || a.postscale != b.postscale ||
      a.shape.size() != b.shape.size()) {
    return false;
  }
  const std::size_t from = first_dimension_varies(a.op) ? 1 : 0;
  for (std::size_t i = from; i < a.shape.size(); ++i) {
    if (a.shape[i] != b.shape[i]) return false;
  }
  return true;
}

void encode(const std::vector<Request>& requests, std::vector<std::uint8_t>& out) {
  WireWriter w(out);
  w.put<std::uint32_t>(static_cast<std::uint32_t>(requests.size()));
  for (const Request& q : requests) {
    w.put_string(q.name);
    put_signature(w, q.signature);
    w.put_string(q.detail);
  }
}

std::vector<Request> decode_requests(const std::uint8_t* data, std::size_t size) {
  WireReader r(data, size);
  const auto n = r.get<std::uint32_t>();
  std::vector<Request> out;
  out.reserve(std::min<std::size_t>(n, size));
  for (std::uint32_t i = 0; i < n; ++i) {
    Request q;
    q.name = r.get_string();
    q.signature = get_signature(r);
    q.detail = r.get_string();
    out.push_back(std::move(q));
  }
  if (!r.done()) throw Error(ErrorKind::backend, "corrupt negotiation message: trailing bytes");
  return out;
}

void encode(const std::vector<Response>& responses, std::vector<std::uint8_t>& out) {
  WireWriter w(out);
  w.put<std::uint32_t>(static_cast<std::uint32_t>(responses.size()));
  for (const Response& p : responses) {
    w.put<std::uint8_t>(static_cast<std::uint8_t>(p.kind));
    w.put_string(p.name);
    put_signature(w, p.signature);
    w.put<std::int32_t>(p.contributors);
    w.put_string(p.message);
  }
}

std::vector<Response> decode_responses(const std::uint8_t* data, std::size_t size) {
  WireReader r(data, size);
  const auto n = r.get<std::uint32_t>();
  std::vector<Response> out;
  out.reserve(std::min<std::size_t>(n, size));
  for (std::uint32_t i = 0; i < n; ++i) {
    Response p;
    p.kind = get_enum<ResponseKind>(r, static_cast<std::uint8_t>(ResponseKind::shutdown),
                                    "response kind");
    p.name = r.get_string();
    p.signature = get_signature(r);
    p.contributors = r.get<std::int32_t>();
    p.message = r.get_string();
    out.push_back(std::move(p));
  }
  if (!r.done()) throw Error(ErrorKind::backend, "corrupt negotiation message: trailing bytes");
  return out;
}

}  // namespace ringtail::core::detail
