# Cross-compiling the addon for win-x64 on an x86-64 Debian host: Debian's
# gcc-mingw-w64-x86-64-posix / g++-mingw-w64-x86-64-posix (the POSIX-threads
# variant: winpthreads, std::thread/std::mutex), binaries run under wine64.
# On Windows itself (MSYS2's MinGW-w64: scripts/install.mjs builds from
# source with this file too) only the flags below apply: gcc/g++ from PATH.
if(NOT CMAKE_HOST_WIN32)
  set(CMAKE_SYSTEM_NAME Windows)
  set(CMAKE_SYSTEM_PROCESSOR x86_64)
  set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc-posix)
  set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++-posix)
  set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
  set(CMAKE_AR x86_64-w64-mingw32-ar)
  set(CMAKE_RANLIB x86_64-w64-mingw32-ranlib)
  set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
  set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
  set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
  set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
  set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
endif()
# One self-contained .node: no libgcc_s_seh-1.dll / libstdc++-6.dll /
# libwinpthread-1.dll next to it.
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")
# C99 printf (%zu, %lld) in our dn_error_set/snprintf calls: msvcrt.dll's own
# printf family predates them.
set(CMAKE_C_FLAGS_INIT "-D__USE_MINGW_ANSI_STDIO=1")
set(CMAKE_CXX_FLAGS_INIT "-D__USE_MINGW_ANSI_STDIO=1")
