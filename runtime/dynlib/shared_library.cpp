// Defines SharedLibrary (shared_library.h) on dlopen/dlsym.
#include "runtime/dynlib/shared_library.h"

#include <dlfcn.h>

namespace crmx::dynlib {

SharedLibrary* SharedLibrary::Open(const char* soname, const char* purpose, std::string& error) {
  // RTLD_NOW: a library that is missing a function fails here, with the library's name, not at
  // the first call of that function; RTLD_LOCAL: its symbols stay its own.
  void* handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    error = std::string("cannot load ") + soname + " (" + purpose + "): " + (why ? why : "unknown error");
    return nullptr;
  }
  // Never closed, never freed: the functions bound from it are used until exit.
  return new SharedLibrary(handle, soname);
}

void* SharedLibrary::Find(const char* name, std::string& error) const {
  dlerror();
  void* p = dlsym(handle_, name);
  if (p == nullptr) {
    const char* why = dlerror();
    error = soname_ + " has no function " + name + (why ? std::string(": ") + why : std::string());
  }
  return p;
}

}  // namespace crmx::dynlib
