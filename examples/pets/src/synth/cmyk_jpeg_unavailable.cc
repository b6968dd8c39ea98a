// Built when CMake finds no libjpeg: the synthetic set plants no CMYK file.
#include "encoders.h"
#include "ringtail/collectives/error.h"

namespace ringtail::pets::synth {

bool cmyk_jpeg_supported() { return false; }

std::vector<std::uint8_t> encode_cmyk_jpeg(const cv::Mat&, int) {
  throw Error(ErrorKind::unsupported,
              "this build has no libjpeg, so it cannot write CMYK JPEGs (apt-get install libjpeg-dev)");
}

}  // namespace ringtail::pets::synth
