package stmt

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/audit"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/policy"
)

const testConfig = `
databases:
  - {name: app, kind: postgres, primary: "postgres://u@127.0.0.1:5432/app"}
users:
  - {name: alice, password: a, roles: [reader]}
roles:
  - name: reader
    grants:
      - {database: app, tables: ["public.t"], actions: [select]}
limits:
  - {per: user, rate: 0.001, burst: 2}
`

// trace records what the stages see, in order.
type trace struct{ events []string }

type stage struct {
	name   string
	tr     *trace
	refuse error
}

func (s *stage) Begin(_ context.Context, st *Statement) error {
	s.tr.events = append(s.tr.events, "begin "+s.name+" "+st.Text)
	return s.refuse
}

func (s *stage) End(st *Statement, o Outcome) {
	s.tr.events = append(s.tr.events, "end "+s.name+" "+o.Status+" "+o.Code)
}

func testPipeline(t *testing.T, stages ...Stage) (*Pipeline, *observe.Metrics) {
	p, m, _, _ := testPipelineSink(t, stages...)
	return p, m
}

func testPipelineSink(t *testing.T, stages ...Stage) (*Pipeline, *observe.Metrics, string, *audit.Writer) {
	t.Helper()
	cfg, err := config.Parse("t.yaml", []byte(testConfig), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
	sink, err := audit.Open(auditPath, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sink.Close() })
	m := observe.NewMetrics()
	pol, err := policy.New(cfg, policy.Options{Metrics: m, Audit: sink})
	if err != nil {
		t.Fatal(err)
	}
	p := New(Options{Database: "app", Dialect: analysis.Postgres, Policy: func() *policy.Policy { return pol }, Metrics: m, Stages: stages})
	return p, m, auditPath, sink
}

func alice(p *Pipeline) *Session {
	return p.Open(policy.Request{User: "alice", Roles: []string{"reader"}, Client: "127.0.0.1", Protocol: "postgres", DefaultSchema: "public"})
}

// Stages begin in order after the decision and limits and end in
// reverse order; the outcome carries the noted error.
func TestStageOrder(t *testing.T) {
	tr := &trace{}
	p, m := testPipeline(t, &stage{name: "a", tr: tr}, &stage{name: "b", tr: tr})
	s := alice(p)
	st, den := s.Start(context.Background(), "query", "SELECT * FROM t", nil)
	if den != nil {
		t.Fatal(den)
	}
	st.AddRows(3)
	st.Fail("22012")
	st.Finish(nil)
	st.Finish(errors.New("again")) // later calls do nothing
	want := []string{"begin a SELECT * FROM t", "begin b SELECT * FROM t", "end b error 22012", "end a error 22012"}
	if !slices.Equal(tr.events, want) {
		t.Fatalf("events %q, want %q", tr.events, want)
	}
	if got := testutil.ToFloat64(m.Queries.WithLabelValues("app", "alice", "error")); got != 1 {
		t.Fatalf("error count %v", got)
	}
	top := m.Statements.Top(10, "calls")
	if len(top) != 1 || top[0].Count != 1 || top[0].Rows != 3 || top[0].Errors != 1 {
		t.Fatalf("statement stats %+v", top)
	}
}

// A stage that refuses ends the stages begun before it (not itself nor
// the later ones), and the statement never starts.
func TestStageRefuses(t *testing.T) {
	tr := &trace{}
	den := &policy.Denial{Rule: "test.stage", Message: "refused by a stage", Code: "42501"}
	p, _ := testPipeline(t, &stage{name: "a", tr: tr}, &stage{name: "b", tr: tr, refuse: den}, &stage{name: "c", tr: tr})
	st, got := alice(p).Start(context.Background(), "query", "SELECT * FROM t", nil)
	if st != nil || got != den {
		t.Fatalf("statement %v, denial %v", st, got)
	}
	want := []string{"begin a SELECT * FROM t", "begin b SELECT * FROM t", "end a error 42501"}
	if !slices.Equal(tr.events, want) {
		t.Fatalf("events %q, want %q", tr.events, want)
	}
	// Any other error refuses with an internal error.
	p, _ = testPipeline(t, &stage{name: "x", tr: &trace{}, refuse: errors.New("broken")})
	if _, got := alice(p).Start(context.Background(), "query", "SELECT * FROM t", nil); got == nil || got.Code != CodeUnknown {
		t.Fatalf("denial %+v", got)
	}
}

// A denied statement takes no rate token: the burst of 2 is left whole
// for the allowed statements after any number of denied ones.
func TestDeniedTakesNoToken(t *testing.T) {
	tr := &trace{}
	p, m, auditPath, sink := testPipelineSink(t, &stage{name: "a", tr: tr})
	s := alice(p)
	ctx := context.Background()
	for range 5 {
		if st, den := s.Start(ctx, "query", "SELECT * FROM secret", nil); st != nil || den == nil || den.Rule != policy.RuleGrant {
			t.Fatalf("want a grant denial, got %v %+v", st, den)
		}
	}
	if len(tr.events) != 0 {
		t.Fatalf("stages ran for denied statements: %q", tr.events)
	}
	for i := range 2 {
		st, den := s.Start(ctx, "query", "SELECT * FROM t", nil)
		if den != nil {
			t.Fatalf("allowed statement %d refused: %v", i, den)
		}
		st.Finish(nil)
	}
	if _, den := s.Start(ctx, "query", "SELECT * FROM t", nil); den == nil || den.Rule != "limit.rate" {
		t.Fatalf("third statement: %+v", den)
	}
	if got := testutil.ToFloat64(m.Queries.WithLabelValues("app", "alice", "error")); got != 6 {
		t.Fatalf("refusals counted %v, want 6", got)
	}
	if got := testutil.ToFloat64(m.Queries.WithLabelValues("app", "alice", "ok")); got != 2 {
		t.Fatalf("ok counted %v, want 2", got)
	}
	if data := readAudit(t, sink, auditPath); strings.Count(data, `"decision":"denied"`) != 5 || strings.Count(data, `"type":"result"`) != 3 ||
		!strings.Contains(data, `"rule":"limit.rate"`) {
		t.Fatalf("audit:\n%s", data)
	}
}

// Begin starts a statement checked at prepare time; its text may come
// later (the first Execute of a batch); the result is audited with its
// rows.
func TestBeginThenText(t *testing.T) {
	p, _, auditPath, sink := testPipelineSink(t)
	s := alice(p)
	if d, _ := s.Check(context.Background(), "parse", "SELECT * FROM t WHERE id = $1"); d.Denial != nil {
		t.Fatal(d.Denial)
	}
	st, den := s.Begin(context.Background(), "", nil)
	if den != nil {
		t.Fatal(den)
	}
	st.SetText("SELECT * FROM t WHERE id = $1")
	st.SetText("SELECT 2")
	if st.Text != "SELECT * FROM t WHERE id = $1" || st.Analysis == nil || st.Analysis.Text != st.Text {
		t.Fatalf("text %q analysis %v", st.Text, st.Analysis)
	}
	st.AddRows(1)
	st.Finish(context.Canceled)
	data := readAudit(t, sink, auditPath)
	if !strings.Contains(data, `"type":"result"`) || !strings.Contains(data, `"rows":1`) || !strings.Contains(data, `"error":"57014"`) {
		t.Fatalf("audit:\n%s", data)
	}
}

// One text is analysed once: every session of the pipeline gets the
// same analysis, and the policy's reading is kept with it.
func TestAnalysedOnce(t *testing.T) {
	p, _ := testPipeline(t)
	a1 := alice(p).Analyze("SELECT * FROM t WHERE id = 1")
	a2 := alice(p).Analyze("SELECT * FROM t WHERE id = 1")
	if a1 != a2 {
		t.Fatal("two analyses of one text")
	}
	if _, err := a1.Statements(); err != nil {
		t.Fatal(err)
	}
	a3 := alice(p).Analyze("SELECT * FROM t WHERE id = 2")
	if a3.Shared() != a1 {
		t.Fatal("a text of the same shape does not share the parse")
	}
}

// readAudit closes (flushes) the sink and reads its file.
func readAudit(t *testing.T, sink *audit.Writer, path string) string {
	t.Helper()
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// BenchmarkStatement is the pipeline's cost per statement of one shape
// with literals that change (a cached analysis, a grant check, limits,
// stats, audit off): Start through Finish.
func BenchmarkStatement(b *testing.B) {
	cfg, err := config.Parse("t.yaml", []byte(testConfig), func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	cfg.Limits = nil
	m := observe.NewMetrics()
	pol, err := policy.New(cfg, policy.Options{Metrics: m})
	if err != nil {
		b.Fatal(err)
	}
	p := New(Options{Database: "app", Dialect: analysis.Postgres, Policy: func() *policy.Policy { return pol }, Metrics: m})
	s := alice(p)
	ctx := context.Background()
	texts := make([]string, 64)
	for i := range texts {
		texts[i] = "SELECT * FROM t WHERE id = " + strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		st, den := s.Start(ctx, "query", texts[i%len(texts)], nil)
		if den != nil {
			b.Fatal(den)
		}
		st.AddRows(1)
		st.Finish(nil)
	}
}

// A statement decided on at prepare time is decided again when it runs
// under another policy (a reload): a revoked grant refuses it, a changed
// row filter asks for a new prepare, an unchanged policy is not asked.
func TestRecheckAfterPolicyChange(t *testing.T) {
	parse := func(y string) *policy.Policy {
		t.Helper()
		cfg, err := config.Parse("t.yaml", []byte(y), func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		pol, err := policy.New(cfg, policy.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return pol
	}
	wide := strings.Replace(testConfig, `tables: ["public.t"]`, `tables: ["public.t", "public.u"]`, 1)
	wide = strings.Replace(wide, "burst: 2", "burst: 100", 1)
	filtered := strings.Replace(wide, "actions: [select]}\n", "actions: [select]}\n    row_filters:\n      - {database: app, table: t, where: \"id = 1\"}\n", 1)
	cur := parse(wide)
	p := New(Options{Database: "app", Dialect: analysis.Postgres, Policy: func() *policy.Policy { return cur }})
	s := alice(p)
	ctx := context.Background()
	for _, q := range []string{"SELECT * FROM u", "SELECT * FROM t"} {
		if d, _ := s.Check(ctx, "parse", q); d.Denial != nil {
			t.Fatalf("%s: %v", q, d.Denial)
		}
	}
	run := func(q string) *policy.Denial {
		st, den := s.Begin(ctx, q, nil)
		if st != nil {
			st.Finish(nil)
		}
		return den
	}
	if den := run("SELECT * FROM u"); den != nil {
		t.Fatalf("under the policy it was prepared under: %v", den)
	}
	cur = parse(filtered)
	if den := run("SELECT * FROM u"); den != nil {
		t.Fatalf("still granted after the reload: %v", den)
	}
	if den := run("SELECT * FROM t"); den == nil || den.Rule != "grant.changed" {
		t.Fatalf("row filter added after the prepare: %+v, want grant.changed", den)
	}
	cur = parse(testConfig)
	if den := run("SELECT * FROM u"); den == nil || den.Rule != policy.RuleGrant {
		t.Fatalf("revoked after the prepare: %+v, want the grant's refusal", den)
	}
	// A further statement of a batch is checked alike; t runs again as
	// prepared once its row filter is gone.
	if den := s.Recheck(ctx, "SELECT * FROM u"); den == nil {
		t.Fatal("a further statement of a batch: no refusal")
	}
	if den := s.Recheck(ctx, "SELECT * FROM t"); den != nil {
		t.Fatalf("t without its row filter again: %v", den)
	}
	// A text begun without a decision of its own (KILL, USE, which the
	// gateway answers) is not decided at Begin.
	if den := alice(p).Recheck(ctx, "SELECT * FROM u"); den != nil {
		t.Fatalf("a text the session never checked: %v", den)
	}
}

// Stages set later reach the sessions already open; a statement under
// way ends with the stages it began with.
func TestSetStages(t *testing.T) {
	tr := &trace{}
	p, _ := testPipeline(t, &stage{name: "a", tr: tr})
	s := alice(p)
	st, den := s.Start(context.Background(), "query", "SELECT * FROM t", nil)
	if den != nil {
		t.Fatal(den)
	}
	p.SetStages([]Stage{&stage{name: "b", tr: tr}})
	st.Finish(nil)
	st, den = s.Start(context.Background(), "query", "SELECT * FROM t", nil)
	if den != nil {
		t.Fatal(den)
	}
	st.Finish(nil)
	want := []string{"begin a SELECT * FROM t", "end a ok ", "begin b SELECT * FROM t", "end b ok "}
	if !slices.Equal(tr.events, want) {
		t.Fatalf("events %q, want %q", tr.events, want)
	}
}

// outcomeStage keeps the outcome its End sees and the value a stage set.
type outcomeStage struct {
	got []Outcome
	val []any
}

type outcomeKey struct{}

func (s *outcomeStage) Begin(_ context.Context, st *Statement) error {
	st.SetValue(outcomeKey{}, st.Text)
	return nil
}

func (s *outcomeStage) End(st *Statement, o Outcome) {
	s.got = append(s.got, o)
	s.val = append(s.val, st.Value(outcomeKey{}))
}

// The outcome splits the statement's time at the marks the protocol
// code set: policy, pool wait, backend, streaming; missing marks move
// their time into the next phase. A stage's value stays with its
// statement.
func TestPhases(t *testing.T) {
	os := &outcomeStage{}
	p, _ := testPipeline(t, os)
	s := alice(p)
	st, den := s.Start(context.Background(), "query", "SELECT * FROM t", nil)
	if den != nil {
		t.Fatal(den)
	}
	time.Sleep(2 * time.Millisecond)
	st.Acquired("10.0.0.1:5432")
	st.Acquired("10.0.0.2:5432") // the first call wins
	time.Sleep(2 * time.Millisecond)
	st.Responded()
	time.Sleep(2 * time.Millisecond)
	st.Finish(nil)

	st2, den := s.Start(context.Background(), "query", "SELECT 1 FROM t", nil)
	if den != nil {
		t.Fatal(den)
	}
	time.Sleep(2 * time.Millisecond)
	st2.Finish(nil)

	if len(os.got) != 2 {
		t.Fatalf("outcomes %d", len(os.got))
	}
	o := os.got[0]
	if o.Server != "10.0.0.1:5432" {
		t.Fatalf("server %q", o.Server)
	}
	ph := o.Phases
	if ph.Wait < 2*time.Millisecond || ph.Backend < 2*time.Millisecond || ph.Stream < 2*time.Millisecond || ph.Policy <= 0 {
		t.Fatalf("phases %+v", ph)
	}
	if sum := ph.Policy + ph.Wait + ph.Backend + ph.Stream; sum != o.Duration+ph.Policy || o.Received.IsZero() {
		t.Fatalf("phases %+v sum %v, duration %v", ph, sum, o.Duration)
	}
	ph2 := os.got[1].Phases
	if ph2.Wait != 0 || ph2.Stream != 0 || ph2.Backend < 2*time.Millisecond || os.got[1].Server != "" {
		t.Fatalf("unmarked phases %+v", ph2)
	}
	if os.val[0] != "SELECT * FROM t" || os.val[1] != "SELECT 1 FROM t" {
		t.Fatalf("stage values %v", os.val)
	}
}

// Texts that differ only in literal values are one statement shape in
// the statistics, masked once: the shape's first analysis keeps it.
func TestStatsMaskedOncePerShape(t *testing.T) {
	p, m := testPipeline(t)
	s := alice(p)
	for i := range 2 { // the test policy's rate limit allows two
		st, den := s.Start(context.Background(), "query", "SELECT * FROM t WHERE a = "+strconv.Itoa(i)+" AND b = 'x"+strconv.Itoa(i)+"'", nil)
		if den != nil {
			t.Fatal(den)
		}
		st.AddRows(1)
		st.Finish(nil)
		if sh := st.Analysis.Shape(); i > 0 && sh == st.Analysis {
			t.Fatal("a text of a known shape is its own shape")
		}
	}
	top := m.Statements.Top(10, "calls")
	if len(top) != 1 || top[0].Count != 2 || top[0].Query != "SELECT * FROM t WHERE a = ? AND b = ?" {
		t.Fatalf("statement stats %+v", top)
	}
}

// argsStage reads the statements' parameter values when reads is set.
type argsStage struct {
	stage
	reads bool
}

func (a *argsStage) ReadsArgs() bool { return a.reads }

// Parameter values are asked for only while a stage reads them.
func TestWantsArgs(t *testing.T) {
	tr := &trace{}
	p, _ := testPipeline(t, &stage{name: "a", tr: tr})
	s := alice(p)
	if s.WantsArgs() {
		t.Fatal("no stage reads arguments, yet they are wanted")
	}
	p.SetStages([]Stage{&argsStage{stage: stage{name: "b", tr: tr}}})
	if s.WantsArgs() {
		t.Fatal("a stage that does not read them now wants arguments")
	}
	p.SetStages([]Stage{&stage{name: "a", tr: tr}, &argsStage{stage: stage{name: "b", tr: tr}, reads: true}})
	if !s.WantsArgs() {
		t.Fatal("a stage reads arguments, yet they are not wanted")
	}
}
