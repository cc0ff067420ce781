package admin

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/floe-db/floe/internal/cdc"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/observe"
)

// cdcGateway is a stub gateway that follows one change stream.
type cdcGateway struct {
	stubGateway
	st cdc.Status
}

func (g *cdcGateway) CDC() any { return []cdc.Status{g.st} }

// The CDCStatus schema of the OpenAPI document has the keys and JSON
// types of cdc.Status, and GET /api/v1/cdc serves it to a read token.
func TestCDCStatusSchemaAndRoute(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Type string `json:"type"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	props := doc.Components.Schemas["CDCStatus"].Properties
	st := cdc.Status{Database: "app", Kind: "postgres", Connected: true, Position: "0/16B3748", GTID: "0-1-5", Slot: "floe_app",
		Watermark: time.Now().UTC(), LagSeconds: 0.5, Events: 3, LastError: "x"}
	b, _ := json.Marshal(st)
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(props) {
		t.Errorf("cdc.Status has %d keys, the schema %d", len(got), len(props))
	}
	for k, v := range got {
		want := map[string]string{"string": "string", "bool": "boolean", "float64": "number"}[fmt.Sprintf("%T", v)]
		typ := props[k].Type
		if typ == "integer" {
			typ = "number"
		}
		if typ != want {
			t.Errorf("key %q: schema type %q, JSON %T", k, props[k].Type, v)
		}
	}

	gw := &cdcGateway{st: st}
	gw.tokens = NewTokens(config.Admin{Tokens: []config.AdminToken{{Name: "ro", Token: "read-token-0123456789", Scopes: []string{"read"}}}})
	srv := httptest.NewServer(Handler(gw, observe.NewMetrics(), slog.New(slog.NewTextHandler(io.Discard, nil))))
	defer srv.Close()
	for _, tc := range []struct {
		token string
		code  int
	}{{"", http.StatusUnauthorized}, {"read-token-0123456789", http.StatusOK}} {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/cdc", nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ CDC []cdc.Status }
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Fatalf("token %q: %d, want %d", tc.token, resp.StatusCode, tc.code)
		}
		if tc.code == http.StatusOK && (len(body.CDC) != 1 || body.CDC[0].Position != st.Position || !body.CDC[0].Connected) {
			t.Fatalf("body %+v", body)
		}
	}
}
