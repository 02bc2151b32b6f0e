#ifndef CZ3_SHIM_H
#define CZ3_SHIM_H
#include <z3.h>
#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
#endif
#endif
