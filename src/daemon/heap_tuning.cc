#include "daemon/heap_tuning.h"

#include <malloc.h>

#include "base/log.h"

namespace vigil::daemon {

void KeepHeapForReloads() {
  // mallopt returns 1 on success (glibc's thresholds are fixed once set: no adaptation).
  if (mallopt(M_TRIM_THRESHOLD, static_cast<int>(kHeapTrimThreshold)) != 1 ||
      mallopt(M_MMAP_THRESHOLD, static_cast<int>(kHeapMmapThreshold)) != 1)
    log::Warning("malloc: cannot set the trim and mmap thresholds; reloads touch new pages");
}

}  // namespace vigil::daemon
