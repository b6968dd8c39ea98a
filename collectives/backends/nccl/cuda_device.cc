#include "cuda_device.h"

#include <cuda_runtime_api.h>

#include "ringtail/collectives/error.h"

namespace ringtail::coll::cuda {

int device_count(std::string* why) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    if (why) {
      *why = std::string("cudaGetDeviceCount returned ") + std::to_string(int(status)) + " (" +
             cudaGetErrorString(status) + ")";
    }
    cudaGetLastError();  // clear the sticky error so later calls report their own
    return 0;
  }
  if (count == 0 && why) *why = "no CUDA device";
  return count;
}

void check(int cuda_status, const char* what) {
  if (cuda_status == cudaSuccess) return;
  throw Error(ErrorKind::backend, std::string("cuda: ") + what + " failed: " +
                                      cudaGetErrorString(static_cast<cudaError_t>(cuda_status)));
}

}  // namespace ringtail::coll::cuda
