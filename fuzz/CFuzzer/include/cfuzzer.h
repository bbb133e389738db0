#ifndef WARDEN_CFUZZER_H
#define WARDEN_CFUZZER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (compiler-rt `FuzzerDriver.cpp`), linked by `-sanitize=fuzzer`. Only referenced in builds with
/// `-D FUZZING`, so a plain build never needs it.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
