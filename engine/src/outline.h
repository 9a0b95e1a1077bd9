// Keeping start-up code small where it loops. The browser runs the engine's
// loaders and its first recommendation in V8's baseline tier (Liftoff), and
// V8 decides to recompile a function with its optimizing tier (TurboFan, on a
// background thread) from a budget charged with the *code size* of every loop
// body it runs and of every call it returns from. A loop whose body inlines
// field readers and error messages is charged its whole size on every
// iteration, so a loader that runs once gets recompiled - hundreds of
// milliseconds of a second core the cold start needs (docs/performance.md).
// Loop bodies call small out-of-line helpers instead, and errors are built
// out of line, only when they happen.
#ifndef FTCONFIG_SRC_OUTLINE_H_
#define FTCONFIG_SRC_OUTLINE_H_

#if defined(__GNUC__) || defined(__clang__)
#define FTCONFIG_NOINLINE __attribute__((noinline))
#define FTCONFIG_COLD __attribute__((noinline, cold))
#else
#define FTCONFIG_NOINLINE
#define FTCONFIG_COLD
#endif

// Code that runs once per engine or once per answer (loaders, the request
// reader, the response builders) is optimized for size in the WebAssembly
// build. V8 compiles each function the first time it is called, on the
// thread that calls it, so every byte of such a function is start-up time;
// at -O2 LLVM inlines JSON helpers and their exception clean-ups into them
// until they reach tens of kilobytes. `minsize` keeps those calls out of
// line: 451 -> 335 KB compiled before the first answer, cold start 20-50 ms
// shorter in interleaved runs (docs/performance.md). Native builds are
// unaffected.
// Bracket a file's definitions, after its #includes:
//   FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN ... FTCONFIG_OPTIMIZE_FOR_SIZE_END
#if defined(__clang__) && defined(__wasm__)
#define FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN \
  _Pragma("clang attribute push(__attribute__((minsize)), apply_to = function)")
#define FTCONFIG_OPTIMIZE_FOR_SIZE_END _Pragma("clang attribute pop")
#else
#define FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN
#define FTCONFIG_OPTIMIZE_FOR_SIZE_END
#endif

#endif  // FTCONFIG_SRC_OUTLINE_H_
