package cli

import (
	"io"

	"github.com/berthproject/berth/client"
	"github.com/berthproject/berth/internal/credential"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client/pkg/jsonmessage"
)

// registryAuth is the X-Registry-Auth value for ref's registry, from the
// stored credentials (docker's RetrieveAuthTokenFromImage). Unreadable
// credentials mean an anonymous request, as in docker.
func (c *CLI) registryAuth(ref client.Reference) string {
	f, err := credential.Load(c.configDir())
	if err != nil {
		return ""
	}
	cfg, err := f.Get(credential.Key(ref.Domain))
	if err != nil {
		return ""
	}
	enc, err := credential.Encode(cfg)
	if err != nil {
		return ""
	}
	return enc
}

// displayProgress renders a pull or push stream to w like docker: bars on
// a terminal, status lines otherwise.
func displayProgress(body io.Reader, w io.Writer, aux func(jsonstream.Message)) error {
	o := newOut(w)
	return jsonmessage.DisplayJSONMessagesStream(body, o, uintptr(o.fd), o.terminal, aux)
}
