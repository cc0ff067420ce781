package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/observe"
)

// cacheGateway is a stub Gateway with one database's cache.
type cacheGateway struct {
	*stubGateway
	purged []string
}

func (g *cacheGateway) CacheExplain(db, sql string) (any, error) {
	if db != "app" {
		return nil, fmt.Errorf("database %q has no result cache: %w", db, ErrNotFound)
	}
	if strings.Contains(sql, "now()") {
		return map[string]any{"cacheable": false, "reason": "volatile function: now"}, nil
	}
	return map[string]any{"cacheable": true, "ttl": "5s"}, nil
}

func (g *cacheGateway) CacheStats(top int) any {
	return []map[string]any{{"database": "app", "hit_ratio": 0.5, "top": top}}
}

func (g *cacheGateway) CachePurge(_ context.Context, db, table string) (int, error) {
	g.purged = append(g.purged, db+"/"+table)
	return 3, nil
}

func TestCacheRoutes(t *testing.T) {
	gw := &cacheGateway{stubGateway: &stubGateway{tokens: NewTokens(config.Admin{Tokens: []config.AdminToken{
		{Name: "ops", Token: "admin-token-0123456789", Scopes: []string{"admin"}},
		{Name: "ro", Token: "read-token-0123456789", Scopes: []string{"read"}},
	}})}}
	srv := httptest.NewServer(Handler(gw, observe.NewMetrics(), slog.New(slog.NewTextHandler(io.Discard, nil))))
	defer srv.Close()
	for _, tc := range []struct {
		method, path, body, token string
		status                    int
		want                      string
	}{
		{"POST", "/api/v1/cache/explain", `{"database": "app", "sql": "SELECT now()"}`, "read-token-0123456789", 200, `"reason":"volatile function: now"`},
		{"POST", "/api/v1/cache/explain", `{"database": "app", "sql": "SELECT 1"}`, "read-token-0123456789", 200, `"cacheable":true`},
		{"POST", "/api/v1/cache/explain", `{"database": "other", "sql": "SELECT 1"}`, "read-token-0123456789", 404, `no result cache`},
		{"POST", "/api/v1/cache/explain", `{"sql": "SELECT 1"}`, "read-token-0123456789", 400, `bad_request`},
		{"POST", "/api/v1/cache/explain", `{"database": "app", "sql": "SELECT 1"}`, "", 401, `unauthorized`},
		{"GET", "/api/v1/cache?top=3", "", "read-token-0123456789", 200, `"top":3`},
		{"GET", "/api/v1/cache?top=0", "", "read-token-0123456789", 400, `top`},
		{"DELETE", "/api/v1/cache?table=orders", "", "read-token-0123456789", 403, `lacks the admin scope`},
		{"DELETE", "/api/v1/cache?database=app&table=orders", "", "admin-token-0123456789", 200, `"entries":3`},
		{"DELETE", "/api/v1/cache", "", "admin-token-0123456789", 200, `"status":"purged"`},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s %s: %d %s, want %d with %s", tc.method, tc.path, resp.StatusCode, b, tc.status, tc.want)
		}
		if tc.status == 200 && !json.Valid(b) {
			t.Errorf("%s %s: not JSON: %s", tc.method, tc.path, b)
		}
	}
	if strings.Join(gw.purged, ",") != "app/orders,/" {
		t.Errorf("purged %v", gw.purged)
	}
}
