#include "shared_library.h"

#include <dlfcn.h>

#include <map>
#include <mutex>

namespace ftconfig::cli {

Result<const SharedLibrary*> SharedLibrary::Open(const std::string& soname, const std::string& needed_for,
                                                 const std::string& package) {
  static std::mutex mutex;
  static auto* opened = new std::map<std::string, Result<const SharedLibrary*>>();  // kept for the process
  std::lock_guard<std::mutex> lock(mutex);
  auto it = opened->find(soname);
  if (it == opened->end()) it = opened->emplace(soname, Load(soname, needed_for, package)).first;
  return it->second;
}

Result<const SharedLibrary*> SharedLibrary::Load(const std::string& soname, const std::string& needed_for,
                                                 const std::string& package) {
  void* handle = dlopen(soname.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    return Error{ErrorCode::kUnsupported, "",
                 needed_for + " needs " + soname + " (Debian package " + package + ", installed by scripts/setup.sh): " +
                     (why ? why : "not found")};
  }
  auto* lib = new SharedLibrary();
  lib->handle_ = handle;
  lib->soname_ = soname;
  return lib;
}

Result<void*> SharedLibrary::Symbol(const char* name) const {
  dlerror();
  void* address = dlsym(handle_, name);
  if (!address)
    return Error{ErrorCode::kUnsupported, "", soname_ + " has no function " + name + ": an unexpected version"};
  return address;
}

}  // namespace ftconfig::cli
