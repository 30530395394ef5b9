package stats

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// userHZ is the unit of cpuacct.stat and /proc/stat (USER_HZ, 100 on Linux).
const userHZ = 100

// readV1 reads the v1 controllers' directories (by controller name).
func readV1(s *Sample, dirs map[string]string) {
	if d := dirs["cpuacct"]; d != "" {
		s.CPU.TotalUsage = readUint(filepath.Join(d, "cpuacct.usage"))
		if b, err := os.ReadFile(filepath.Join(d, "cpuacct.usage_percpu")); err == nil {
			for _, f := range strings.Fields(string(b)) {
				s.CPU.PerCPU = append(s.CPU.PerCPU, parseUint(f))
			}
		}
		st := readKV(filepath.Join(d, "cpuacct.stat"))
		s.CPU.UserUsage, s.CPU.KernelUsage = st["user"]*(1e9/userHZ), st["system"]*(1e9/userHZ)
	}
	if d := dirs["cpu"]; d != "" {
		st := readKV(filepath.Join(d, "cpu.stat"))
		s.CPU.Periods, s.CPU.ThrottledPeriods, s.CPU.ThrottledTime = st["nr_periods"], st["nr_throttled"], st["throttled_time"]
	}
	if d := dirs["memory"]; d != "" {
		s.Memory = Memory{
			Usage:    readUint(filepath.Join(d, "memory.usage_in_bytes")),
			MaxUsage: readUint(filepath.Join(d, "memory.max_usage_in_bytes")),
			Limit:    readUint(filepath.Join(d, "memory.limit_in_bytes")),
			Failcnt:  readUint(filepath.Join(d, "memory.failcnt")),
			Stats:    readKV(filepath.Join(d, "memory.stat")),
		}
	}
	if d := dirs["pids"]; d != "" {
		s.Pids = readPids(d)
	}
	if d := dirs["blkio"]; d != "" {
		// The CFQ/BFQ files when the scheduler fills them, else the throttle ones (as containerd).
		for _, prefix := range []string{"blkio.", "blkio.bfq.", "blkio.throttle."} {
			s.BlkIO.ServiceBytes = readBlkio(filepath.Join(d, prefix+"io_service_bytes_recursive"))
			s.BlkIO.Serviced = readBlkio(filepath.Join(d, prefix+"io_serviced_recursive"))
			if len(s.BlkIO.ServiceBytes) > 0 {
				break
			}
		}
	}
}

func readPids(d string) Pids {
	p := Pids{Current: readUint(filepath.Join(d, "pids.current")), Limit: readUint(filepath.Join(d, "pids.max"))}
	if p.Limit == ^uint64(0) {
		p.Limit = 0
	}
	return p
}

// readBlkio reads v1 "MAJ:MIN Op VALUE" lines, without the "Total" line.
func readBlkio(path string) []BlkIOEntry {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []BlkIOEntry
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			continue
		}
		major, minor, ok := parseDevice(f[0])
		if !ok {
			continue
		}
		out = append(out, BlkIOEntry{Major: major, Minor: minor, Op: f[1], Value: parseUint(f[2])})
	}
	return out
}

func parseDevice(s string) (major, minor uint64, ok bool) {
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, false
	}
	major, err1 := strconv.ParseUint(a, 10, 64)
	minor, err2 := strconv.ParseUint(b, 10, 64)
	return major, minor, err1 == nil && err2 == nil
}

// readV2 reads a cgroup v2 directory.
func readV2(s *Sample, d string) {
	cpu := readKV(filepath.Join(d, "cpu.stat"))
	s.CPU.TotalUsage, s.CPU.UserUsage, s.CPU.KernelUsage = cpu["usage_usec"]*1000, cpu["user_usec"]*1000, cpu["system_usec"]*1000
	s.CPU.Periods, s.CPU.ThrottledPeriods, s.CPU.ThrottledTime = cpu["nr_periods"], cpu["nr_throttled"], cpu["throttled_usec"]*1000
	s.Memory = Memory{
		Usage:    readUint(filepath.Join(d, "memory.current")),
		MaxUsage: readUint(filepath.Join(d, "memory.peak")),
		Limit:    readUint(filepath.Join(d, "memory.max")),
		Failcnt:  readKV(filepath.Join(d, "memory.events"))["oom"],
		Stats:    readKV(filepath.Join(d, "memory.stat")),
	}
	s.Pids = readPids(d)
	s.BlkIO = readIOStat(filepath.Join(d, "io.stat"))
}

// readIOStat reads v2 "MAJ:MIN rbytes=N wbytes=N rios=N wios=N ..." lines.
func readIOStat(path string) BlkIO {
	var out BlkIO
	b, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		major, minor, ok := parseDevice(f[0])
		if !ok {
			continue
		}
		kv := map[string]uint64{}
		for _, p := range f[1:] {
			if k, v, ok := strings.Cut(p, "="); ok {
				kv[k] = parseUint(v)
			}
		}
		e := func(op, key string) BlkIOEntry { return BlkIOEntry{Major: major, Minor: minor, Op: op, Value: kv[key]} }
		out.ServiceBytes = append(out.ServiceBytes, e("read", "rbytes"), e("write", "wbytes"))
		out.Serviced = append(out.Serviced, e("read", "rios"), e("write", "wios"))
	}
	return out
}
