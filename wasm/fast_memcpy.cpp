// memcpy for the WebAssembly build.
//
// Emscripten 3.1.6's memcpy (system/lib/libc/emscripten_memcpy.c) copies in
// 4-byte words only when source and destination share their alignment mod 4;
// otherwise - most std::string copies, whose buffers sit at any offset - it
// copies byte by byte. Copies under 512 bytes were 4.5% of a recommendation in
// the WebAssembly module against 3% natively (docs/performance.md, #21's
// profile). WebAssembly loads and stores need no alignment, so this one copies
// 8 bytes at a time whatever the offsets, and hands large copies to the
// runtime's own (HEAPU8.copyWithin) as libc does. A strong definition: libc's
// memcpy is a weak alias, so the linker takes this one for every caller.
//
// Compiled with -fno-builtin (wasm/CMakeLists.txt) so that the compiler does
// not turn the loops below back into calls to memcpy.
#include <cstddef>
#include <cstdint>

#include <emscripten/emscripten.h>

extern "C" {

void* emscripten_memcpy_big(void* dest, const void* src, size_t n) EM_IMPORT(emscripten_memcpy_big);

void* memcpy(void* __restrict dest, const void* __restrict src, size_t n) {
  if (n >= 512) return emscripten_memcpy_big(dest, src, n);
  unsigned char* d = static_cast<unsigned char*>(dest);
  const unsigned char* s = static_cast<const unsigned char*>(src);
  for (; n >= 8; n -= 8, d += 8, s += 8) {
    uint64_t word;
    __builtin_memcpy(&word, s, 8);  // one unaligned i64.load
    __builtin_memcpy(d, &word, 8);  // one unaligned i64.store
  }
  if (n >= 4) {
    uint32_t word;
    __builtin_memcpy(&word, s, 4);
    __builtin_memcpy(d, &word, 4);
    n -= 4;
    d += 4;
    s += 4;
  }
  while (n--) *d++ = *s++;
  return dest;
}

}  // extern "C"
