// LD_PRELOAD shim for Debian's linux.uml (6.1) on hosts whose CPUs have AMX (or any
// XSAVE feature set larger than UML expects). UML keeps each process's extended FPU state
// in a buffer sized from CPUID and writes it back with PTRACE_SETREGSET NT_X86_XSTATE; the
// host kernel accepts that request only with a buffer of its full XSAVE size
// (fpu_user_cfg.max_size), so on such hosts the first process UML starts dies of SIGSEGV
// and the guest panics ("Attempted to kill init! exitcode=0x0000000b"). This shim
// completes a short write: it reads the whole state, lays UML's bytes over its start (the
// legacy area, the XSAVE header and the features UML knows) and writes the whole buffer.
// Features beyond UML's buffer keep the values the process already has. Every other ptrace
// request goes straight to the C library. tests/lab/uml.py preloads it into linux.uml.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>

typedef long (*ptrace_fn)(enum __ptrace_request, pid_t, void *, void *);

static ptrace_fn real_ptrace;
// Static, not on the stack: UML calls ptrace from its kernel threads, whose stacks are
// small, and UML is one CPU, so the calls never overlap. 64 KiB is above every XSAVE size.
static unsigned char whole_state[64 * 1024] __attribute__((aligned(64)));

__attribute__((constructor)) static void find_real_ptrace(void) {
  real_ptrace = (ptrace_fn)dlsym(RTLD_NEXT, "ptrace");
}

long ptrace(enum __ptrace_request request, ...) {
  va_list ap;
  va_start(ap, request);
  pid_t pid = va_arg(ap, pid_t);
  void *addr = va_arg(ap, void *);
  void *data = va_arg(ap, void *);
  va_end(ap);
  if (request == PTRACE_SETREGSET && (uintptr_t)addr == NT_X86_XSTATE && data != NULL) {
    const struct iovec *part = data;
    struct iovec whole = {whole_state, sizeof whole_state};
    if (real_ptrace(PTRACE_GETREGSET, pid, addr, &whole) == 0 && whole.iov_len > part->iov_len) {
      memcpy(whole_state, part->iov_base, part->iov_len);
      return real_ptrace(PTRACE_SETREGSET, pid, addr, &whole);
    }
  }
  return real_ptrace(request, pid, addr, data);
}
