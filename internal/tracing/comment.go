package tracing

import (
	"context"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// maxComment bounds the comment ParseComment reads: a sqlcommenter
// comment is short, and a long one is not searched.
const maxComment = 4096

// ParseComment reads the trace context of a sqlcommenter comment
// (https://google.github.io/sqlcommenter/spec/) at the end or the start
// of a statement's text: /*traceparent='00-<trace id>-<span id>-<flags>',
// tracestate='…'*/, keys and values URL-encoded, values in single quotes.
// A missing, malformed or invalid traceparent gives false; a malformed
// tracestate is dropped. Only a comment that ends the text (before
// trailing blanks and semicolons) or starts it is read, so a literal
// inside the statement is never taken for one.
func ParseComment(text string) (trace.SpanContext, bool) {
	body, ok := commentBody(text)
	if !ok || !strings.Contains(body, "traceparent") {
		return trace.SpanContext{}, false
	}
	var tp, ts string
	for len(body) > 0 {
		var key, val string
		key, val, body, ok = nextPair(body)
		if !ok {
			return trace.SpanContext{}, false
		}
		switch key {
		case "traceparent":
			tp = val
		case "tracestate":
			ts = val
		}
	}
	if tp == "" {
		return trace.SpanContext{}, false
	}
	carrier := propagation.MapCarrier{"traceparent": tp}
	if ts != "" {
		carrier["tracestate"] = ts
	}
	sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), carrier))
	return sc, sc.IsValid()
}

// commentBody is the text of the comment that ends text, or else of the
// one that starts it.
func commentBody(text string) (string, bool) {
	body, _, ok := commentAt(text)
	return body, ok
}

// commentAt finds the comment that ends text, or else the one that
// starts it: its body, and text without it.
func commentAt(text string) (body, rest string, ok bool) {
	t := strings.TrimRight(text, " \t\r\n;")
	if strings.HasSuffix(t, "*/") {
		t = t[:len(t)-2]
		if i := strings.LastIndex(t, "/*"); i >= 0 && len(t)-i-2 <= maxComment {
			return t[i+2:], strings.TrimRight(t[:i], " \t\r\n") + text[len(t)+2:], true
		}
		return "", text, false
	}
	t = strings.TrimLeft(text, " \t\r\n")
	if strings.HasPrefix(t, "/*") {
		t = t[2:]
		if i := strings.Index(t, "*/"); i >= 0 && i <= maxComment {
			return t[:i], strings.TrimLeft(t[i+2:], " \t\r\n"), true
		}
	}
	return "", text, false
}

// WithoutComment is text without the sqlcommenter comment that ends or
// starts it, when that comment carries a traceparent: the statement as
// the application wrote it, whose ids would make every text distinct.
func WithoutComment(text string) string {
	body, rest, ok := commentAt(text)
	if !ok || !strings.Contains(body, "traceparent") {
		return text
	}
	return rest
}

// nextPair reads key='value' and the comma after it from s.
func nextPair(s string) (key, val, rest string, ok bool) {
	s = strings.TrimLeft(s, " \t\r\n")
	eq := strings.IndexByte(s, '=')
	if eq <= 0 {
		return "", "", "", false
	}
	key, err := url.PathUnescape(strings.TrimSpace(s[:eq]))
	if err != nil {
		return "", "", "", false
	}
	s = strings.TrimLeft(s[eq+1:], " \t")
	if !strings.HasPrefix(s, "'") {
		return "", "", "", false
	}
	var b strings.Builder
	i := 1
	for ; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && s[i+1] == '\'' {
			b.WriteByte('\'')
			i++
			continue
		}
		if c == '\'' {
			break
		}
		b.WriteByte(c)
	}
	if i >= len(s) {
		return "", "", "", false // no closing quote
	}
	if val, err = url.PathUnescape(b.String()); err != nil {
		return "", "", "", false
	}
	rest = strings.TrimLeft(s[i+1:], " \t\r\n")
	switch {
	case rest == "":
	case rest[0] == ',':
		rest = rest[1:]
	default:
		return "", "", "", false
	}
	return key, val, rest, true
}
