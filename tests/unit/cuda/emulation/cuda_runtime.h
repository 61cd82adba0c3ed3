// CPU emulation of the part of CUDA that vitc's generated kernels.cu, launcher.cu and
// run_model.cu use, so that tests on machines without a GPU can compile them with g++ and run
// them as they are. Test support only: it proves that the generated text computes the right
// thing; CUDA's own math library and scheduling are not reproduced.
//
// Each block runs its threads as cooperative fibers (ucontext): a thread runs until it reaches
// __syncthreads() or returns, then the next one runs. A barrier releases once every thread of the
// block has reached it; threads that return while others wait at a barrier are reported (that is
// undefined behaviour in CUDA). __shared__ arrays become function-local statics, which is exactly
// per-block storage because blocks run one after the other.
#pragma once

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include <utility>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static

struct uint3 {
  unsigned int x, y, z;
};

struct dim3 {
  unsigned int x, y, z;
  dim3(unsigned int x_ = 1, unsigned int y_ = 1, unsigned int z_ = 1) : x(x_), y(y_), z(z_) {}
};

struct alignas(8) float2 {
  float x, y;
};
struct float3 {
  float x, y, z;
};
struct alignas(16) float4 {
  float x, y, z, w;
};
inline float2 make_float2(float x, float y) { return {x, y}; }
inline float3 make_float3(float x, float y, float z) { return {x, y, z}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }

inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline float __int_as_float(int bits) {
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}
// PTX cvt.rzi with saturation: NaN converts to 0, out-of-range values to the nearest bound.
inline int __float2int_rz(float x) {
  if (x != x) return 0;
  if (x >= 2147483648.0f) return 2147483647;
  if (x <= -2147483648.0f) return -2147483647 - 1;
  return (int)x;
}
inline unsigned int __float2uint_rz(float x) {
  if (x != x || x <= 0.0f) return 0u;
  if (x >= 4294967296.0f) return 4294967295u;
  return (unsigned int)x;
}

namespace vitc_emu {

struct Fiber {
  ucontext_t context;
  std::vector<char> stack;
  uint3 thread;
  bool done;
};

struct State {
  uint3 thread_idx, block_idx, block_dim, grid_dim;
  ucontext_t scheduler;
  Fiber* running = nullptr;
  void (*entry)(void*) = nullptr;
  void* entry_data = nullptr;
  std::vector<Fiber> fibers;  // reused across launches: stacks are large
  long live_allocations = 0;
  long mallocs = 0;
  long launches = 0;
};

inline State& state() {
  static State s;
  return s;
}

inline void barrier() {
  State& s = state();
  swapcontext(&s.running->context, &s.scheduler);
}

inline void fiber_main() {
  State& s = state();
  s.entry(s.entry_data);
  s.running->done = true;  // returning resumes the scheduler through uc_link
}

// Runs `entry` as every thread of every block; false when threads of a block diverged at a barrier.
inline bool run_grid(dim3 grid, dim3 block, void (*entry)(void*), void* data) {
  State& s = state();
  s.entry = entry;
  s.entry_data = data;
  s.block_dim = {block.x, block.y, block.z};
  s.grid_dim = {grid.x, grid.y, grid.z};
  const size_t threads = (size_t)block.x * block.y * block.z;
  if (s.fibers.size() < threads) s.fibers.resize(threads);
  for (Fiber& f : s.fibers) f.stack.resize(256 * 1024);
  Fiber* fibers = s.fibers.data();
  for (unsigned int bz = 0; bz < grid.z; bz++)
    for (unsigned int by = 0; by < grid.y; by++)
      for (unsigned int bx = 0; bx < grid.x; bx++) {
        s.block_idx = {bx, by, bz};
        for (size_t i = 0; i < threads; i++) {
          Fiber& f = fibers[i];
          f.thread = {(unsigned int)(i % block.x), (unsigned int)(i / block.x % block.y), (unsigned int)(i / ((size_t)block.x * block.y))};
          f.done = false;
          getcontext(&f.context);
          f.context.uc_stack.ss_sp = f.stack.data();
          f.context.uc_stack.ss_size = f.stack.size();
          f.context.uc_link = &s.scheduler;
          makecontext(&f.context, fiber_main, 0);
        }
        for (;;) {
          for (size_t i = 0; i < threads; i++) {
            if (fibers[i].done) continue;
            s.running = &fibers[i];
            s.thread_idx = fibers[i].thread;
            swapcontext(&s.scheduler, &fibers[i].context);
          }
          size_t done = 0;
          for (size_t i = 0; i < threads; i++) done += fibers[i].done;
          if (done == threads) break;
          if (done > 0) {
            fprintf(stderr, "emulation: block (%u,%u,%u): %zu of %zu threads returned while others wait at __syncthreads\n", bx, by, bz, done, threads);
            return false;
          }
        }
      }
  return true;
}

template <class... A, size_t... I>
void call_kernel(void (*kernel)(A...), void** args, std::index_sequence<I...>) {
  kernel(*static_cast<A*>(args[I])...);
}

template <class... A>
struct Launch {
  void (*kernel)(A...);
  void** args;
  static void run(void* self) {
    Launch* l = static_cast<Launch*>(self);
    call_kernel(l->kernel, l->args, std::index_sequence_for<A...>{});
  }
};

}  // namespace vitc_emu

#define threadIdx (vitc_emu::state().thread_idx)
#define blockIdx (vitc_emu::state().block_idx)
#define blockDim (vitc_emu::state().block_dim)
#define gridDim (vitc_emu::state().grid_dim)
#define __syncthreads() vitc_emu::barrier()

// Runtime API subset.
typedef int cudaError_t;
enum {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorLaunchFailure = 719,
};
enum cudaMemcpyKind { cudaMemcpyHostToHost, cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice, cudaMemcpyDefault };
struct vitc_emu_stream {
  int unused;
};
typedef vitc_emu_stream* cudaStream_t;
#define cudaStreamNonBlocking 0x01

inline const char* cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess:
      return "no error";
    case cudaErrorInvalidValue:
      return "invalid argument";
    case cudaErrorMemoryAllocation:
      return "out of memory";
    default:
      return "unspecified launch failure";
  }
}
inline const char* cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess:
      return "cudaSuccess";
    case cudaErrorInvalidValue:
      return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation:
      return "cudaErrorMemoryAllocation";
    default:
      return "cudaErrorLaunchFailure";
  }
}

// Device memory starts as a NaN pattern, so a kernel reading what nothing wrote shows in results.
// VITC_EMU_FAIL_MALLOC=n makes the n-th cudaMalloc of the process fail, VITC_EMU_FAIL_LAUNCH=n
// the n-th cudaLaunchKernel (error-path tests).
inline cudaError_t cudaMalloc(void** p, size_t bytes) {
  vitc_emu::State& s = vitc_emu::state();
  const char* fail = getenv("VITC_EMU_FAIL_MALLOC");
  if (++s.mallocs == (fail ? atol(fail) : 0)) return cudaErrorMemoryAllocation;
  size_t rounded = (bytes + 255) / 256 * 256;
  *p = aligned_alloc(256, rounded > 0 ? rounded : 256);
  if (!*p) return cudaErrorMemoryAllocation;
  memset(*p, 0xff, rounded);
  s.live_allocations++;
  return cudaSuccess;
}
inline cudaError_t cudaFree(void* p) {
  if (p) vitc_emu::state().live_allocations--;
  free(p);
  return cudaSuccess;
}
inline cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind) {
  if (bytes && (!dst || !src)) return cudaErrorInvalidValue;
  memcpy(dst, src, bytes);
  return cudaSuccess;
}
inline cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t) { return cudaMemcpy(dst, src, bytes, kind); }
inline cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned int) {
  *stream = new vitc_emu_stream();
  return cudaSuccess;
}
inline cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  delete stream;
  return cudaSuccess;
}
inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }

template <class... A>
cudaError_t cudaLaunchKernel(void (*kernel)(A...), dim3 grid, dim3 block, void** args, size_t shared_bytes = 0, cudaStream_t = nullptr) {
  const char* fail = getenv("VITC_EMU_FAIL_LAUNCH");
  if (++vitc_emu::state().launches == (fail ? atol(fail) : 0)) return cudaErrorLaunchFailure;
  if (shared_bytes != 0 || grid.x * grid.y * grid.z == 0 || block.x * block.y * block.z == 0 || block.x * block.y * block.z > 1024) return cudaErrorInvalidValue;
  vitc_emu::Launch<A...> launch{kernel, args};
  return vitc_emu::run_grid(grid, block, &vitc_emu::Launch<A...>::run, &launch) ? cudaSuccess : cudaErrorLaunchFailure;
}

// How many device allocations are live (leak checks in tests).
inline long vitc_emu_live_allocations() { return vitc_emu::state().live_allocations; }
