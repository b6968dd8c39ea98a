#pragma once
// The few CUDA runtime facts the NCCL backend and its tests need, with errors
// turned into ringtail::Error.

#include <string>

namespace ringtail::coll::cuda {

// Number of usable CUDA devices; 0 when there is no driver or no device, with
// the reason in *why (for skip messages and errors).
int device_count(std::string* why);

// Throws ringtail::Error(backend) naming `what` when a CUDA call failed.
void check(int cuda_status, const char* what);

}  // namespace ringtail::coll::cuda
