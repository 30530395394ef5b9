package nsenter

// Env and FdEnv are the environment variables that trigger the constructor.
const (
	Env   = "_BERTH_NSENTER"
	FdEnv = "_BERTH_NSENTER_FD"
)
