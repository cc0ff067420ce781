package cdc

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// State is what the state file keeps of a stream: the last delivered
// position (both kinds; MySQL resumes from it, PostgreSQL resumes from
// its slot and keeps it for status) and what Floe created on PostgreSQL.
type State struct {
	Database string `json:"database"`
	Kind     string `json:"kind"`
	// Position: PostgreSQL commit LSN, MySQL file:pos after the commit.
	Position string `json:"position,omitempty"`
	// GTID is the MySQL/MariaDB GTID set up to the last delivered commit.
	GTID    string    `json:"gtid,omitempty"`
	Slot    string    `json:"slot,omitempty"`
	Updated time.Time `json:"updated"`
}

// maxStateSize bounds the state file read back (a GTID set of many
// domains stays far below it).
const maxStateSize = 1 << 20

// StatePath is the state file of a database under dir.
func StatePath(dir, database string) string {
	return filepath.Join(dir, "cdc-"+DefaultName(database)[len("floe_"):]+".json")
}

// ReadState reads the state file; (nil, nil) when there is none.
func ReadState(dir, database string) (*State, error) {
	if dir == "" {
		return nil, nil
	}
	data, err := os.ReadFile(StatePath(dir, database))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cdc state: %w", err)
	}
	st, err := DecodeState(data)
	if err != nil {
		return nil, fmt.Errorf("cdc state %s: %w", StatePath(dir, database), err)
	}
	return st, nil
}

// DecodeState parses a state file's content.
func DecodeState(data []byte) (*State, error) {
	if len(data) > maxStateSize {
		return nil, fmt.Errorf("%w: state file larger than %d bytes", ErrConfig, maxStateSize)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	switch st.Kind {
	case KindPostgres, KindMySQL:
	default:
		return nil, fmt.Errorf("%w: state of kind %q", ErrConfig, st.Kind)
	}
	if st.Kind == KindMySQL && st.Position != "" {
		if _, _, err := parseFilePos(st.Position); err != nil {
			return nil, err
		}
	}
	return &st, nil
}

// WriteState replaces the state file atomically: a temporary file in the
// same directory, synced, renamed over the old one, and the directory
// synced. With dir "" it does nothing.
func WriteState(dir string, st State) error {
	if dir == "" {
		return nil
	}
	st.Updated = time.Now().UTC()
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cdc state: %w", err)
	}
	f, err := os.CreateTemp(dir, ".cdc-state-*")
	if err != nil {
		return fmt.Errorf("cdc state: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("cdc state: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("cdc state: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cdc state: %w", err)
	}
	if err := os.Rename(tmp, StatePath(dir, st.Database)); err != nil {
		return fmt.Errorf("cdc state: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// RemoveState deletes the state file; a missing one is no error.
func RemoveState(dir, database string) error {
	err := os.Remove(StatePath(dir, database))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
