// w1_measure: runs a command and reports its wall time, CPU time and peak RSS, like GNU time.
//
//   w1_measure REPORT_FILE COMMAND [ARGS...]
//
// Writes `wall_s cpu_s maxrss_kib exit_status` to REPORT_FILE and exits with the command's
// status. Why not os.wait4 in run_w1.py: Linux carries a process's RSS high-water mark across
// fork and exec, so a command started straight from the Python runner reports at least the
// runner's own RSS (~16 MiB). Forked from this small process, the command starts from ~1 MiB.
// maxrss is RUSAGE_CHILDREN's: the largest of the command and every descendant it waited for
// (the jq peer is a shell pipeline).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: w1_measure REPORT_FILE COMMAND [ARGS...]\n");
    return 2;
  }
  timespec t0{}, t1{};
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pid_t pid = fork();
  if (pid < 0) {
    std::perror("w1_measure: fork");
    return 2;
  }
  if (pid == 0) {
    execvp(argv[2], argv + 2);
    std::perror("w1_measure: exec");
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) {
    std::perror("w1_measure: waitpid");
    return 2;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  double wall = static_cast<double>(t1.tv_sec - t0.tv_sec) + static_cast<double>(t1.tv_nsec - t0.tv_nsec) / 1e9;
  double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::FILE* f = std::fopen(argv[1], "w");
  if (f == nullptr) {
    std::perror("w1_measure: report file");
    return 2;
  }
  std::fprintf(f, "%.6f %.6f %ld %d\n", wall, cpu, ru.ru_maxrss, code);
  std::fclose(f);
  return code;
}
