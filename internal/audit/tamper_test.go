package audit

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func keyedOpts(ck string, every int) Options {
	o := blockOpts()
	o.Key, o.Checkpoints, o.CheckpointEvery = testKey, ck, every
	return o
}

var sumField = regexp.MustCompile(`,"(hash|mac)":"[0-9a-f]{64}"\}$`)
var prevField = regexp.MustCompile(`"prev":"[0-9a-f]{64}"`)

// rechain is what an attacker does after changing records: recompute
// every record's chain value from the first one on, with the key they
// have (nil: plain SHA-256 "hash" fields, the unkeyed form).
func rechain(lines [][]byte, key []byte) [][]byte {
	out := make([][]byte, len(lines))
	prev := ""
	for i, l := range lines {
		body := sumField.ReplaceAll(l, []byte("}"))
		if prev != "" {
			body = prevField.ReplaceAll(body, []byte(`"prev":"`+prev+`"`))
		}
		sum := sumLine(key, body)
		field := "hash"
		if len(key) > 0 {
			field = "mac"
		}
		out[i] = append(body[:len(body)-1], []byte(`,"`+field+`":"`+sum+`"}`)...)
		prev = sum
	}
	return out
}

func split(b []byte) [][]byte { return bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n")) }
func join(ls [][]byte) []byte { return append(bytes.Join(ls, []byte("\n")), '\n') }

// Every way of tampering with a keyed, checkpointed log is detected; the
// honest log verifies.
func TestKeyedLogTampering(t *testing.T) {
	dir := t.TempDir()
	path, ckPath := filepath.Join(dir, "audit.jsonl"), filepath.Join(dir, "audit.ckpt")
	writeN(t, path, keyedOpts(ckPath, 3), 0, 10)
	writeN(t, path, keyedOpts(ckPath, 3), 10, 4) // reopened: both chains go on
	log, _ := os.ReadFile(path)
	cks, _ := os.ReadFile(ckPath)
	rep, err := VerifyWith(VerifyOptions{Key: testKey, Checkpoints: ckPath}, path)
	if err != nil || rep.Records != 14 || !rep.Keyed || rep.Checkpoints < 5 || rep.Uncovered != 0 {
		t.Fatalf("honest log: %+v %v", rep, err)
	}
	if strings.Contains(string(log), `"hash"`) {
		t.Fatal("a keyed log holds unkeyed records")
	}
	lines, ckLines := split(log), split(cks)
	edited := bytes.Replace(lines[4], []byte(`"i":4`), []byte(`"i":99`), 1)
	withEdit := append(append(append([][]byte{}, lines[:4]...), edited), lines[5:]...)
	without := func(ls [][]byte, i int) [][]byte { return append(append([][]byte{}, ls[:i]...), ls[i+1:]...) }
	cases := []struct {
		name     string
		log, cks []byte
		want     string
	}{
		{"edit", join(withEdit), cks, "was changed"},
		{"edit, recompute as unkeyed", join(rechain(withEdit, nil)), cks, "not keyed"},
		{"edit, recompute with a guessed key", join(rechain(withEdit, []byte("guess"))), cks, "was changed"},
		{"drop first", join(lines[1:]), cks, "removed from its start"},
		{"drop first two, recompute", join(rechain(lines[2:], []byte("guess"))), cks, "was changed"},
		{"drop last", join(lines[:len(lines)-1]), cks, "removed from its end"},
		{"drop last four", join(lines[:len(lines)-4]), cks, "removed from its end"},
		{"drop middle", join(without(lines, 6)), cks, "missing or out of order"},
		{"swap", join(append(append(append([][]byte{}, lines[:5]...), lines[6], lines[5]), lines[7:]...)), cks, "missing or out of order"},
		{"truncate checkpoints by one", log, join(ckLines[:len(ckLines)-1]), "after the last checkpoint"},
		{"truncate checkpoints to one", log, join(ckLines[:1]), "cut short"},
		{"empty checkpoints", log, nil, "no checkpoints"},
		{"drop a middle checkpoint", log, join(without(ckLines, 1)), "missing or out of order"},
		{"edit a checkpoint", log, bytes.Replace(cks, []byte(`"seq":3,`), []byte(`"seq":2,`), 1), "was changed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := t.TempDir()
			lp, cp := filepath.Join(d, "audit.jsonl"), filepath.Join(d, "audit.ckpt")
			if err := os.WriteFile(lp, tc.log, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(cp, tc.cks, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := VerifyWith(VerifyOptions{Key: testKey, Checkpoints: cp}, lp)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
	// Without the checkpoints, the key alone still catches every change
	// inside the log.
	if _, err := VerifyWith(VerifyOptions{Key: testKey}, path); err != nil {
		t.Fatalf("honest log, key only: %v", err)
	}
	if _, err := VerifyWith(VerifyOptions{Key: []byte("wrong key, wrong key, wrong key!")}, path); err == nil {
		t.Fatal("verified with the wrong key")
	}
	if _, err := Verify(path); err == nil || !strings.Contains(err.Error(), "verify with the audit key") {
		t.Fatalf("keyed log without the key: %v", err)
	}
}

// A gateway restarted on a log cut below its last checkpoint refuses to
// go on writing.
func TestOpenRefusesTruncatedLog(t *testing.T) {
	dir := t.TempDir()
	path, ckPath := filepath.Join(dir, "audit.jsonl"), filepath.Join(dir, "audit.ckpt")
	writeN(t, path, keyedOpts(ckPath, 3), 0, 6)
	lines := split(must(os.ReadFile(path)))
	if err := os.WriteFile(path, join(lines[:4]), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, keyedOpts(ckPath, 3)); err == nil || !strings.Contains(err.Error(), "truncated or changed") {
		t.Fatalf("open: %v", err)
	}
}

// A keyed, checkpointed series that rotated verifies across its files;
// an old unkeyed log still verifies and is reported unkeyed; turning the
// key on later starts the keyed records in a file of their own.
func TestKeyedRotationAndUnkeyedLogs(t *testing.T) {
	dir := t.TempDir()
	path, ckPath := filepath.Join(dir, "audit.jsonl"), filepath.Join(dir, "audit.ckpt")
	writeN(t, path, blockOpts(), 0, 3) // an old unkeyed log
	if rep, err := VerifyWith(VerifyOptions{}, path); err != nil || rep.Keyed || rep.Records != 3 {
		t.Fatalf("unkeyed: %+v %v", rep, err)
	}
	if _, err := VerifyWith(VerifyOptions{Key: testKey}, path); err == nil || !strings.Contains(err.Error(), "not keyed") {
		t.Fatalf("unkeyed log verified with a key: %v", err)
	}
	o := keyedOpts(ckPath, 4)
	o.MaxBytes = 600
	writeN(t, path, o, 3, 12)
	rotated, _ := filepath.Glob(path + ".*")
	if len(rotated) < 3 {
		t.Fatalf("rotated files: %v", rotated)
	}
	rotated = sortBySeq(rotated)
	// The first rotated file is the unkeyed one.
	if _, err := Verify(rotated[0]); err != nil {
		t.Fatalf("old unkeyed file: %v", err)
	}
	series := append(rotated[1:], path)
	rep, err := VerifyWith(VerifyOptions{Key: testKey, Checkpoints: ckPath}, series...)
	if err != nil || rep.Records != 12 || rep.FirstSeq != 4 || rep.LastSeq != 15 {
		t.Fatalf("keyed series: %+v %v", rep, err)
	}
	// Leaving out the first keyed file is removal from the start.
	if _, err := VerifyWith(VerifyOptions{Key: testKey, Checkpoints: ckPath}, series[1:]...); err == nil {
		t.Fatal("series without its first file verified")
	}
	var be *BreakError
	if _, err := VerifyWith(VerifyOptions{Key: testKey, Checkpoints: ckPath}, series[1:]...); !errors.As(err, &be) {
		t.Fatalf("want a BreakError, got %v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
