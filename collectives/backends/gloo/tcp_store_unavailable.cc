// Built when the ringtail rendezvous client library (collectives/rendezvous) is
// not part of this build: a TCP rendezvous is then a clear error, not a link
// failure.
#include "rendezvous_store.h"
#include "ringtail/collectives/error.h"

namespace ringtail::coll::gloo_backend {

std::shared_ptr<RendezvousStore> make_tcp_store(const std::string& address, const std::string&,
                                                std::chrono::milliseconds) {
  throw Error(ErrorKind::unsupported,
              "gloo: RINGTAIL_RENDEZVOUS_ADDR=" + address +
                  " asks for a rendezvous server, but this build has no rendezvous client; "
                  "use RINGTAIL_GLOO_FILE_STORE with a shared directory instead");
}

}  // namespace ringtail::coll::gloo_backend
