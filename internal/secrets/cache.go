package secrets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/floe-db/floe/internal/config"
)

// Provider reads secrets from one secret manager.
type Provider interface {
	// Read returns the whole value of the secret ref names, at the
	// version it pins (the latest when it pins none), and the id of the
	// version read. Errors give the reason, never a value.
	Read(ctx context.Context, ref config.SecretRef) (Value, error)
}

// Value is a secret as a provider returned it.
type Value struct {
	Data string
	// Version is the provider's id of the version read.
	Version string
}

// Errors a provider's reasons wrap.
var (
	ErrNotFound = errors.New("not found")
	ErrDenied   = errors.New("access denied")
)

// OpenFunc makes the provider of one reference kind from the file's
// secrets: settings; client is the HTTP client to use (nil: the
// default).
type OpenFunc func(ctx context.Context, s config.Secrets, client *http.Client) (Provider, error)

// Openers are the real providers, by reference kind.
func Openers() map[string]OpenFunc {
	return map[string]OpenFunc{
		config.KindAWS:       openAWS,
		config.KindGCP:       openGCP,
		config.KindAzure:     openAzure,
		config.KindInfisical: openInfisical,
	}
}

// CacheOptions configure a Cache.
type CacheOptions struct {
	// Open makes the providers (nil: Openers()).
	Open map[string]OpenFunc
	// HTTPClient is what the providers talk through (nil: their
	// default; secrets.azure.ca_file makes its own).
	HTTPClient *http.Client
	// Timeout bounds one read, its sign-in included (default 15s).
	Timeout time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Cache holds what the cloud secret managers returned, for a gateway's
// life. Each load of the configuration opens a reader (Opener): it reads
// every unpinned secret again, once per load however many references
// name it, and takes a pinned version from the cache when an earlier
// load read it with the same settings. It records, per reference, the
// version in use, when it was read and the last error (List), and the
// reads as events to audit (Drain). Values are never in what it shows.
type Cache struct {
	opts CacheOptions
	mu   sync.Mutex
	gen  uint64
	// pinned holds the values of pinned versions, by pinKey.
	pinned map[string]pinnedValue
	refs   map[string]*refState
	// known are the secrets read, with the load that last read them.
	known  map[string]uint64
	events []Event
	// dropped counts events dropped when too many were pending.
	dropped int
}

type pinnedValue struct {
	v    Value
	at   time.Time
	used uint64
}

type refState struct {
	info RefInfo
	used uint64
}

// RefInfo is a reference in use, as GET /api/v1/secrets shows it: never
// its value.
type RefInfo struct {
	Reference string `json:"reference"`
	Provider  string `json:"provider"`
	Name      string `json:"name"`
	Key       string `json:"key,omitempty"`
	// Pinned: the reference names a version, which is not read again
	// (an AWS stage moves: it is read again like the latest).
	Pinned bool `json:"pinned"`
	// Version is the version in use: the pinned one, or the id of the
	// latest read.
	Version   string     `json:"version,omitempty"`
	LastRead  *time.Time `json:"last_read,omitempty"`
	LastError string     `json:"last_error,omitempty"`
	ErrorAt   *time.Time `json:"last_error_at,omitempty"`
}

// Event is a read of a secret manager, to audit: no value.
type Event struct {
	// Action is read (first read of the secret), refresh (read again) or
	// failure.
	Action   string
	Provider string
	Name     string
	Version  string
	Error    string
}

// Fields is e as audit record fields.
func (e Event) Fields() map[string]any {
	f := map[string]any{"action": e.Action, "provider": e.Provider, "secret": e.Name}
	if e.Version != "" {
		f["version"] = e.Version
	}
	if e.Error != "" {
		f["error"] = e.Error
	}
	return f
}

const maxPendingEvents = 1000

// NewCache returns an empty cache.
func NewCache(opts CacheOptions) *Cache {
	if opts.Open == nil {
		opts.Open = Openers()
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 15 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Cache{opts: opts, pinned: map[string]pinnedValue{}, refs: map[string]*refState{}, known: map[string]uint64{}}
}

// Opener is the config.CloudOpener of this cache: each call starts a
// new load.
func (c *Cache) Opener() config.CloudOpener {
	return func(s config.Secrets) (config.CloudReader, error) {
		c.mu.Lock()
		c.gen++
		gen := c.gen
		c.mu.Unlock()
		return c.reader(s, gen), nil
	}
}

// Reader reads references outside a load of the file (the shared
// store's database addresses), as part of the latest load.
func (c *Cache) Reader(s config.Secrets) config.CloudReader {
	c.mu.Lock()
	gen := c.gen
	c.mu.Unlock()
	return c.reader(s, gen)
}

func (c *Cache) reader(s config.Secrets, gen uint64) config.CloudReader {
	l := &load{c: c, s: s, gen: gen, providers: map[string]Provider{}, openErrs: map[string]error{}, read: map[string]readResult{}}
	return l.value
}

// Sweep forgets the references and pinned values the latest load did
// not use: call it once a load is in force.
func (c *Cache) Sweep() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, r := range c.refs {
		if r.used < c.gen {
			delete(c.refs, k)
		}
	}
	for k, p := range c.pinned {
		if p.used < c.gen {
			delete(c.pinned, k)
		}
	}
	for k, g := range c.known {
		if g < c.gen {
			delete(c.known, k)
		}
	}
}

// List returns the references in use, sorted.
func (c *Cache) List() []RefInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]RefInfo, 0, len(c.refs))
	for _, r := range c.refs {
		out = append(out, r.info)
	}
	slices.SortFunc(out, func(a, b RefInfo) int { return strings.Compare(a.Reference, b.Reference) })
	return out
}

// Drain returns the events since the last Drain and how many were
// dropped meanwhile.
func (c *Cache) Drain() ([]Event, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ev, d := c.events, c.dropped
	c.events, c.dropped = nil, 0
	return ev, d
}

func (c *Cache) event(e Event) {
	if len(c.events) >= maxPendingEvents {
		c.dropped++
		return
	}
	c.events = append(c.events, e)
}

// load reads the references of one load of the file.
type load struct {
	c   *Cache
	s   config.Secrets
	gen uint64
	mu  sync.Mutex
	// providers are opened on first need.
	providers map[string]Provider
	openErrs  map[string]error
	// read holds what this load read, by secret (name and version).
	read map[string]readResult
}

type readResult struct {
	v   Value
	at  time.Time
	err error
}

// value is the config.CloudReader of the load.
func (l *load) value(ref config.SecretRef) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.secret(ref)
	out, err := r.v.Data, r.err
	if err == nil {
		out, err = field(r.v.Data, ref.Key)
	}
	l.c.mu.Lock()
	defer l.c.mu.Unlock()
	k := ref.String()
	st := l.c.refs[k]
	if st == nil {
		st = &refState{info: RefInfo{Reference: k, Provider: ref.Kind, Name: ref.Name, Key: ref.Key, Pinned: ref.Pinned()}}
		l.c.refs[k] = st
	}
	if l.gen > st.used {
		st.used = l.gen
	}
	if err != nil {
		at := l.c.opts.Now()
		st.info.LastError, st.info.ErrorAt = err.Error(), &at
		return "", err
	}
	at := r.at
	st.info.Version, st.info.LastRead, st.info.LastError, st.info.ErrorAt = r.v.Version, &at, "", nil
	return out, nil
}

// secret reads the secret ref names, once per load; a pinned version
// comes from the cache when an earlier load read it with the same
// settings.
func (l *load) secret(ref config.SecretRef) readResult {
	id := ref
	id.Key = ""
	sk := id.String()
	if r, ok := l.read[sk]; ok {
		return r
	}
	pk := ""
	if ref.Pinned() {
		pk = sk + "\x00" + settingsHash(ref.Kind, l.s)
		l.c.mu.Lock()
		p, ok := l.c.pinned[pk]
		if ok {
			p.used = l.gen
			l.c.pinned[pk] = p
			l.c.known[sk] = l.gen
		}
		l.c.mu.Unlock()
		if ok {
			r := readResult{v: p.v, at: p.at}
			l.read[sk] = r
			return r
		}
	}
	p, err := l.provider(ref.Kind)
	var r readResult
	if err != nil {
		r.err = err
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), l.c.opts.Timeout)
		r.v, r.err = p.Read(ctx, ref)
		cancel()
		r.at = l.c.opts.Now()
	}
	l.read[sk] = r
	l.c.mu.Lock()
	defer l.c.mu.Unlock()
	e := Event{Action: "read", Provider: ref.Kind, Name: ref.Name, Version: r.v.Version}
	if _, ok := l.c.known[sk]; ok {
		e.Action = "refresh"
	}
	if r.err != nil {
		e.Action, e.Error, e.Version = "failure", r.err.Error(), ref.Version
	} else {
		l.c.known[sk] = l.gen
		if pk != "" {
			l.c.pinned[pk] = pinnedValue{v: r.v, at: r.at, used: l.gen}
		}
	}
	l.c.event(e)
	return r
}

// provider opens the provider of kind on first need.
func (l *load) provider(kind string) (Provider, error) {
	if p, ok := l.providers[kind]; ok {
		return p, nil
	}
	if err, ok := l.openErrs[kind]; ok {
		return nil, err
	}
	open := l.c.opts.Open[kind]
	if open == nil {
		return nil, fmt.Errorf("no %s provider", kind)
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.c.opts.Timeout)
	defer cancel()
	p, err := open(ctx, l.s, l.c.opts.HTTPClient)
	if err != nil {
		l.openErrs[kind] = err
		return nil, err
	}
	l.providers[kind] = p
	return p, nil
}

// settingsHash identifies the settings of kind's provider, so that a
// pinned value read with other settings (another account or vault) is
// not taken for this one.
func settingsHash(kind string, s config.Secrets) string {
	var v any
	switch kind {
	case config.KindAWS:
		v = s.AWS
	case config.KindGCP:
		v = s.GCP
	case config.KindAzure:
		v = s.Azure
	case config.KindInfisical:
		v = s.Infisical
	}
	b, _ := json.Marshal(v)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// field is the field key of the JSON object in data (key "": data).
// Errors never quote data.
func field(data, key string) (string, error) {
	if key == "" {
		return data, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(data), &obj); err != nil {
		return "", fmt.Errorf("#%s: the secret's value is not a JSON object", key)
	}
	raw, ok := obj[key]
	if !ok {
		return "", fmt.Errorf("the secret has no key %q", key)
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String(), nil
	}
	return "", fmt.Errorf("key %q is not a string or a number", key)
}
