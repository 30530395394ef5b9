package remote

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/berthproject/berth/errdefs"
)

// Credentials authenticate to one registry: a username and password, an
// identity token (an OAuth2 refresh token from an earlier login), or a
// registry token sent as is. The zero value is anonymous.
type Credentials struct {
	Username, Password string
	IdentityToken      string
	RegistryToken      string
}

// clientID is the client_id Docker sends to token servers.
const clientID = "docker"

// authorizer answers a registry's challenge for one endpoint: basic
// credentials, or bearer tokens cached by scope set.
type authorizer struct {
	client    *http.Client
	userAgent string
	creds     Credentials

	mu     sync.Mutex
	ch     challenge // scheme "" when the registry asked for nothing
	tokens map[string]bearer
}

type bearer struct {
	token   string
	expires time.Time
}

func newAuthorizer(client *http.Client, userAgent string, creds Credentials, ch challenge) *authorizer {
	return &authorizer{client: client, userAgent: userAgent, creds: creds, ch: ch, tokens: map[string]bearer{}}
}

// authorize sets req's Authorization header for scopes.
func (a *authorizer) authorize(ctx context.Context, req *http.Request, scopes []string) error {
	if a.creds.RegistryToken != "" {
		req.Header.Set("Authorization", "Bearer "+a.creds.RegistryToken)
		return nil
	}
	a.mu.Lock()
	ch := a.ch
	a.mu.Unlock()
	switch ch.scheme {
	case "basic":
		if a.creds.Username == "" && a.creds.Password == "" {
			return errdefs.Errorf(errdefs.ErrUnauthorized, "%s %q: no basic auth credentials", opName(req.Method), req.URL.Redacted())
		}
		req.SetBasicAuth(a.creds.Username, a.creds.Password)
	case "bearer":
		tok, err := a.token(ctx, scopes)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return nil
}

// retryAfter401 looks at a 401 answer: when it carries a challenge the
// request may be retried with it (the cached token for scopes is dropped);
// it reports whether to retry.
func (a *authorizer) retryAfter401(resp *http.Response, scopes []string) bool {
	ch, ok := pick(parseChallenges(resp.Header))
	if !ok || a.creds.RegistryToken != "" {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if ch.scheme == "basic" {
		// Credentials were sent (or refused) already: nothing better to try.
		retry := a.ch.scheme != "basic"
		a.ch = ch
		return retry
	}
	retry := a.ch.scheme != "bearer"
	a.ch = ch
	key := scopeKey(scopes)
	if _, had := a.tokens[key]; had {
		delete(a.tokens, key)
		retry = true
	}
	return retry
}

func scopeKey(scopes []string) string {
	s := append([]string(nil), scopes...)
	sort.Strings(s)
	return strings.Join(s, " ")
}

// token returns a bearer token for scopes, from the cache or the token
// server.
func (a *authorizer) token(ctx context.Context, scopes []string) (string, error) {
	key := scopeKey(scopes)
	a.mu.Lock()
	if b, ok := a.tokens[key]; ok && time.Now().Before(b.expires) {
		a.mu.Unlock()
		return b.token, nil
	}
	ch := a.ch
	a.mu.Unlock()
	tr, err := a.fetchToken(ctx, ch, scopes, false)
	if err != nil {
		return "", err
	}
	a.mu.Lock()
	a.tokens[key] = bearer{token: tr.token(), expires: tr.expiry()}
	a.mu.Unlock()
	return tr.token(), nil
}

// tokenResponse is a token server's answer.
type tokenResponse struct {
	Token        string    `json:"token"`
	AccessToken  string    `json:"access_token"`
	ExpiresIn    int       `json:"expires_in"`
	IssuedAt     time.Time `json:"issued_at"`
	RefreshToken string    `json:"refresh_token"`
}

func (t tokenResponse) token() string {
	if t.Token != "" {
		return t.Token
	}
	return t.AccessToken
}

// expiry is when to stop using the token: a little before it expires
// (tokens without a lifetime last 60 seconds, as the spec says).
func (t tokenResponse) expiry() time.Time {
	life := time.Duration(t.ExpiresIn) * time.Second
	if life < time.Minute {
		life = time.Minute
	}
	issued := t.IssuedAt
	if issued.IsZero() || issued.After(time.Now()) {
		issued = time.Now()
	}
	return issued.Add(life * 9 / 10)
}

// fetchToken asks the challenge's realm for a token: with the identity
// token as an OAuth2 refresh grant (POST), otherwise a GET with basic
// credentials when there are any. offline asks for a refresh token
// (docker login).
func (a *authorizer) fetchToken(ctx context.Context, ch challenge, scopes []string, offline bool) (tokenResponse, error) {
	realm, err := url.Parse(ch.params["realm"])
	if err != nil || realm.Scheme == "" || realm.Host == "" {
		return tokenResponse{}, fmt.Errorf("invalid token realm %q: %w", ch.params["realm"], errdefs.ErrInvalidArgument)
	}
	req, err := a.tokenRequest(ctx, realm, ch.params["service"], scopes, offline)
	if err != nil {
		return tokenResponse{}, err
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return tokenResponse{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e := responseError(resp)
		if e.Code == "" && e.Message == "" {
			e.Message = fmt.Sprintf("token auth attempt for registry: %s request failed with status: %d %s",
				realm.Redacted(), resp.StatusCode, http.StatusText(resp.StatusCode))
		}
		return tokenResponse{}, e
	}
	var tr tokenResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tr); err != nil {
		return tokenResponse{}, fmt.Errorf("token from %s: %v: %w", realm.Redacted(), err, errdefs.ErrUnavailable)
	}
	if tr.token() == "" {
		return tokenResponse{}, fmt.Errorf("token from %s: no token in the answer: %w", realm.Redacted(), errdefs.ErrUnauthorized)
	}
	return tr, nil
}

func (a *authorizer) tokenRequest(ctx context.Context, realm *url.URL, service string, scopes []string, offline bool) (*http.Request, error) {
	if a.creds.IdentityToken != "" {
		return a.refreshRequest(ctx, realm, service, scopes)
	}
	q := realm.Query()
	if service != "" {
		q.Set("service", service)
	}
	for _, s := range scopes {
		q.Add("scope", s)
	}
	if offline {
		q.Set("offline_token", "true")
		q.Set("client_id", clientID)
	}
	u := *realm
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", a.userAgent)
	if a.creds.Username != "" || a.creds.Password != "" {
		req.SetBasicAuth(a.creds.Username, a.creds.Password)
	}
	return req, nil
}

// refreshRequest is the OAuth2 refresh grant for an identity token.
func (a *authorizer) refreshRequest(ctx context.Context, realm *url.URL, service string, scopes []string) (*http.Request, error) {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {a.creds.IdentityToken},
		"client_id": {clientID}, "access_type": {"offline"}}
	if service != "" {
		form.Set("service", service)
	}
	if len(scopes) > 0 {
		form.Set("scope", strings.Join(scopes, " "))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, realm.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", a.userAgent)
	return req, nil
}
