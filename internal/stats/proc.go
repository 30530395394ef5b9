package stats

import (
	"bufio"
	"bytes"
	"os"
	"strings"
)

// readNetDev reads /proc/PID/net/dev (the process's network namespace):
// every interface but loopback. nil when there is none.
func readNetDev(path string) map[string]Network {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out map[string]Network
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		name = strings.TrimSpace(name)
		f := strings.Fields(rest)
		if !ok || name == "lo" || len(f) < 16 {
			continue
		}
		v := make([]uint64, 16)
		for i := range v {
			v[i] = parseUint(f[i])
		}
		if out == nil {
			out = map[string]Network{}
		}
		// receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes packets errs drop ...
		out[name] = Network{
			RxBytes: v[0], RxPackets: v[1], RxErrors: v[2], RxDropped: v[3],
			TxBytes: v[8], TxPackets: v[9], TxErrors: v[10], TxDropped: v[11],
		}
	}
	return out
}

// readProcStat returns the host's CPU time in nanoseconds (the first
// seven fields of the "cpu" line, as dockerd sums them) and its CPU count.
func readProcStat(path string) (uint64, uint32) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0
	}
	var total uint64
	var cpus uint32
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) > 7 && f[0] == "cpu":
			for _, v := range f[1:8] {
				total += parseUint(v)
			}
		case len(f) > 0 && strings.HasPrefix(f[0], "cpu"):
			cpus++
		}
	}
	return total * (1e9 / userHZ), cpus
}
