package pgrelay

import (
	"context"
	"errors"
	"maps"
	"strings"

	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/wire/pgwire"
)

// trackedParams are the startup parameters replayed on every backend
// connection a client is given, with the server's default when the client
// did not ask.
var trackedParams = []string{"application_name", "client_encoding", "datestyle", "intervalstyle", "timezone", "standard_conforming_strings"}

// startup learns the server's parameters (attaching once), applies the
// client's startup parameters and sends the end of startup.
func (s *session) startup(ctx context.Context) error {
	want := map[string]string{}
	for k, v := range s.c.Params {
		l := strings.ToLower(k)
		switch l {
		case "options":
			opts, err := parseOptions(v)
			if err != nil {
				return pgwire.Fatalf(pgwire.CodeProtocolViolation, "%v", err)
			}
			for ok, ov := range opts {
				want[strings.ToLower(ok)] = ov
			}
		case "replication":
		default:
			want[l] = v
		}
	}
	if s.gate.Enabled() {
		// One reading: the parameters that change how the server reads
		// text, or that only a superuser may set, are refused here.
		if den := policy.CheckStartupParams(want); den != nil {
			s.gate.Refused(den)
			return pgwire.Fatalf(den.Code, "%s", den.Message)
		}
	}
	defaults := s.r.serverParams()
	if defaults != nil && s.att.pinned == "" && echoable(want) {
		// Nothing the server must normalise: answer from the parameters
		// already known and attach at the first statement, so a client can
		// connect while every backend connection is busy.
		params := make(map[string]string, len(defaults)+len(want))
		for k, v := range defaults {
			params[k] = v
		}
		if _, ok := want["client_encoding"]; ok {
			want["client_encoding"] = "UTF8"
		}
		for k, v := range want {
			params[k] = v
		}
		s.want, s.wantKey = s.withDefaults(want, defaults), ""
		if s.pinLexing() {
			params["standard_conforming_strings"] = "on"
		}
		s.startWant = maps.Clone(s.want)
		return s.c.Ready(params)
	}
	if err := s.attach(ctx); err != nil {
		return err
	}
	b := s.att.be.Value
	defaults = s.r.serverParams()
	want = s.withDefaults(want, defaults)
	s.want, s.wantKey = want, ""
	s.pinLexing()
	if err := s.syncParams(); err != nil {
		return pgwire.Fatalf(pgwire.CodeInvalidAuthSpec, "invalid startup parameter: %v", errMessage(err))
	}
	s.startWant = maps.Clone(s.want)
	params := make(map[string]string, len(b.reported))
	for l, v := range b.reported {
		params[b.names[l]] = v
	}
	s.maybeRelease()
	return s.c.Ready(params)
}

// pinLexing makes the session read string literals as the policy's
// parser does, whatever the server's default: standard_conforming_strings
// on. It reports whether it changed what the session wants.
func (s *session) pinLexing() bool {
	if !s.gate.Enabled() || s.want["standard_conforming_strings"] == "on" {
		return false
	}
	s.want["standard_conforming_strings"] = "on"
	s.wantKey = ""
	return true
}

// echoable reports whether the startup parameters can be reported back
// without asking the server to normalise them.
func echoable(want map[string]string) bool {
	for k, v := range want {
		switch k {
		case "application_name":
		case "client_encoding":
			switch strings.ToUpper(v) {
			case "UTF8", "UTF-8", "UNICODE":
			default:
				return false
			}
		default:
			return false
		}
	}
	return true
}

// withDefaults adds the server's defaults for tracked parameters the
// client did not set, so a session never inherits another client's.
func (s *session) withDefaults(want, defaults map[string]string) map[string]string {
	for _, p := range trackedParams {
		if _, ok := want[p]; ok {
			continue
		}
		for k, v := range defaults {
			if strings.ToLower(k) == p {
				want[p] = v
			}
		}
	}
	return want
}

// syncParams replays the client's parameters on the attached connection
// and adopts the server's spelling of the values it reports.
//
// A connection remembers the parameters it was last brought in line
// with (as paramsKey writes them) and whether its state changed since
// (backendConn.gen): a session that wants the same ones — the common
// case, sessions of one application start alike — finds it so without
// comparing parameter by parameter.
func (s *session) syncParams() error {
	b := s.att.be.Value
	key := s.paramsKey()
	if b.synced.key == key && b.synced.gen == b.gen {
		return nil
	}
	if err := b.syncParams(s.want); err != nil {
		return err
	}
	for name := range s.want {
		if v, ok := b.reported[name]; ok && s.want[name] != v {
			s.want[name] = v
			s.wantKey = ""
		}
	}
	b.synced.key, b.synced.gen = s.paramsKey(), b.gen
	return nil
}

// paramsKey writes the session's parameters out in name order, once per
// change of them.
func (s *session) paramsKey() string {
	if s.wantKey != "" {
		return s.wantKey
	}
	var sb strings.Builder
	sb.WriteString("params")
	writeParams(&sb, s.want, "")
	s.wantKey = sb.String()
	return s.wantKey
}

func errMessage(err error) string {
	if pe, ok := errors.AsType[*pgwire.Error](err); ok {
		return pe.Message
	}
	if pe := asPgError(err); pe != nil {
		return pe.Message
	}
	return "backend error"
}

// parseOptions reads "-c name=value" and "--name=value" pairs.
func parseOptions(s string) (map[string]string, error) {
	out := map[string]string{}
	fields := strings.Fields(s)
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		var kv string
		switch {
		case f == "-c" && i+1 < len(fields):
			i++
			kv = fields[i]
		case strings.HasPrefix(f, "-c"):
			kv = f[2:]
		case strings.HasPrefix(f, "--"):
			kv = f[2:]
		default:
			return nil, errors.New("unsupported startup option " + f + " (only -c name=value)")
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, errors.New("startup option " + kv + " has no value")
		}
		out[strings.ReplaceAll(k, "-", "_")] = v
	}
	return out, nil
}
