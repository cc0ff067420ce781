package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/floe-db/floe/internal/config"
)

// Document is what the store holds.
type Document struct {
	Version uint64 `json:"version"`
	config.Overlay
}

// Store is a shared store.
type Store interface {
	// Load reads the document (an empty one when nothing was stored yet).
	Load(ctx context.Context) (Document, error)
	// Update applies change to the current document atomically, stores
	// it with the next version and announces the change.
	Update(ctx context.Context, change func(*Document) error) (Document, error)
	// Watch calls onChange after each announced change and after each
	// reconnection, and onState with the store's reachability, until ctx
	// ends.
	Watch(ctx context.Context, onChange func(), onState func(up bool, err error))
	Close()
}

// ErrConflict is returned by a change that cannot apply (the name it
// edits belongs to the configuration file, say).
var ErrConflict = errors.New("conflict")

// Open connects to the store cfg names.
func Open(ctx context.Context, cfg config.Store, log *slog.Logger) (Store, error) {
	switch cfg.Kind {
	case "postgres":
		return openPostgres(ctx, cfg.DSN, log)
	case "redis":
		return openRedis(cfg, log), nil
	}
	return nil, fmt.Errorf("store kind %q", cfg.Kind)
}

// apply makes change to d and checks the result: both stores' Update
// call it inside their transaction.
func apply(d *Document, change func(*Document) error) error {
	if err := change(d); err != nil {
		return err
	}
	return validate(d)
}

// validate refuses a document with secrets in it.
func validate(d *Document) error {
	for _, u := range d.Users {
		if u.Password != "" {
			return fmt.Errorf("user %q: the store keeps SCRAM verifiers only, never passwords", u.Name)
		}
	}
	return nil
}
