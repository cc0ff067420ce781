package activity

import "log/slog"

// Log logs with a session's attributes (client, user, database), kept as
// values and added at each call: slog's With formats them ahead into a
// handler of its own, some 500 bytes an idle session would hold for the
// few lines it logs. It is used by the session's goroutine only.
type Log struct {
	l     *slog.Logger
	attrs []any
}

// NewLog logs to l with the key-value pairs kv.
func NewLog(l *slog.Logger, kv ...any) *Log { return &Log{l: l, attrs: kv} }

// With adds key-value pairs to every later line.
func (g *Log) With(kv ...any) { g.attrs = append(g.attrs, kv...) }

func (g *Log) args(kv []any) []any {
	return append(g.attrs[:len(g.attrs):len(g.attrs)], kv...)
}

// Debug, Info and Error log msg with the session's attributes and kv.
func (g *Log) Debug(msg string, kv ...any) { g.l.Debug(msg, g.args(kv)...) }
func (g *Log) Info(msg string, kv ...any)  { g.l.Info(msg, g.args(kv)...) }
func (g *Log) Error(msg string, kv ...any) { g.l.Error(msg, g.args(kv)...) }
