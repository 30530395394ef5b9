package registry

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/registry/api"
)

// tokenLeeway tolerates clock skew between token issuer and registry.
const tokenLeeway = 60 * time.Second

// tokenAuth checks bearer tokens of the Docker token flow: JWTs signed by a
// trusted key (ES256/384, RS256/384/512 or EdDSA) naming this registry as
// audience and granting the needed access. JWT handling is hand-written:
// verifying one signature and a few claims does not need a JOSE library.
type tokenAuth struct {
	realm, service, issuer string
	keys                   []crypto.PublicKey
	now                    func() time.Time
}

// tokenClaims are the JWT claims of a registry token.
type tokenClaims struct {
	Issuer    string        `json:"iss"`
	Subject   string        `json:"sub"`
	Audience  audience      `json:"aud"`
	Expiry    int64         `json:"exp"`
	NotBefore int64         `json:"nbf,omitempty"`
	IssuedAt  int64         `json:"iat,omitempty"`
	ID        string        `json:"jti,omitempty"`
	Access    []tokenAccess `json:"access"`
}

type tokenAccess struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

// audience is a JWT "aud": one string or a list.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*a = audience{s}
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return err
	}
	*a = l
	return nil
}

func newTokenAuth(cfg TokenConfig) (*tokenAuth, *tokenIssuer, error) {
	t := &tokenAuth{realm: cfg.Realm, service: cfg.Service, issuer: cfg.Issuer, now: time.Now}
	for _, f := range cfg.PublicKeys {
		keys, err := loadPublicKeys(f)
		if err != nil {
			return nil, nil, err
		}
		t.keys = append(t.keys, keys...)
	}
	var ti *tokenIssuer
	if cfg.Issue != nil {
		var err error
		if ti, err = newTokenIssuer(cfg); err != nil {
			return nil, nil, err
		}
		t.keys = append(t.keys, ti.key.Public())
	}
	return t, ti, nil
}

// loadPublicKeys reads the certificates and public keys of a PEM file.
func loadPublicKeys(path string) ([]crypto.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("token keys %s: %w", path, err)
	}
	var keys []crypto.PublicKey
	for {
		var blk *pem.Block
		if blk, b = pem.Decode(b); blk == nil {
			break
		}
		switch blk.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("token keys %s: %w", path, err)
			}
			keys = append(keys, c.PublicKey)
		case "PUBLIC KEY":
			k, err := x509.ParsePKIXPublicKey(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("token keys %s: %w", path, err)
			}
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("token keys %s: no certificate or public key: %w", path, errdefs.ErrInvalidArgument)
	}
	return keys, nil
}

func (t *tokenAuth) authorize(req *http.Request, need []access) (string, error) {
	raw, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	if !ok || raw == "" {
		return "", t.challenge(req, need, "", "no bearer token")
	}
	claims, err := t.verify(strings.TrimSpace(raw))
	if err != nil {
		return "", t.challenge(req, need, "invalid_token", err.Error())
	}
	for _, a := range need {
		if !claims.allows(a) {
			return "", t.challenge(req, need, "insufficient_scope", "token does not grant "+a.scope())
		}
	}
	return claims.Subject, nil
}

func (c *tokenClaims) allows(a access) bool {
	for _, g := range c.Access {
		if g.Type == a.Type && g.Name == a.Name && (slices.Contains(g.Actions, a.Action) || slices.Contains(g.Actions, "*")) {
			return true
		}
	}
	return false
}

func (t *tokenAuth) challenge(req *http.Request, need []access, code, msg string) error {
	realm := t.realm
	if realm == "" {
		scheme := "http"
		if req.TLS != nil {
			scheme = "https"
		}
		realm = scheme + "://" + req.Host + "/auth/token"
	}
	h := fmt.Sprintf("Bearer realm=%q,service=%q", realm, t.service)
	if len(need) > 0 {
		scopes := make([]string, len(need))
		for i, a := range need {
			scopes[i] = a.scope()
		}
		h += fmt.Sprintf(",scope=%q", strings.Join(scopes, " "))
	}
	if code != "" {
		h += fmt.Sprintf(",error=%q", code)
	}
	return &challengeError{header: h, err: fmt.Errorf("%s: %w", msg, api.ErrUnauthorized)}
}

// verify checks a token's signature and standard claims.
func (t *tokenAuth) verify(raw string) (*tokenClaims, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("malformed token")
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	if err := decodeSegment(parts[0], &hdr); err != nil {
		return nil, fmt.Errorf("malformed token header")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, fmt.Errorf("malformed token signature")
	}
	input := []byte(parts[0] + "." + parts[1])
	if !slices.ContainsFunc(t.keys, func(k crypto.PublicKey) bool { return verifySignature(hdr.Alg, k, input, sig) }) {
		return nil, fmt.Errorf("token signature not from a trusted key")
	}
	var c tokenClaims
	if err := decodeSegment(parts[1], &c); err != nil {
		return nil, fmt.Errorf("malformed token claims")
	}
	now := t.now()
	switch {
	case c.Issuer != t.issuer:
		return nil, fmt.Errorf("token issuer %q is not trusted", c.Issuer)
	case !slices.Contains(c.Audience, t.service):
		return nil, fmt.Errorf("token is not for service %q", t.service)
	case c.Expiry == 0 || now.After(time.Unix(c.Expiry, 0).Add(tokenLeeway)):
		return nil, fmt.Errorf("token expired")
	case c.NotBefore != 0 && now.Add(tokenLeeway).Before(time.Unix(c.NotBefore, 0)):
		return nil, fmt.Errorf("token not valid yet")
	}
	return &c, nil
}

func decodeSegment(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// verifySignature checks a JWS signature; algorithms and key types must
// agree ("none" and HMAC are never accepted).
func verifySignature(alg string, key crypto.PublicKey, input, sig []byte) bool {
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		h, curve := jwsHash(alg, "ES")
		if h == 0 || k.Curve != curve || len(sig)%2 != 0 {
			return false
		}
		d := h.New()
		d.Write(input)
		half := len(sig) / 2
		return ecdsa.Verify(k, d.Sum(nil), new(big.Int).SetBytes(sig[:half]), new(big.Int).SetBytes(sig[half:]))
	case *rsa.PublicKey:
		h, _ := jwsHash(alg, "RS")
		if h == 0 {
			return false
		}
		d := h.New()
		d.Write(input)
		return rsa.VerifyPKCS1v15(k, h, d.Sum(nil), sig) == nil
	case ed25519.PublicKey:
		return alg == "EdDSA" && ed25519.Verify(k, input, sig)
	}
	return false
}

// jwsHash maps ES256/RS256 and their 384/512 variants to the hash (and,
// for ECDSA, the curve) they use.
func jwsHash(alg, family string) (crypto.Hash, elliptic.Curve) {
	if !strings.HasPrefix(alg, family) {
		return 0, nil
	}
	switch alg[2:] {
	case "256":
		return crypto.SHA256, elliptic.P256()
	case "384":
		return crypto.SHA384, elliptic.P384()
	case "512":
		return crypto.SHA512, elliptic.P521()
	}
	return 0, nil
}
