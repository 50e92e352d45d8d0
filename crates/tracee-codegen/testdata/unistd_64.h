/* Excerpt of <asm/unistd_64.h>, Debian 12's linux-libc-dev 6.1: real lines, cut */
#ifndef _ASM_UNISTD_64_H
#define _ASM_UNISTD_64_H

#define __NR_read 0
#define __NR_write 1
#define __NR_open 2
#define __NR_close 3
#define __NR_stat 4
#define __NR_mmap 9
#define __NR_rt_sigreturn 15
#define __NR_pwrite64 18
#define __NR_nanosleep 35
#define __NR_getpid 39
#define __NR_sendfile 40
#define __NR_socket 41
#define __NR_connect 42
#define __NR_accept 43
#define __NR_sendto 44
#define __NR_recvfrom 45
#define __NR_sendmsg 46
#define __NR_recvmsg 47
#define __NR_clone 56
#define __NR_execve 59
#define __NR_arch_prctl 158
#define __NR_openat 257
#define __NR_set_mempolicy_home_node 450


#endif /* _ASM_UNISTD_64_H */
