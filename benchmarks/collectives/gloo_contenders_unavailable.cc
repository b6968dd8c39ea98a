// Built when libgloo is not found: no Gloo peer rows, said once.
#include <cstdio>

#include "contenders.h"

namespace ringtail::bench {

void add_gloo_contenders(Collective, Environment& env, Contenders&) {
  static bool said = false;
  if (!said && env.rank() == 0) {
    std::fprintf(stderr, "# gloo peers: this build has no libgloo (apt-get install libgloo-dev)\n");
  }
  said = true;
}

}  // namespace ringtail::bench
