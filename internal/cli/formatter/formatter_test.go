package formatter

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/moby/moby/api/types/container"
)

func TestDisplayablePorts(t *testing.T) {
	any4 := netip.MustParseAddr("0.0.0.0")
	any6 := netip.MustParseAddr("::")
	tests := []struct {
		ports []container.PortSummary
		want  string
	}{
		{nil, ""},
		{[]container.PortSummary{{PrivatePort: 9988, Type: "tcp"}}, "9988/tcp"},
		{[]container.PortSummary{{PrivatePort: 9988, Type: "udp"}, {PrivatePort: 9987, Type: "udp"}, {PrivatePort: 9989, Type: "udp"}}, "9987-9989/udp"},
		{[]container.PortSummary{{IP: any4, PrivatePort: 9090, PublicPort: 9091, Type: "tcp"}}, "0.0.0.0:9091->9090/tcp"},
		{[]container.PortSummary{{IP: any4, PrivatePort: 80, PublicPort: 80, Type: "tcp"}, {IP: any4, PrivatePort: 81, PublicPort: 81, Type: "tcp"}}, "0.0.0.0:80-81->80-81/tcp"},
		{[]container.PortSummary{{IP: any6, PrivatePort: 80, PublicPort: 8080, Type: "tcp"}}, "[::]:8080->80/tcp"},
		{[]container.PortSummary{{PrivatePort: 6379, Type: "tcp"}, {PrivatePort: 6381, Type: "tcp"}, {IP: any4, PrivatePort: 6380, PublicPort: 7000, Type: "tcp"}},
			"6379/tcp, 6381/tcp, 0.0.0.0:7000->6380/tcp"},
	}
	for _, tc := range tests {
		if got := DisplayablePorts(tc.ports); got != tc.want {
			t.Errorf("DisplayablePorts(%v) = %q, want %q", tc.ports, got, tc.want)
		}
	}
}

func TestEllipsisAndTruncate(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"abcdefg", 7, "abcdefg"}, {"abcdefgh", 7, "abcdef…"}, {"abc", 1, "a"}, {"abc", 0, ""}, {"héllo wörld", 6, "héllo…"},
	}
	for _, tc := range tests {
		if got := Ellipsis(tc.in, tc.n); got != tc.want {
			t.Errorf("Ellipsis(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
	for in, want := range map[string]string{
		"sha256:0123456789abcdef0123": "0123456789ab", "0123456789abcdef": "0123456789ab", "short": "short", "<missing>": "<missing>",
	} {
		if got := TruncateID(in); got != want {
			t.Errorf("TruncateID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTemplateFuncs(t *testing.T) {
	tests := []struct{ tmpl, want string }{
		{`{{json .}}`, `{"a":"<b>"}`},
		{`{{join (split "a,b,c" ",") "|"}}`, `a|b|c`},
		{`{{title "hello world-x"}} {{upper "a"}} {{lower "B"}}`, `Hello World-X A b`},
		{`[{{pad "x" 2 1}}][{{pad "" 2 1}}] {{truncate "abcdef" 3}} {{truncate "ab" 3}}`, `[  x ][] abc ab`},
		{`{{println "x"}}`, "x\n"},
	}
	for _, tc := range tests {
		tmpl, err := Parse(tc.tmpl)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := tmpl.Execute(&b, map[string]string{"a": "<b>"}); err != nil {
			t.Fatal(err)
		}
		if b.String() != tc.want {
			t.Errorf("%s = %q, want %q", tc.tmpl, b.String(), tc.want)
		}
	}
}

func TestTableHeaderUsesHeaderFuncs(t *testing.T) {
	var b bytes.Buffer
	ctx := Context{Output: &b, Format: NewContainerFormat(`table {{upper .Names}}\t{{truncate .ID 4}}`, false, false), Trunc: true}
	err := ContainerWrite(ctx, []container.Summary{{ID: "0123456789abcdef", Names: []string{"/web"}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "NAMES     CONTAINER ID\nWEB       0123\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	if err := ContainerWrite(Context{Output: &b, Format: "{{.Nope}}"}, []container.Summary{{}}); err == nil {
		t.Error("unknown field: no error")
	}
}
