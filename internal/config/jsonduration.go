package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Durations in JSON (the admin API, the shared store's documents) are
// strings such as "5s" or "250ms", as in the YAML file. A number is
// read as nanoseconds, the form documents written by earlier versions
// hold.

// durationJSON is the JSON form of d ("" for zero, omitted).
func durationJSON(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

// parseDurationJSON reads a JSON string ("5s") or number (nanoseconds).
func parseDurationJSON(raw json.RawMessage) (time.Duration, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, err
		}
		if s == "" {
			return 0, nil
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration (want e.g. \"5s\" or \"250ms\")", s)
		}
		return d, nil
	}
	var n int64
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, fmt.Errorf("want a duration such as \"5s\"")
	}
	return time.Duration(n), nil
}

// MarshalJSON writes statement_timeout as a duration string.
func (l Limit) MarshalJSON() ([]byte, error) {
	type plain Limit
	return json.Marshal(struct {
		plain
		StatementTimeout string `json:"statement_timeout,omitempty"`
	}{plain(l), durationJSON(l.StatementTimeout)})
}

// UnmarshalJSON reads statement_timeout as a duration string ("5s") or
// a number of nanoseconds; an unknown key is an error.
func (l *Limit) UnmarshalJSON(b []byte) error {
	type plain Limit
	x := struct {
		*plain
		StatementTimeout json.RawMessage `json:"statement_timeout,omitempty"`
	}{plain: (*plain)(l)}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&x); err != nil {
		return err
	}
	d, err := parseDurationJSON(x.StatementTimeout)
	if err != nil {
		return fmt.Errorf("statement_timeout: %w", err)
	}
	l.StatementTimeout = d
	return nil
}
