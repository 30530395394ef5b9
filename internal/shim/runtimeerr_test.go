package shim

import "testing"

func TestRuntimeMessage(t *testing.T) {
	tests := []struct {
		stderr string
		want   string
	}{
		{`time="2026-12-01T21:37:08Z" level=error msg="runc create failed: unable to start container process: exec: \"nope\": executable file not found in $PATH"` + "\n",
			`runc create failed: unable to start container process: exec: "nope": executable file not found in $PATH`},
		{"time=\"x\" level=warning msg=\"ignored\"\ntime=\"x\" level=error msg=\"container does not exist\"\n", "container does not exist"},
		{`level=error msg=bare`, "bare"},
		{"berth-runtime: container \"x\" not found\n", `berth-runtime: container "x" not found`},
		{"", ""},
	}
	for _, tc := range tests {
		if got := runtimeMessage([]byte(tc.stderr)); got != tc.want {
			t.Errorf("runtimeMessage(%q) = %q, want %q", tc.stderr, got, tc.want)
		}
	}
}
