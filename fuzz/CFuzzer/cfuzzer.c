// Declarations only (see include/cfuzzer.h); SwiftPM needs one source file per C target.
#include "cfuzzer.h"
