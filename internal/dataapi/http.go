package dataapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/floe-db/floe/arrowsql"
	"github.com/floe-db/floe/internal/tracing"
)

// maxRequestBody bounds a query request.
const maxRequestBody = 1 << 20

// Trailers sent after every streamed result: Floe-Status is ok or error,
// Floe-Rows the rows written, Floe-Error the error (as the JSON of an
// error body) when the result was cut short.
const (
	TrailerStatus = "Floe-Status"
	TrailerRows   = "Floe-Rows"
	TrailerError  = "Floe-Error"
)

// QueryRequest is the body of POST /v1/query.
type QueryRequest struct {
	Database string `json:"database"`
	SQL      string `json:"sql"`
	// Params are bound to $1, $2, … (PostgreSQL, SQLite) or ? (MySQL).
	// Numbers keep their exact text.
	Params []any `json:"params"`
}

// Handler returns the HTTP data API.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/query", s.serveQuery)
	mux.HandleFunc("GET /v1/databases", s.serveDatabases)
	mux.HandleFunc("GET /v1/advice", s.serveAdvice)
	mux.HandleFunc("POST /v1/token", s.serveToken)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &Error{Status: 404, Code: CodeNotFound, Message: "no such endpoint: " + r.Method + " " + r.URL.Path})
	})
	return mux
}

func remoteAddr(r *http.Request) net.Addr {
	a, err := net.ResolveTCPAddr("tcp", r.RemoteAddr)
	if err != nil {
		return nil
	}
	return a
}

// authenticate reads Basic or Bearer credentials; a request without
// them is identified by its client certificate, when the TLS handshake
// verified one.
func (s *Service) authenticate(r *http.Request) (Caller, *Error) {
	c := Caller{Client: remoteAddr(r), Protocol: "http"}
	cert, refused := s.PeerCertificate("http", r.TLS, c.Client)
	if refused != nil {
		return c, refused
	}
	h := r.Header.Get("Authorization")
	scheme, cred, _ := strings.Cut(h, " ")
	var err error
	switch strings.ToLower(scheme) {
	case "basic":
		user, pw, ok := r.BasicAuth()
		if !ok {
			return c, &Error{Status: 401, Code: CodeUnauthorized, Message: "malformed Basic credentials"}
		}
		c.User, err = s.Login("http", user, pw, cert, c.Client)
	case "bearer":
		c.User, err = s.Token(r.Context(), "http", strings.TrimSpace(cred), cert, c.Client)
	case "":
		if cert != nil {
			c.User, err = s.CertificateLogin("http", cert, c.Client)
			break
		}
		fallthrough
	default:
		return c, &Error{Status: 401, Code: CodeUnauthorized, Message: "authentication required: HTTP Basic with a gateway user, a bearer token (from POST /v1/token, or an OpenID Connect token when oidc is configured), or a client certificate of a user with auth: certificate"}
	}
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return c, e
		}
		return c, &Error{Status: 401, Code: CodeUnauthorized, Message: err.Error()}
	}
	return c, nil
}

func writeError(w http.ResponseWriter, e *Error) {
	if e.Status == 401 {
		w.Header().Set("WWW-Authenticate", `Basic realm="floe", charset="UTF-8"`)
	}
	status := e.Status
	if status == 499 {
		status = 400 // the client went away; nothing reads this
	}
	writeJSON(w, status, map[string]*Error{"error": e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func (s *Service) serveToken(w http.ResponseWriter, r *http.Request) {
	if e := s.mayMintToken(r); e != nil {
		writeError(w, e)
		return
	}
	c, e := s.authenticate(r)
	if e != nil {
		writeError(w, e)
		return
	}
	tok, exp := s.IssueToken(c.User)
	writeJSON(w, 200, map[string]any{"token": tok, "token_type": "Bearer", "expires_at": exp.UTC().Format(time.RFC3339)})
}

func (s *Service) serveDatabases(w http.ResponseWriter, r *http.Request) {
	c, e := s.authenticate(r)
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, 200, map[string]any{"databases": s.Databases(c)})
}

// chooseFormat reads ?format= or else Accept (first acceptable type).
func chooseFormat(r *http.Request) (Format, *Error) {
	if q := r.URL.Query().Get("format"); q != "" {
		f, ok := ParseFormat(q)
		if !ok {
			return "", &Error{Status: 400, Code: CodeBadRequest, Message: fmt.Sprintf("unknown format %q (json, ndjson, csv, arrow, parquet)", q)}
		}
		return f, nil
	}
	accept := r.Header.Get("Accept")
	if accept == "" {
		return FormatJSON, nil
	}
	for _, part := range strings.Split(accept, ",") {
		media, _, _ := strings.Cut(part, ";")
		if f, ok := formatOfMedia(media); ok {
			return f, nil
		}
	}
	return "", &Error{Status: 406, Code: CodeBadRequest, Message: "none of the accepted media types is produced here: application/json, application/x-ndjson, text/csv, application/vnd.apache.arrow.stream, application/vnd.apache.parquet"}
}

// params converts JSON parameters: numbers keep their text (the database
// parses them for the parameter's type); objects and arrays are passed
// as their JSON text.
func params(in []any) ([]any, *Error) {
	out := make([]any, len(in))
	for i, v := range in {
		switch x := v.(type) {
		case nil, string, bool:
			out[i] = x
		case json.Number:
			out[i] = string(x)
		case map[string]any, []any:
			b, _ := json.Marshal(x)
			out[i] = string(b)
		default:
			return nil, &Error{Status: 400, Code: CodeBadRequest, Message: fmt.Sprintf("parameter %d has an unsupported type", i+1)}
		}
	}
	return out, nil
}

func (s *Service) serveQuery(w http.ResponseWriter, r *http.Request) {
	if e := jsonBody(r); e != nil {
		writeError(w, e)
		return
	}
	c, e := s.authenticate(r)
	if e != nil {
		writeError(w, e)
		return
	}
	format, e := chooseFormat(r)
	if e != nil {
		writeError(w, e)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		writeError(w, &Error{Status: 413, Code: CodeBadRequest, Message: fmt.Sprintf("request body over %d bytes", maxRequestBody)})
		return
	}
	var req QueryRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, &Error{Status: 400, Code: CodeBadRequest, Message: "request body: " + err.Error()})
		return
	}
	if req.Database == "" {
		writeError(w, &Error{Status: 400, Code: CodeBadRequest, Message: `request body: "database" is required`})
		return
	}
	args, e := params(req.Params)
	if e != nil {
		writeError(w, e)
		return
	}
	// The statement continues the caller's trace (W3C traceparent).
	res, e := s.Query(tracing.FromHTTP(r.Context(), r.Header), c, req.Database, req.SQL, args, arrowsql.Options{})
	if e != nil {
		writeError(w, e)
		return
	}
	if v := res.Cache(); v != "" {
		w.Header().Set(HeaderCache, v)
	}
	s.stream(r.Context(), w, format, res)
}

// stream writes a result; a failure before the first batch is answered
// as an error response, one after it in the trailers (and, for NDJSON, a
// last line).
func (s *Service) stream(ctx context.Context, w http.ResponseWriter, format Format, res *Result) {
	rw := NewResultWriter(format, w)
	if err := rw.Begin(res.Schema()); err != nil {
		writeError(w, res.Close(err))
		return
	}
	rc := http.NewResponseController(w)
	started := false
	var rows int64
	start := func() {
		if !started {
			started = true
			h := w.Header()
			h.Set("Content-Type", format.MediaType())
			h.Set("Trailer", TrailerStatus+", "+TrailerRows+", "+TrailerError)
			h.Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(200)
		}
	}
	var werr error
	for res.Next() {
		start()
		b := res.RecordBatch()
		if werr = rw.Write(b); werr != nil {
			break
		}
		rows += b.NumRows()
		_ = rc.Flush()
	}
	if werr == nil && res.Err() == nil {
		start()
		werr = rw.End()
	}
	e := res.Close(werr)
	if e == nil {
		w.Header().Set(TrailerStatus, "ok")
		w.Header().Set(TrailerRows, strconv.FormatInt(rows, 10))
		return
	}
	if !started {
		writeError(w, e)
		return
	}
	if ctx.Err() == nil {
		s.log.Warn("result cut short", "error", e.Message, "code", e.Code, "rows", rows)
	}
	rw.Fail(e)
	b, _ := json.Marshal(e)
	w.Header().Set(TrailerStatus, "error")
	w.Header().Set(TrailerRows, strconv.FormatInt(rows, 10))
	w.Header().Set(TrailerError, string(b))
}
