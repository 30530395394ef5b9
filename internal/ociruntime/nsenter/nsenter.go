package nsenter

/*
#cgo CFLAGS: -Wall -O2
extern void berth_nsenter(void);
void __attribute__((constructor)) berth_nsenter_init(void) { berth_nsenter(); }
*/
import "C"

// Env and FdEnv are the environment variables that trigger the constructor.
const (
	Env   = "_BERTH_NSENTER"
	FdEnv = "_BERTH_NSENTER_FD"
)
