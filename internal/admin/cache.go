package admin

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// CacheAdmin is a Gateway with result caches (package cache): explain a
// statement's verdict, report the caches, purge them.
type CacheAdmin interface {
	// CacheExplain says whether sql would be served from database db's
	// cache, or the exact reason not (ErrNotFound: db has no cache).
	CacheExplain(db, sql string) (any, error)
	// CacheStats reports every cache with its top entries (masked text).
	CacheStats(top int) any
	// CachePurge drops the entries of table ("": all) in db ("": every
	// database) and returns how many were dropped (ErrNotFound: db has
	// no cache).
	CachePurge(ctx context.Context, db, table string) (int, error)
}

func (a *api) cacheRoutes() []route {
	caches := func(w http.ResponseWriter) CacheAdmin {
		c, ok := a.gw.(CacheAdmin)
		if !ok {
			writeError(w, http.StatusNotFound, "not_found", "no database has a result cache")
		}
		return c
	}
	return []route{
		{"POST", "/api/v1/cache/explain", ScopeRead, false, func(w http.ResponseWriter, r *http.Request, _ Principal) {
			var body struct {
				Database string `json:"database"`
				SQL      string `json:"sql"`
			}
			dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&body); err != nil || body.Database == "" || strings.TrimSpace(body.SQL) == "" {
				writeError(w, http.StatusBadRequest, "bad_request", `body: want {"database": "…", "sql": "…"}`)
				return
			}
			c := caches(w)
			if c == nil {
				return
			}
			x, err := c.CacheExplain(body.Database, body.SQL)
			if err != nil {
				cacheError(w, err)
				return
			}
			writeJSON(w, http.StatusOK, x)
		}},
		{"GET", "/api/v1/cache", ScopeRead, false, func(w http.ResponseWriter, r *http.Request, _ Principal) {
			top, ok := intParam(w, r, "top", 10, 1000)
			if !ok {
				return
			}
			var stats any = []any{}
			if c, ok := a.gw.(CacheAdmin); ok {
				stats = c.CacheStats(top)
			}
			writeJSON(w, http.StatusOK, map[string]any{"caches": stats})
		}},
		{"DELETE", "/api/v1/cache", ScopeAdmin, true, func(w http.ResponseWriter, r *http.Request, _ Principal) {
			c := caches(w)
			if c == nil {
				return
			}
			n, err := c.CachePurge(r.Context(), r.URL.Query().Get("database"), r.URL.Query().Get("table"))
			if err != nil {
				cacheError(w, err)
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"status": "purged", "entries": n})
		}},
	}
}

func cacheError(w http.ResponseWriter, err error) {
	if errors.Is(err, ErrNotFound) {
		writeError(w, http.StatusNotFound, "not_found", err.Error())
		return
	}
	writeError(w, http.StatusBadRequest, "bad_request", err.Error())
}
