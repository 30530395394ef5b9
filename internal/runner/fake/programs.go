package fake

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

func defaultPrograms() map[string]Program {
	return map[string]Program{
		"echo":  func(p *Process) int { return echo(p, p.Args[1:]) },
		"true":  func(*Process) int { return 0 },
		"false": func(*Process) int { return 1 },
		"sleep": func(p *Process) int { return sleep(p, p.Args[1:]) },
		"cat":   cat,
		"sh":    sh,
	}
}

func echo(p *Process, args []string) int {
	fmt.Fprintln(p.Stdout, strings.Join(args, " "))
	return 0
}

// sleep waits for its argument in seconds ("infinity": for ever) or until a
// terminating signal (HUP, INT, QUIT, TERM: exits 128+n) or SIGKILL.
func sleep(p *Process, args []string) int {
	var t <-chan time.Time
	if len(args) > 0 && args[0] != "infinity" {
		secs, err := strconv.ParseFloat(args[0], 64)
		if err != nil {
			fmt.Fprintf(p.Stderr, "sleep: invalid number '%s'\n", args[0])
			return 1
		}
		t = time.After(time.Duration(secs * float64(time.Second)))
	}
	for {
		select {
		case <-t:
			return 0
		case sig := <-p.Signals:
			if sig == 1 || sig == 2 || sig == 3 || sig == 15 {
				return 128 + sig
			}
		case <-p.Context().Done():
			return 137
		}
	}
}

// cat copies stdin to stdout.
func cat(p *Process) int {
	if _, err := io.Copy(p.Stdout, p.Stdin); err != nil {
		return 1
	}
	return 0
}

// sh runs `sh -c SCRIPT` for a tiny subset: commands separated by ';' or
// newlines, each one of echo (with an optional trailing >&2), exit N,
// sleep N, cat, true, false. Anything else prints "sh: X: not found" and
// sets the status to 127.
func sh(p *Process) int {
	if len(p.Args) < 3 || p.Args[1] != "-c" {
		return cat(p) // an interactive shell: echo its input
	}
	status := 0
	for _, cmd := range strings.FieldsFunc(p.Args[2], func(r rune) bool { return r == ';' || r == '\n' }) {
		f := strings.Fields(cmd)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "exit":
			if len(f) > 1 {
				status, _ = strconv.Atoi(f[1])
			}
			return status
		case "echo":
			out := p.Stdout
			if f[len(f)-1] == ">&2" {
				out, f = p.Stderr, f[:len(f)-1]
			}
			fmt.Fprintln(out, strings.Trim(strings.Join(f[1:], " "), `"'`))
			status = 0
		case "sleep":
			status = sleep(p, f[1:])
			if status > 128 {
				return status
			}
		case "cat":
			status = cat(p)
		case "true":
			status = 0
		case "false":
			status = 1
		default:
			fmt.Fprintf(p.Stderr, "sh: %s: not found\n", f[0])
			status = 127
		}
	}
	return status
}
