// How malloc keeps memory between reloads. A reload of a large configuration builds a new
// model beside the running one and then frees the old: with glibc's defaults the freed
// top of the heap goes back to the kernel and the buffers of megabytes (the file's text,
// the encoded model, the frame that carries it) are mmap'ed afresh, so every reload pays
// again for the pages it touches first (the checker's decode of a 2.6 MB model: 13–14 ms
// CPU with the defaults, 9 ms with the heap kept).
#ifndef VIGIL_DAEMON_HEAP_TUNING_H_
#define VIGIL_DAEMON_HEAP_TUNING_H_

#include <cstddef>

namespace vigil::daemon {

// Free memory at the top of the heap kept rather than given back (the model of the largest
// configurations measured: ~20 MB; the pages are the reload's own peak, touched anyway).
inline constexpr size_t kHeapTrimThreshold = 64u << 20;
// Allocations from this size on get their own mapping; below it, the heap (the largest
// buffers of a reload, a few megabytes, are reused from the heap).
inline constexpr size_t kHeapMmapThreshold = 32u << 20;

// Sets malloc's trim and mmap thresholds for this process and those it forks (the
// engines); a failure is logged as a warning.
void KeepHeapForReloads();

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_HEAP_TUNING_H_
