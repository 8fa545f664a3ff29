// Defines RunWithLargeStack (large_stack.h).
#include "compiler/syntax/large_stack.h"

#include <pthread.h>

namespace crmx::syntax {

void RunWithLargeStack(const std::function<void()>& fn) {
  constexpr size_t kStack = 256u << 20;  // reserved, not committed
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kStack);
  pthread_t thread;
  auto trampoline = [](void* arg) -> void* {
    (*static_cast<const std::function<void()>*>(arg))();
    return nullptr;
  };
  if (pthread_create(&thread, &attr, trampoline, const_cast<std::function<void()>*>(&fn)) != 0) {
    pthread_attr_destroy(&attr);
    fn();  // no thread to be had: run here, with the caps as the only guard
    return;
  }
  pthread_attr_destroy(&attr);
  pthread_join(thread, nullptr);
}

}  // namespace crmx::syntax
