package cdc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Op is what a change did to its table.
type Op string

// The operations an Event reports.
const (
	OpInsert   Op = "insert"
	OpUpdate   Op = "update"
	OpDelete   Op = "delete"
	OpTruncate Op = "truncate"
	// OpDDL: the table's shape changed (or, with an empty Table, something
	// in the schema did).
	OpDDL Op = "ddl"
)

// Kinds of source.
const (
	KindPostgres = "postgres"
	KindMySQL    = "mysql"
)

// Event is one committed change: the table (schema-qualified; Schema is
// the MySQL database name) and what was done to it, with the position and
// time of its commit.
type Event struct {
	Database string    `json:"database"`
	Schema   string    `json:"schema"`
	Table    string    `json:"table"`
	Op       Op        `json:"op"`
	Position string    `json:"position"`
	Commit   time.Time `json:"commit"`
}

// Handler receives events in commit order, from the stream's goroutine.
// The commit is acknowledged to the server once it returns, so a slow
// handler slows the stream (and a crash inside it replays the commit).
type Handler func(Event)

// Errors a stream reports (in Status.LastError and from New).
var (
	// ErrConfig: the options cannot work.
	ErrConfig = errors.New("cdc: bad configuration")
	// ErrSource: the server is not set up for change capture
	// (wal_level, binlog_format, a slot of another plugin…).
	ErrSource = errors.New("cdc: source not usable")
)

// Options configure a Stream.
type Options struct {
	// Database is the gateway's logical database name.
	Database string
	// Kind is postgres or mysql.
	Kind string
	// DSN is the primary's DSN (postgres:// URL or key=value; mysql://).
	DSN string
	// Slot and Publication name the PostgreSQL replication slot and
	// publication (default floe_<database>).
	Slot, Publication string
	// Tables limit the publication (schema.table); empty: all tables.
	// For MySQL, events of other tables are dropped.
	Tables []string
	// DDLTrigger (PostgreSQL 14+, superuser): install an event trigger
	// that reports DDL as it commits (pgddl.go).
	DDLTrigger bool
	// ServerID is the MySQL replica id the stream registers with.
	ServerID uint32
	// Heartbeat is the period of keepalives, watermark probes and state
	// saves (default 1s).
	Heartbeat time.Duration
	// StateDir holds the state file (cdc-<database>.json).
	StateDir string
	// Handler receives the events.
	Handler Handler
	// Metrics, if set, records lag and events.
	Metrics *Metrics
	// Log receives connection errors (default: discarded).
	Log *slog.Logger
	// MinBackoff and MaxBackoff bound the pause between reconnects
	// (defaults 100ms and 10s).
	MinBackoff, MaxBackoff time.Duration
}

// Status is a stream's state for operators.
type Status struct {
	Database  string    `json:"database"`
	Kind      string    `json:"kind"`
	Connected bool      `json:"connected"`
	Position  string    `json:"position,omitempty"`
	GTID      string    `json:"gtid,omitempty"`
	Slot      string    `json:"slot,omitempty"`
	Watermark time.Time `json:"watermark"`
	// LagSeconds is now minus the watermark (-1: no watermark yet).
	LagSeconds float64 `json:"lag_seconds"`
	Events     uint64  `json:"events"`
	LastError  string  `json:"last_error,omitempty"`
}

// Metrics are the change-capture metrics, shared by every stream.
type Metrics struct {
	Lag    *prometheus.GaugeVec
	Events *prometheus.CounterVec
}

// NewMetrics creates the metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		Lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "floe_cdc_lag_seconds",
			Help: "Seconds since the change-capture watermark: every change committed before it has been delivered.",
		}, []string{"database"}),
		Events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "floe_cdc_events_total", Help: "Change events delivered, by database and operation.",
		}, []string{"database", "op"}),
	}
	for _, c := range []prometheus.Collector{m.Lag, m.Events} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("cdc metrics: %w", err)
		}
	}
	return m, nil
}

// Stream follows one database's change stream.
type Stream struct {
	opts Options
	log  *slog.Logger
	// src is the kind-specific part; it runs on Run's goroutine only.
	src source

	mu struct {
		sync.Mutex
		connected bool
		position  string
		gtid      string
		watermark time.Time
		events    uint64
		lastErr   string
	}
}

// source is one connection's worth of streaming: run returns when the
// connection fails or ctx ends.
type source interface {
	run(ctx context.Context) error
}

// New checks the options and returns a stream; Run starts it.
func New(opts Options) (*Stream, error) {
	if opts.Database == "" || opts.DSN == "" || opts.Handler == nil {
		return nil, fmt.Errorf("%w: database, DSN and handler are required", ErrConfig)
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = time.Second
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 100 * time.Millisecond
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(10*time.Second, opts.MinBackoff)
	}
	if opts.Slot == "" {
		opts.Slot = DefaultName(opts.Database)
	}
	if opts.Publication == "" {
		opts.Publication = DefaultName(opts.Database)
	}
	s := &Stream{opts: opts, log: opts.Log}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	switch opts.Kind {
	case KindPostgres:
		s.src = newPG(s)
	case KindMySQL:
		if opts.ServerID == 0 {
			return nil, fmt.Errorf("%w: server_id is required for mysql", ErrConfig)
		}
		src, err := newMy(s)
		if err != nil {
			return nil, err
		}
		s.src = src
	default:
		return nil, fmt.Errorf("%w: kind %q has no change stream", ErrConfig, opts.Kind)
	}
	if st, err := ReadState(opts.StateDir, opts.Database); err == nil && st != nil {
		s.mu.position, s.mu.gtid = st.Position, st.GTID
	} else if err != nil {
		return nil, err
	}
	return s, nil
}

// DefaultName is the default slot and publication name of a database:
// floe_<name> with every character PostgreSQL does not allow in a slot
// name replaced by an underscore.
func DefaultName(database string) string {
	var b strings.Builder
	b.WriteString("floe_")
	for _, r := range strings.ToLower(database) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	s := b.String()
	if len(s) > 63 {
		s = s[:63]
	}
	return s
}

// Run streams until ctx ends, reconnecting with backoff after every
// failure. It returns ctx's error. Call it once per Stream; Watermark and
// Status may be called from any goroutine meanwhile.
func (s *Stream) Run(ctx context.Context) error {
	backoff := s.opts.MinBackoff
	for {
		start := time.Now()
		err := s.src.run(ctx)
		s.setConnected(false)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			s.setError(err)
			s.log.Warn("change stream lost", "database", s.opts.Database, "err", err)
		}
		if time.Since(start) > 10*s.opts.MaxBackoff {
			backoff = s.opts.MinBackoff
		}
		pause := backoff/2 + rand.N(backoff/2+1)
		backoff = min(2*backoff, s.opts.MaxBackoff)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
}

// Watermark is a time such that every change committed before it has been
// delivered to the handler; zero until the stream first catches up.
func (s *Stream) Watermark() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.watermark
}

// Status reports the stream's state.
func (s *Stream) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{
		Database: s.opts.Database, Kind: s.opts.Kind, Connected: s.mu.connected,
		Position: s.mu.position, GTID: s.mu.gtid, Watermark: s.mu.watermark,
		Events: s.mu.events, LastError: s.mu.lastErr, LagSeconds: -1,
	}
	if s.opts.Kind == KindPostgres {
		st.Slot = s.opts.Slot
	}
	if !st.Watermark.IsZero() {
		st.LagSeconds = time.Since(st.Watermark).Seconds()
	}
	return st
}

func (s *Stream) setConnected(on bool) {
	s.mu.Lock()
	s.mu.connected = on
	if on {
		s.mu.lastErr = ""
	}
	s.mu.Unlock()
}

func (s *Stream) setError(err error) {
	s.mu.Lock()
	s.mu.lastErr = err.Error()
	s.mu.Unlock()
}

// advance records a new watermark (it never moves back) and the lag.
func (s *Stream) advance(t time.Time) {
	s.mu.Lock()
	if t.After(s.mu.watermark) {
		s.mu.watermark = t
	}
	wm := s.mu.watermark
	s.mu.Unlock()
	s.recordLag(wm)
}

func (s *Stream) recordLag(wm time.Time) {
	if s.opts.Metrics != nil && !wm.IsZero() {
		s.opts.Metrics.Lag.WithLabelValues(s.opts.Database).Set(time.Since(wm).Seconds())
	}
}

// tick refreshes the lag metric (it grows while the watermark stands
// still).
func (s *Stream) tick() { s.recordLag(s.Watermark()) }

// deliver hands one committed transaction's events to the handler and
// records its position.
func (s *Stream) deliver(evs []Event, position, gtid string) {
	for _, ev := range evs {
		s.opts.Handler(ev)
		if s.opts.Metrics != nil {
			s.opts.Metrics.Events.WithLabelValues(s.opts.Database, string(ev.Op)).Inc()
		}
	}
	s.mu.Lock()
	s.mu.events += uint64(len(evs))
	s.mu.position = position
	if gtid != "" {
		s.mu.gtid = gtid
	}
	s.mu.Unlock()
}

// saveState writes the state file with the position delivered so far.
func (s *Stream) saveState(extra State) error {
	s.mu.Lock()
	extra.Database, extra.Kind = s.opts.Database, s.opts.Kind
	extra.Position, extra.GTID = s.mu.position, s.mu.gtid
	s.mu.Unlock()
	return WriteState(s.opts.StateDir, extra)
}

// txn collects one transaction's events, one per distinct (table, op),
// in first-seen order, so that a transaction of a million rows costs a
// few entries.
type txn struct {
	evs  []Event
	seen map[Event]bool
}

func (t *txn) add(ev Event) {
	if t.seen == nil {
		t.seen = map[Event]bool{}
	}
	if t.seen[ev] {
		return
	}
	t.seen[ev] = true
	t.evs = append(t.evs, ev)
}

// finish stamps the events with their commit and empties the txn.
func (t *txn) finish(position string, commit time.Time) []Event {
	evs := t.evs
	for i := range evs {
		evs[i].Position, evs[i].Commit = position, commit
	}
	t.evs, t.seen = nil, nil
	return evs
}

// probe is a watermark candidate: once the stream has received the
// source's stream up to target (in a message that arrived after the probe
// was taken), every change committed before at has been delivered.
type probe[P any] struct {
	at     time.Time
	target P
}
