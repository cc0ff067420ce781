package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func writeN(t *testing.T, path string, opts Options, from, n int) {
	t.Helper()
	w, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		w.Log(Event{Type: "statement", Fields: map[string]any{"i": from + i, "sql": "SELECT ? FROM t", "seq": "spoof"}})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func blockOpts() Options {
	return Options{Block: true, Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }}
}

func TestChainAndReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	writeN(t, path, blockOpts(), 0, 5)
	writeN(t, path, blockOpts(), 5, 5) // reopen continues the chain
	n, err := Verify(path)
	if err != nil || n != 10 {
		t.Fatalf("verify: %d %v", n, err)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), `"event_seq":"spoof"`) {
		t.Fatal("an event field replaced a header field")
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	writeN(t, path, blockOpts(), 0, 6)
	orig, _ := os.ReadFile(path)
	lines := bytes.Split(bytes.TrimRight(orig, "\n"), []byte("\n"))
	join := func(ls [][]byte) []byte { return append(bytes.Join(ls, []byte("\n")), '\n') }
	cases := map[string]struct {
		data []byte
		line int
	}{
		"edit":      {bytes.Replace(orig, []byte(`"i":2`), []byte(`"i":9`), 1), 3},
		"edit last": {bytes.Replace(orig, []byte(`"i":5`), []byte(`"i":7`), 1), 6},
		"delete":    {join(append(append([][]byte{}, lines[:2]...), lines[3:]...)), 3},
		"reorder":   {join([][]byte{lines[0], lines[2], lines[1], lines[3], lines[4], lines[5]}), 2},
		"garbage":   {append(bytes.Clone(orig), "not json\n"...), 7},
	}
	for name, c := range cases {
		p := filepath.Join(t.TempDir(), name+".jsonl")
		if err := os.WriteFile(p, c.data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Verify(p)
		var be *BreakError
		if !errors.As(err, &be) || be.Line != c.line {
			t.Errorf("%s: %v, want a break at line %d", name, err, c.line)
		}
	}
}

func TestRotationKeepsTheChain(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.jsonl")
	opts := blockOpts()
	opts.MaxBytes = 600
	writeN(t, path, opts, 0, 12)
	rotated, _ := filepath.Glob(path + ".*")
	if len(rotated) < 2 {
		t.Fatalf("rotated files: %v", rotated)
	}
	// Oldest first: names carry the first sequence number.
	files := append(sortBySeq(rotated), path)
	if n, err := Verify(files...); err != nil || n != 12 {
		t.Fatalf("verify across files: %d %v", n, err)
	}
	// The live file alone still verifies from where it starts.
	if _, err := Verify(path); err != nil {
		t.Fatalf("live file alone: %v", err)
	}
	// A missing middle file is a break.
	if len(files) >= 3 {
		if _, err := Verify(append([]string{files[0]}, files[2:]...)...); err == nil {
			t.Fatal("a missing file went unnoticed")
		}
	}
}

func sortBySeq(files []string) []string {
	out := append([]string{}, files...)
	first := func(s string) int {
		var a, b int
		_, _ = fmt.Sscanf(s[strings.LastIndex(s, ".")+1:], "%d-%d", &a, &b)
		return a
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if first(out[j]) < first(out[i]) {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestDropWhenFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	dropped := 0
	w, err := Open(path, Options{Queue: 1, Dropped: func() { dropped++ }})
	if err != nil {
		t.Fatal(err)
	}
	for range 10000 {
		w.Log(Event{Type: "x"})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	n, err := Verify(path)
	if err != nil || n+dropped != 10000 || dropped == 0 {
		t.Fatalf("written %d, dropped %d, %v", n, dropped, err)
	}
}

// FuzzVerify runs Verify over arbitrary files: errors, never panics, and
// never accepts a file whose records were not produced by a Writer.
func FuzzVerify(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "seed.jsonl")
	w, err := Open(path, Options{Block: true})
	if err != nil {
		f.Fatal(err)
	}
	w.Log(Event{Type: "a", Fields: map[string]any{"x": 1}})
	w.Log(Event{Type: "b"})
	if err := w.Close(); err != nil {
		f.Fatal(err)
	}
	seed, _ := os.ReadFile(path)
	f.Add(seed)
	f.Add([]byte(`{"seq":1,"prev":"","hash":""}` + "\n"))
	f.Add([]byte("\n\n{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "in.jsonl")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, _ = Verify(p)
	})
}

func BenchmarkLog(b *testing.B) {
	w, err := Open(filepath.Join(b.TempDir(), "a.jsonl"), Options{Block: true})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	for b.Loop() {
		w.Log(Event{Type: "statement", Fields: map[string]any{
			"user": "alice", "database": "app", "client": "127.0.0.1", "protocol": "postgres", "session": uint32(12345),
			"via": "query", "decision": "allowed", "sql": "SELECT abalance FROM pgbench_accounts WHERE aid = ?", "kind": "select",
		}})
	}
}

// BenchmarkLogPairs is a statement record as the policy writes it
// (ordered pairs, no map).
func BenchmarkLogPairs(b *testing.B) {
	w, err := Open(filepath.Join(b.TempDir(), "a.jsonl"), Options{Block: true})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	for b.Loop() {
		w.Log(Event{Type: "statement", Pairs: []Field{String("client", "127.0.0.1"), String("database", "app"),
			String("decision", "allowed"), String("kind", "select"), String("protocol", "postgres"),
			Value("session", uint32(12345)), String("sql", "SELECT abalance FROM pgbench_accounts WHERE aid = ?"),
			String("user", "alice"), String("via", "query")}})
	}
}

// The hand-written encoder agrees with encoding/json on every value it
// writes itself.
func TestEncodeMatchesJSON(t *testing.T) {
	fields := map[string]any{
		"s": "plain", "q": `quote " and \ backslash`, "ctl": "tab\tnl\ncr\r\x01\x1f", "html": "<a>&",
		"bad": "bad \xff utf8 \xc3", "uni": "é ✓ \u2028 \u2029", "b": true, "i": -3, "i64": int64(1) << 40,
		"u32": uint32(7), "u64": uint64(1) << 63, "list": []string{"a", `"b"`}, "f": 1.5, "seq": 9,
	}
	line, err := encode(header{Seq: 1, Time: "t", Prev: "p", Type: "x"}, fields, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	want := map[string]any{"seq": 1, "time": "t", "prev": "p", "type": "x"}
	for k, v := range fields {
		if k == "seq" {
			k = "event_seq"
		}
		want[k] = v
	}
	wb, _ := json.Marshal(want)
	var wantBack map[string]any
	_ = json.Unmarshal(wb, &wantBack)
	gb, _ := json.Marshal(got)
	wb2, _ := json.Marshal(wantBack)
	if string(gb) != string(wb2) {
		t.Errorf("encode:\n got %s\nwant %s", gb, wb2)
	}
}

func TestLogAfterClose(t *testing.T) {
	dropped := 0
	w, err := Open(filepath.Join(t.TempDir(), "a.jsonl"), Options{Dropped: func() { dropped++ }})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w.Log(Event{Type: "late"}) // must not panic
	if dropped != 1 {
		t.Fatalf("dropped %d", dropped)
	}
}

// A record given as Pairs is the record given as Fields, byte for byte
// (the chain and verify read one form): in order, out of order, split
// between the two, with a nil value; a key given twice is an error.
func TestEncodePairs(t *testing.T) {
	h := header{Seq: 3, Time: "t", Prev: "p", Type: "statement"}
	fields := map[string]any{"client": "10.0.0.1", "database": "db", "findings": []string{"a", "b"}, "row_filtered": true,
		"session": uint32(7), "sql": "select ?", "user": "u", "none": nil, "seq": 1}
	want, err := encode(h, fields, nil)
	if err != nil {
		t.Fatal(err)
	}
	sorted := []Field{String("client", "10.0.0.1"), String("database", "db"), Value("findings", []string{"a", "b"}),
		Value("none", nil), Value("row_filtered", true), Value("seq", 1), Value("session", uint32(7)), String("sql", "select ?"), String("user", "u")}
	reversed := slices.Clone(sorted)
	slices.Reverse(reversed)
	for name, c := range map[string]struct {
		fields map[string]any
		pairs  []Field
	}{
		"pairs":     {nil, sorted},
		"unordered": {nil, reversed},
		"both":      {map[string]any{"user": "u", "none": nil, "client": "10.0.0.1"}, []Field{String("database", "db"), Value("findings", []string{"a", "b"}), Value("row_filtered", true), Value("seq", 1), Value("session", uint32(7)), String("sql", "select ?")}},
	} {
		got, err := encode(h, c.fields, c.pairs)
		if err != nil || string(got) != string(want) {
			t.Errorf("%s: %s (%v), want %s", name, got, err, want)
		}
	}
	e := Event{Pairs: sorted, Fields: map[string]any{"extra": 1}}
	if e.Get("user") != "u" || e.Get("row_filtered") != true || e.Get("none") != nil || e.Get("extra") != 1 || e.Get("missing") != nil {
		t.Errorf("Get: %v %v %v %v", e.Get("user"), e.Get("row_filtered"), e.Get("none"), e.Get("extra"))
	}
	if _, err := encode(h, map[string]any{"user": "x"}, []Field{String("user", "y")}); err == nil {
		t.Error("a key in both Fields and Pairs was written")
	}
}

// Records queued behind the first of a batch are not woken for one by
// one; a queue half full ends the batch's wait, so a long FlushDelay
// still lets a busy log through without dropping.
func TestBatchHurries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.jsonl")
	dropped := 0
	w, err := Open(path, Options{Queue: 8, FlushDelay: time.Hour, Dropped: func() { dropped++ }})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for i := range 40 {
		w.Log(Event{Type: "statement", Pairs: []Field{Value("n", i)}})
		if i%6 == 5 {
			waitLines(t, path, i+1)
		}
	}
	if dropped > 0 {
		t.Fatalf("%d records dropped", dropped)
	}
}

// waitLines waits (at most 10 s) until the log at path has n lines.
func waitLines(t *testing.T, path string, n int) {
	t.Helper()
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(5 * time.Millisecond) {
		b, _ := os.ReadFile(path)
		if bytes.Count(b, []byte("\n")) >= n {
			return
		}
	}
	t.Fatalf("fewer than %d records written", n)
}

// Floats are written as encoding/json writes them (the result record's
// duration), without going through it.
func TestAppendFloatMatchesJSON(t *testing.T) {
	vals := []float64{0, math.Copysign(0, -1), 1, -1, 0.5, 1.5, 0.001, 12.345, 1e-6, 9.99e-7, 1e-7, 1.5e-300,
		1e20, 1e21, 1.2345e22, math.MaxFloat64, math.SmallestNonzeroFloat64, -3.25e-9, 123456789.125, 0.1 + 0.2}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		vals = append(vals, math.Float64frombits(r.Uint64()), float64(r.IntN(1e9))/1000)
	}
	for _, v := range vals {
		want, werr := json.Marshal(v)
		got, gerr := appendFloat(nil, v)
		if (werr != nil) != (gerr != nil) || werr == nil && string(got) != string(want) {
			t.Fatalf("%v: got %s (%v), want %s (%v)", v, got, gerr, want, werr)
		}
	}
}

func FuzzAppendFloat(f *testing.F) {
	for _, v := range []float64{0, 1.5, 1e-7, 1e21, -2.5e-300} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		want, werr := json.Marshal(v)
		got, gerr := appendFloat([]byte("x"), v)
		if (werr != nil) != (gerr != nil) || werr == nil && string(got) != "x"+string(want) {
			t.Fatalf("%v: got %s (%v), want %s (%v)", v, got, gerr, want, werr)
		}
	})
}

// The writer's record time (formatted into the record buffer) is the
// time a header's Time field held, and a reused buffer leaves nothing of
// a longer record before it.
func TestEncodeTime(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(2026, 12, 8, 1, 2, 3, 0, time.UTC),
		time.Date(2026, 12, 8, 1, 2, 3, 450000000, time.FixedZone("x", 3600)),
		time.Date(1999, 1, 1, 0, 0, 0, 1, time.Local),
	} {
		want, err := encode(header{Seq: 1, Time: at.UTC().Format(time.RFC3339Nano), Prev: "p", Type: "x"}, nil, []Field{String("k", "v")})
		if err != nil {
			t.Fatal(err)
		}
		buf := []byte(strings.Repeat("z", 500))
		got, err := encodeTo(buf[:0], header{Seq: 1, at: at, Prev: "p", Type: "x"}, nil, []Field{String("k", "v")})
		if err != nil || string(got) != string(want) {
			t.Fatalf("%v: %s (%v), want %s", at, got, err, want)
		}
	}
}

// Any string is written as JSON that reads back as encoding/json reads
// its own encoding of it (invalid UTF-8 replaced), with no raw control
// character, HTML character or line separator left in the line.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `a"b\c`, "tab\tnl\ncr\r\x01\x7f", "<a>&", "bad \xff \xc3", "é ✓ \u2028\u2029", "x\x00y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendString([]byte("{"), s)
		if got[0] != '{' {
			t.Fatal("the prefix was overwritten")
		}
		var back, want string
		if err := json.Unmarshal(got[1:], &back); err != nil {
			t.Fatalf("%q → %s: %v", s, got, err)
		}
		wb, _ := json.Marshal(s)
		_ = json.Unmarshal(wb, &want)
		if back != want {
			t.Fatalf("%q → %s reads back as %q, want %q", s, got, back, want)
		}
		for _, c := range got[1:] {
			if c < 0x20 || c == '<' || c == '>' || c == '&' {
				t.Fatalf("%q → %s holds %#x", s, got, c)
			}
		}
		if strings.ContainsAny(string(got), "\u2028\u2029") {
			t.Fatalf("%q → %s holds a line separator", s, got)
		}
	})
}
