package registry

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/registry/api"
)

// tokenIssuer is the built-in token server of the Docker token flow
// (GET /auth/token?service=&scope=): it checks the user's basic-auth
// credentials against an htpasswd file and returns an ES256 JWT granting
// the requested pull/push/delete access (and the catalog). Every known
// user gets what they ask for; finer access control needs an external
// token server.
type tokenIssuer struct {
	service, issuer string
	key             *ecdsa.PrivateKey
	users           *htpasswd
	expiry          time.Duration
	now             func() time.Time
}

func newTokenIssuer(cfg TokenConfig) (*tokenIssuer, error) {
	users, err := loadHtpasswd(cfg.Issue.Htpasswd)
	if err != nil {
		return nil, err
	}
	ti := &tokenIssuer{service: cfg.Service, issuer: cfg.Issuer, users: users,
		expiry: time.Duration(cfg.Issue.Expiry), now: time.Now}
	if ti.expiry == 0 {
		ti.expiry = 5 * time.Minute
	}
	if cfg.Issue.SigningKey == "" {
		ti.key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		return ti, err
	}
	b, err := os.ReadFile(cfg.Issue.SigningKey)
	if err != nil {
		return nil, fmt.Errorf("token signing key: %w", err)
	}
	ti.key, err = parseECKey(b)
	if err != nil {
		return nil, fmt.Errorf("token signing key %s: %w", cfg.Issue.SigningKey, err)
	}
	return ti, nil
}

func parseECKey(b []byte) (*ecdsa.PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("no PEM block: %w", errdefs.ErrInvalidArgument)
	}
	if k, err := x509.ParseECPrivateKey(blk.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if ek, ok := k.(*ecdsa.PrivateKey); err == nil && ok && ek.Curve == elliptic.P256() {
		return ek, nil
	}
	return nil, fmt.Errorf("not an EC P-256 private key: %w", errdefs.ErrInvalidArgument)
}

func (ti *tokenIssuer) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet {
		api.WriteError(w, api.ErrMethodNotAllowed)
		return
	}
	user, pass, ok := req.BasicAuth()
	if !ok || !ti.users.verify(user, pass) {
		w.Header().Set("WWW-Authenticate", `Basic realm="berth-registry token"`)
		api.WriteError(w, fmt.Errorf("invalid username or password: %w", api.ErrUnauthorized))
		return
	}
	q := req.URL.Query()
	if s := q.Get("service"); s != "" && s != ti.service {
		api.WriteError(w, fmt.Errorf("unknown service %q: %w", s, api.ErrDenied))
		return
	}
	now := ti.now()
	tok, err := ti.sign(tokenClaims{
		Issuer: ti.issuer, Subject: user, Audience: audience{ti.service},
		Expiry: now.Add(ti.expiry).Unix(), NotBefore: now.Add(-time.Second).Unix(), IssuedAt: now.Unix(),
		ID: randomID(), Access: grants(q["scope"]),
	})
	if err != nil {
		api.WriteError(w, err)
		return
	}
	writeJSON(w, "application/json", map[string]any{
		"token": tok, "access_token": tok, "expires_in": int(ti.expiry.Seconds()),
		"issued_at": now.UTC().Format(time.RFC3339),
	})
}

// grants turns requested scopes into granted access: repository pull,
// push, delete (or *) on valid names, and the catalog.
func grants(scopes []string) []tokenAccess {
	out := []tokenAccess{}
	for _, s := range scopes {
		for one := range strings.FieldsSeq(s) {
			typ, name, actions, ok := parseScope(one)
			if !ok {
				continue
			}
			var granted []string
			for _, a := range actions {
				ok := (typ == "repository" && api.ValidateName(name) == nil && slices.Contains([]string{"pull", "push", "delete", "*"}, a)) ||
					(typ == "registry" && name == "catalog" && a == "*")
				if ok && !slices.Contains(granted, a) {
					granted = append(granted, a)
				}
			}
			if len(granted) > 0 {
				out = append(out, tokenAccess{Type: typ, Name: name, Actions: granted})
			}
		}
	}
	return out
}

// sign makes an ES256 JWT; kid is the key's RFC 7638 thumbprint.
func (ti *tokenIssuer) sign(c tokenClaims) (string, error) {
	hdr, _ := json.Marshal(map[string]string{"alg": "ES256", "typ": "JWT", "kid": thumbprint(&ti.key.PublicKey)})
	body, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	input := base64.RawURLEncoding.EncodeToString(hdr) + "." + base64.RawURLEncoding.EncodeToString(body)
	sum := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, ti.key, sum[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

func thumbprint(k *ecdsa.PublicKey) string {
	b, _ := k.Bytes() // uncompressed point: 0x04 || x || y
	enc := base64.RawURLEncoding.EncodeToString
	jwk := fmt.Sprintf(`{"crv":"P-256","kty":"EC","x":%q,"y":%q}`, enc(b[1:33]), enc(b[33:65]))
	sum := sha256.Sum256([]byte(jwk))
	return enc(sum[:])
}

func randomID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
