// Shared libraries opened on first use (dlopen) instead of at start-up, so
// that every command does not pay for libraries only some commands need:
// PostgreSQL's libpq (the team store) and XGBoost (training) with their
// dependencies cost ~3 ms of each CLI start (docs/performance.md).
#ifndef FTCONFIG_COMPANION_SHARED_LIBRARY_H_
#define FTCONFIG_COMPANION_SHARED_LIBRARY_H_

#include <string>

#include "ftconfig/result.h"

namespace ftconfig::cli {

// Opens `soname` once per process (later calls return the same handle or the
// same error) and resolves symbols from it. The error names what the library
// is needed for and the Debian package that provides it.
class SharedLibrary {
 public:
  static Result<const SharedLibrary*> Open(const std::string& soname, const std::string& needed_for,
                                           const std::string& package);

  // The function `name` as a pointer of type F, or an error naming it.
  template <typename F>
  Result<F> Function(const char* name) const {
    auto address = Symbol(name);
    if (!address.ok()) return address.error();
    return reinterpret_cast<F>(address.value());
  }

 private:
  static Result<const SharedLibrary*> Load(const std::string& soname, const std::string& needed_for,
                                           const std::string& package);
  Result<void*> Symbol(const char* name) const;

  void* handle_ = nullptr;
  std::string soname_;
};

}  // namespace ftconfig::cli

// Defines `struct Name`, one function pointer per entry of LIST (an X-macro:
// LIST(X) expands X(function) for each C function of the library, declared by
// its header), and `const Result<Name>& Name##Once()`, which opens `soname`
// and resolves them all on its first call.
#define FTCONFIG_SHARED_API(Name, LIST, soname, needed_for, package)                                \
  struct Name {                                                                                   \
    LIST(FTCONFIG_SHARED_API_MEMBER)                                                              \
  };                                                                                              \
  inline ::ftconfig::Result<Name> Resolve##Name() {                                               \
    FTCONFIG_ASSIGN_OR_RETURN(lib, ::ftconfig::cli::SharedLibrary::Open(soname, needed_for, package)); \
    Name api;                                                                                     \
    LIST(FTCONFIG_SHARED_API_RESOLVE)                                                             \
    return api;                                                                                   \
  }                                                                                               \
  inline const ::ftconfig::Result<Name>& Name##Once() {                                           \
    static const ::ftconfig::Result<Name> api = Resolve##Name();                                  \
    return api;                                                                                   \
  }

#define FTCONFIG_SHARED_API_MEMBER(name) decltype(&::name) name = nullptr;
#define FTCONFIG_SHARED_API_RESOLVE(name)                                  \
  if (auto f = lib->Function<decltype(&::name)>(#name); f.ok()) {         \
    api.name = f.value();                                                 \
  } else {                                                                \
    return f.error();                                                     \
  }

#endif  // FTCONFIG_COMPANION_SHARED_LIBRARY_H_
