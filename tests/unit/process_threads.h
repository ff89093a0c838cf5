/* process_threads.h -- counting this process's threads, for the thread tests (test_threads, test_threads_dlopen).
 * SPDX-License-Identifier: MIT
 */
#ifndef SP_TEST_PROCESS_THREADS_H
#define SP_TEST_PROCESS_THREADS_H

#include <dirent.h>
#include <stddef.h>

/* Threads of this process (entries of /proc/self/task), or 0 where that cannot be read. */
static size_t process_threads(void)
{
    DIR *dir = opendir("/proc/self/task");
    if (!dir)
        return 0;
    size_t n = 0;
    const struct dirent *e;
    while ((e = readdir(dir)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(dir);
    return n;
}

#endif /* SP_TEST_PROCESS_THREADS_H */
