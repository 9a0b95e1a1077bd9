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

#endif  // FTCONFIG_SRC_OUTLINE_H_
