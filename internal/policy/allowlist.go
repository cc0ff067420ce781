package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Entry is one known statement shape of a user on a database.
type Entry struct {
	User        string    `json:"user"`
	Database    string    `json:"database"`
	Fingerprint string    `json:"fingerprint"`
	Example     string    `json:"example,omitempty"` // literals masked
	FirstSeen   time.Time `json:"first_seen"`
}

type entryKey struct{ user, db, fp string }

// Allowlist holds the fingerprints learn mode records and enforce mode
// admits. It is kept in a JSON file (an array of entries) that people
// may edit; Reload reads it again. Learned entries are written by one
// goroutine, so the query path never waits for the disk.
type Allowlist struct {
	path string
	log  *slog.Logger
	now  func() time.Time

	mu struct {
		sync.Mutex
		entries map[entryKey]Entry
		dirty   bool
	}
	wmu       sync.Mutex // serialises writes of the file
	wake      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	stopped   chan struct{}
}

// OpenAllowlist reads path (a missing file is an empty list) and starts
// the writer.
func OpenAllowlist(path string, log *slog.Logger, now func() time.Time) (*Allowlist, error) {
	if now == nil {
		now = time.Now
	}
	a := &Allowlist{path: path, log: log, now: now, wake: make(chan struct{}, 1), done: make(chan struct{}), stopped: make(chan struct{})}
	if err := a.Reload(); err != nil {
		return nil, err
	}
	go a.run()
	return a, nil
}

// Path returns the file the list lives in.
func (a *Allowlist) Path() string { return a.path }

// Reload replaces the entries with the file's.
func (a *Allowlist) Reload() error {
	data, err := os.ReadFile(a.path)
	if errors.Is(err, fs.ErrNotExist) {
		data = []byte("[]")
	} else if err != nil {
		return fmt.Errorf("firewall allow-list: %w", err)
	}
	var list []Entry
	if len(strings.TrimSpace(string(data))) > 0 {
		if err := json.Unmarshal(data, &list); err != nil {
			return fmt.Errorf("firewall allow-list %s: %w", a.path, err)
		}
	}
	m := make(map[entryKey]Entry, len(list))
	for _, e := range list {
		m[entryKey{e.User, e.Database, e.Fingerprint}] = e
	}
	a.mu.Lock()
	a.mu.entries = m
	a.mu.Unlock()
	return nil
}

// Has reports whether fp is known for user on db.
func (a *Allowlist) Has(user, db, fp string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.mu.entries[entryKey{user, db, fp}]
	return ok
}

// Learn records fp for user on db; it returns true when it was new.
func (a *Allowlist) Learn(user, db, fp, example string) bool {
	k := entryKey{user, db, fp}
	a.mu.Lock()
	if _, ok := a.mu.entries[k]; ok {
		a.mu.Unlock()
		return false
	}
	a.mu.entries[k] = Entry{User: user, Database: db, Fingerprint: fp, Example: example, FirstSeen: a.now().UTC()}
	a.mu.dirty = true
	a.mu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default:
	}
	return true
}

// Forget removes fp of user on db (enforce mode refuses it again until
// it is learned anew); it reports whether it was there.
func (a *Allowlist) Forget(user, db, fp string) bool {
	k := entryKey{user, db, fp}
	a.mu.Lock()
	_, ok := a.mu.entries[k]
	if ok {
		delete(a.mu.entries, k)
		a.mu.dirty = true
	}
	a.mu.Unlock()
	if ok {
		select {
		case a.wake <- struct{}{}:
		default:
		}
	}
	return ok
}

// Entries returns the list sorted by user, database and time.
func (a *Allowlist) Entries() []Entry {
	a.mu.Lock()
	out := make([]Entry, 0, len(a.mu.entries))
	for _, e := range a.mu.entries {
		out = append(out, e)
	}
	a.mu.Unlock()
	slices.SortFunc(out, func(x, y Entry) int {
		if c := strings.Compare(x.User, y.User); c != 0 {
			return c
		}
		if c := strings.Compare(x.Database, y.Database); c != 0 {
			return c
		}
		if c := x.FirstSeen.Compare(y.FirstSeen); c != 0 {
			return c
		}
		return strings.Compare(x.Fingerprint, y.Fingerprint)
	})
	return out
}

func (a *Allowlist) run() {
	defer close(a.stopped)
	for {
		select {
		case <-a.wake:
			if err := a.Flush(); err != nil {
				a.log.Error("writing the firewall allow-list", "file", a.path, "error", err)
			}
		case <-a.done:
			return
		}
	}
}

// Flush writes the list if it changed (atomically: temp file + rename).
func (a *Allowlist) Flush() error {
	a.wmu.Lock()
	defer a.wmu.Unlock()
	a.mu.Lock()
	dirty := a.mu.dirty
	a.mu.dirty = false
	a.mu.Unlock()
	if !dirty {
		return nil
	}
	data, err := json.MarshalIndent(a.Entries(), "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(a.path), ".allowlist-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), a.path)
}

// Close stops the writer and writes what is pending.
func (a *Allowlist) Close() error {
	a.closeOnce.Do(func() { close(a.done) })
	<-a.stopped
	return a.Flush()
}
