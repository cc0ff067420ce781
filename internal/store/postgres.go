package store

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

const pgSchema = `CREATE SCHEMA IF NOT EXISTS floe;
CREATE TABLE IF NOT EXISTS floe.state (
	id int PRIMARY KEY CHECK (id = 1),
	version bigint NOT NULL,
	body jsonb NOT NULL,
	updated timestamptz NOT NULL DEFAULT now()
);
INSERT INTO floe.state (id, version, body) VALUES (1, 0, '{}') ON CONFLICT (id) DO NOTHING`

const pgChannel = "floe_changes"

type pgStore struct {
	dsn  string
	pool *pgxpool.Pool
	log  *slog.Logger
}

func openPostgres(ctx context.Context, dsn string, log *slog.Logger) (*pgStore, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New("store.dsn: invalid connection string")
	}
	cfg.MaxConns = 4
	p, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s := &pgStore{dsn: dsn, pool: p, log: log}
	// The schema is made when the store is reachable; an unreachable one
	// is retried by Load and Watch.
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_ = s.ensure(sctx)
	return s, nil
}

func (s *pgStore) ensure(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, pgSchema)
	return err
}

func (s *pgStore) Load(ctx context.Context) (Document, error) {
	var d Document
	var body []byte
	err := s.pool.QueryRow(ctx, "SELECT version, body FROM floe.state WHERE id = 1").Scan(&d.Version, &body)
	if err != nil {
		if err2 := s.ensure(ctx); err2 == nil {
			err = s.pool.QueryRow(ctx, "SELECT version, body FROM floe.state WHERE id = 1").Scan(&d.Version, &body)
		}
		if err != nil {
			return Document{}, err
		}
	}
	v := d.Version
	if err := json.Unmarshal(body, &d); err != nil {
		return Document{}, err
	}
	d.Version = v
	return d, nil
}

func (s *pgStore) Update(ctx context.Context, change func(*Document) error) (Document, error) {
	var out Document
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var body []byte
		if err := tx.QueryRow(ctx, "SELECT version, body FROM floe.state WHERE id = 1 FOR UPDATE").Scan(&out.Version, &body); err != nil {
			return err
		}
		v := out.Version
		if err := json.Unmarshal(body, &out); err != nil {
			return err
		}
		if err := apply(&out, change); err != nil {
			return err
		}
		out.Version = v + 1
		nb, err := json.Marshal(out)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE floe.state SET version = $1, body = $2, updated = now() WHERE id = 1", out.Version, nb); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "SELECT pg_notify($1, $2)", pgChannel, strconv.FormatUint(out.Version, 10))
		return err
	})
	return out, err
}

func (s *pgStore) Watch(ctx context.Context, onChange func(), onState func(bool, error)) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := s.listen(ctx, onChange, onState)
		if ctx.Err() != nil {
			return
		}
		onState(false, err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// listen holds one connection in LISTEN until it fails.
func (s *pgStore) listen(ctx context.Context, onChange func(), onState func(bool, error)) error {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	conn, err := pgx.Connect(cctx, s.dsn)
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgChannel); err != nil {
		return err
	}
	onState(true, nil)
	onChange() // a change may have come while nobody listened
	for {
		// Wake up now and then to prove the connection is alive.
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			onChange()
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			if _, err := conn.Exec(ctx, "SELECT 1"); err != nil {
				return err
			}
		default:
			return err
		}
	}
}

func (s *pgStore) Close() { s.pool.Close() }
