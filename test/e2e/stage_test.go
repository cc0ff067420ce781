package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floe-db/floe/internal/app"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/stmt"
)

// recordingStage is a pipeline stage of the test's own: it refuses
// texts that mention floe_stage_refuse and records how the others ended,
// by user.
type recordingStage struct {
	mu    sync.Mutex
	ended map[string][]stmt.Outcome
}

func (r *recordingStage) Begin(_ context.Context, st *stmt.Statement) error {
	if strings.Contains(st.Text, "floe_stage_refuse") {
		return &policy.Denial{Rule: "stage.test", Code: "42501", Message: "refused by the test's stage"}
	}
	return nil
}

func (r *recordingStage) End(st *stmt.Statement, o stmt.Outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ended[st.User()] = append(r.ended[st.User()], o)
}

// A stage given to the gateway (app.Options.Stages) runs for every
// statement of every path — PostgreSQL and MySQL relays, SQLite over both
// protocols, HTTP and Flight SQL — without the protocols knowing of it:
// it sees each statement end with the rows it returned, and a refusal of
// its own reaches the client of every path as the policy's would.
func TestPipelineStageOnEveryPath(t *testing.T) {
	pgDSN, myDSN, litePath, _ := confDatabases(t)
	rec := &recordingStage{ended: map[string][]stmt.Outcome{}}
	auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
	g := startWith(t, confConfig(pgDSN, myDSN, litePath, auditPath, confPaths(nil)), app.Options{Stages: []stmt.Stage{rec}})
	ctx := context.Background()
	for _, p := range confPaths(g) {
		t.Run(p.Name(), func(t *testing.T) {
			if m, ok := p.(*myPath); ok {
				defer m.close()
			}
			u := confUser("r", p)
			rows, code, err := p.Exec(ctx, u, confPassword, "SELECT id FROM customers WHERE id <= 2 ORDER BY id")
			if err != nil || len(rows) != 2 {
				t.Fatalf("allowed read: %v rows, %v (code %q)", rows, err, code)
			}
			rows, code, err = p.Exec(ctx, u, confPassword, "SELECT id AS floe_stage_refuse FROM customers")
			if err == nil || code != "42501" || len(rows) != 0 {
				t.Fatalf("a statement the stage refuses: %v rows, %v (code %q), want 42501 and no rows", rows, err, code)
			}
			err = poll(10*time.Second, func() error {
				rec.mu.Lock()
				defer rec.mu.Unlock()
				ended := rec.ended[u]
				if len(ended) != 1 || ended[0].Rows != 2 || ended[0].Status != "ok" {
					return fmt.Errorf("the stage saw %+v for %s, want one statement ending ok with 2 rows", ended, u)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
